"""Housekeeping that runs for every user at once, in bounded steps."""

from __future__ import annotations

from datetime import timedelta

from application.ports import Clock, UnitOfWork
from application.use_cases.tasks import IDEMPOTENCY_KEY_LIFETIME

# The most idempotency records one sweep deletes: one short statement, whatever the backlog.
SWEEP_BATCH_SIZE = 1000


class ExpireIdempotencyKeys:
    """Delete idempotency records older than their lifetime, of every owner, oldest first,
    at most ``batch_size`` of them. Returns how many were deleted: a full batch means
    there may be more (the caller sweeps again)."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        key_lifetime: timedelta = IDEMPOTENCY_KEY_LIFETIME,
        batch_size: int = SWEEP_BATCH_SIZE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._key_lifetime = key_lifetime
        self.batch_size = batch_size

    async def execute(self) -> int:
        cutoff = self._clock.now() - self._key_lifetime
        async with self._uow as uow:
            deleted = await uow.idempotency.remove_expired(
                created_before=cutoff, limit=self.batch_size
            )
            await uow.commit()
        return deleted
