"""Alembic environment: runs on a blocking connection to the URL the caller put in
``config.attributes["database_url"]``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from adapters.sql.tables import metadata

config = context.config


def run_migrations() -> None:
    url = config.attributes["database_url"]
    connect_args = {} if url.get_backend_name() == "sqlite" else {"connect_timeout": 5}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=url.get_backend_name() == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
