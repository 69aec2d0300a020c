"""Periodic housekeeping a serving process does in the background: expiring idempotency
records for every user (ExpireIdempotencyKeys), in bounded batches.

Every process sweeps; concurrent sweeps are harmless (a record is deleted once, the others
find it gone). A failed sweep (the database away) is one warning line until a sweep
succeeds again, and never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from application.use_cases import ExpireIdempotencyKeys

logger = logging.getLogger("todo_api.maintenance")

# Between two batches of one sweep: the backlog drains without monopolising the database.
BATCH_PAUSE_SECONDS = 1.0


async def sweep_idempotency_keys(
    expire: Callable[[], ExpireIdempotencyKeys], interval: float
) -> None:
    """Run forever (until cancelled): every ``interval`` seconds, delete expired records,
    one batch at a time while batches come back full."""
    failing = False
    while True:
        await asyncio.sleep(interval)
        try:
            while True:
                use_case = expire()
                deleted = await use_case.execute()
                if deleted < use_case.batch_size:
                    break
                await asyncio.sleep(BATCH_PAUSE_SECONDS)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not failing:
                logger.warning(
                    "sweeping expired idempotency keys failed (%s); retrying every %gs",
                    type(error).__name__,
                    interval,
                )
            failing = True
        else:
            if failing:
                logger.info("sweeping expired idempotency keys works again")
            failing = False
