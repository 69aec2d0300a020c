"""Liveness and readiness probes (no auth)."""

from __future__ import annotations

from fastapi import APIRouter

from entrypoints.http.dependencies import Probe
from entrypoints.http.problems import documented_errors
from entrypoints.http.schemas import Health

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", operation_id="getLiveness", summary="The process is up", response_model=Health
)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="The database is reachable",
    response_model=Health,
    responses=documented_errors(503),
)
async def readyz(probe: Probe) -> Health:
    await probe.check_ready()
    return Health(status="ok")
