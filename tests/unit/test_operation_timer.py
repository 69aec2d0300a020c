"""The per-operation time limit (adapters/sql/deadline.py): the caller gets the result, the
error, or ``TimeoutError`` at the limit, never waiting for an overrunning operation to wind
down; after an overrun every later operation fails at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.sql.deadline import OperationTimer


async def answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def fail() -> None:
    await asyncio.sleep(0)
    raise LookupError("from the operation")


async def test_an_operation_in_time_gives_its_result_or_its_error() -> None:
    timer = OperationTimer(1.0)
    assert await timer.run(answer, 7) == 7
    with pytest.raises(LookupError, match="from the operation"):
        await timer.run(fail)
    assert timer.unfinished is None


async def test_an_overrun_raises_at_the_limit_and_stops_later_operations() -> None:
    timed_out: list[bool] = []
    timer = OperationTimer(0.05, on_timeout=lambda: timed_out.append(True))
    stopped = asyncio.Event()

    async def hang() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            # A driver's cancellation can take long; the caller must not wait for it.
            await asyncio.sleep(0.5)
            stopped.set()

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await timer.run(hang)
    assert time.monotonic() - started < 0.4
    assert timed_out == [True]
    assert timer.unfinished is not None
    assert not stopped.is_set()
    with pytest.raises(TimeoutError, match="did not finish in time"):
        await timer.run(answer, 1)
    await asyncio.wait_for(stopped.wait(), 2)


async def test_a_cancelled_caller_leaves_the_operation_to_wind_down() -> None:
    timer = OperationTimer(10.0)
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caller = asyncio.create_task(timer.run(slow))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(cancelled.wait(), 1)
    assert timer.unfinished is not None


async def test_no_limit_runs_the_operation_in_the_callers_task() -> None:
    timer = OperationTimer(None)

    async def own_task() -> asyncio.Task[object] | None:
        return asyncio.current_task()

    assert await timer.run(own_task) is asyncio.current_task()
