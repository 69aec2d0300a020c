"""What psycopg's server-side prepared statements buy, to choose the default of
``DB_PREPARED_STATEMENTS`` (off is safe behind any transaction pooler; on is not).

Two apps in one process on the same PostgreSQL database, one with prepared statements and
one without, called in-process (httpx's ASGI transport) in interleaved rounds: medians per
operation and their ratio.

    .venv/bin/python -m bench.prepared_statements [--rounds 400] [--url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from contextlib import AsyncExitStack
from typing import Any

import httpx

from adapters.identity.shared_secret import SharedSecretMinter
from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings
from tests.databases import fresh_postgres_database

SECRET = "bench-secret-that-is-long-enough-0123456789abcdef"


async def run(url: str, rounds: int) -> dict[str, dict[bool, float]]:
    token = SharedSecretMinter(SECRET).mint("bench-user", 3600)
    auth = {"Authorization": f"Bearer {token}"}
    clients: dict[bool, httpx.AsyncClient] = {}
    samples: dict[str, dict[bool, list[float]]] = {}
    async with AsyncExitStack() as stack:
        for prepared in (True, False):
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                better_auth_secret=SECRET,
                db_prepared_statements=prepared,
                rate_limit_per_user=0,  # a benchmark is the script the limit is for
                log_level="WARNING",
            )
            app = create_app(build_container(settings))
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients[prepared] = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://bench")
            )
        seed = clients[True]
        ids = []
        for i in range(60):
            created = await seed.post("/api/tasks", json={"title": f"seed {i}"}, headers=auth)
            ids.append(created.json()["id"])

        async def timed(op: str, prepared: bool, method: str, path: str, body: Any = None) -> None:
            started = time.perf_counter()
            response = await clients[prepared].request(method, path, json=body, headers=auth)
            elapsed = time.perf_counter() - started
            assert response.status_code < 300, response.text
            samples.setdefault(op, {True: [], False: []})[prepared].append(elapsed)

        for i in range(rounds):
            for prepared in (True, False) if i % 2 else (False, True):
                await timed("list 50", prepared, "GET", "/api/tasks?limit=50")
                await timed("get", prepared, "GET", f"/api/tasks/{ids[i % len(ids)]}")
                await timed("create", prepared, "POST", "/api/tasks", {"title": "bench"})
                await timed(
                    "patch",
                    prepared,
                    "PATCH",
                    f"/api/tasks/{ids[i % len(ids)]}",
                    {"description": f"round {i}"},
                )
    return {
        op: {prepared: statistics.median(values) for prepared, values in sides.items()}
        for op, sides in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument(
        "--url", help="a migrated database (default: a fresh one on the local server)"
    )
    args = parser.parse_args()
    if args.url:
        medians = asyncio.run(run(args.url, args.rounds))
    else:
        with fresh_postgres_database() as url:
            medians = asyncio.run(run(url, args.rounds))
    print(f"{args.rounds} interleaved rounds, in-process, local PostgreSQL")
    print("| operation | prepared (ms) | not prepared (ms) | not / prepared |")
    print("|---|---|---|---|")
    for op, sides in medians.items():
        prepared, plain = sides[True] * 1000, sides[False] * 1000
        print(f"| {op} | {prepared:.2f} | {plain:.2f} | {plain / prepared:.2f}x |")


if __name__ == "__main__":
    main()
