"""The benchmark's raw baseline (bench/baseline.py) does the service's work: for the same
request it answers what the service answers — the same task documents, the same headers —
so that the throughput ratios in docs/performance.md compare like with like. The FastAPI
floor (bench/fastapi_floor.py) answers the same. A field the
service adds and the baseline leaves out would make the baseline look cheaper than the
floor it stands for."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from types import ModuleType

import httpx
import pytest

from tests.http import SECRET, app_client, auth, make_settings

pytestmark = pytest.mark.postgres

# Set at creation by the server: compared by presence and shape, not value.
CREATED = ("id", "created_at", "updated_at")


@pytest.fixture(params=["bench.baseline", "bench.fastapi_floor"])
async def baseline(
    request: pytest.FixtureRequest, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The raw baseline, and the FastAPI floor built on it (bench/fastapi_floor.py)."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("BETTER_AUTH_SECRET", SECRET)
    raw: ModuleType = importlib.reload(importlib.import_module("bench.baseline"))
    module = importlib.reload(importlib.import_module(request.param))
    await raw.POOL.open()
    transport = httpx.ASGITransport(app=module.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await raw.POOL.close()


@pytest.fixture
async def service(postgres_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_settings(postgres_url)) as http:
        yield http


async def test_list_get_and_patch_answer_as_the_service_does(
    service: httpx.AsyncClient, baseline: httpx.AsyncClient
) -> None:
    headers = auth("baseline-same-work")
    for number in range(3):
        body = {"title": f"Task {number}", "priority": "high", "tags": ["work", "home"]}
        assert (await service.post("/api/tasks", json=body, headers=headers)).status_code == 201

    ours, theirs = [
        await client.get("/api/tasks", params={"limit": 2}, headers=headers)
        for client in (service, baseline)
    ]
    assert theirs.json() == ours.json()
    assert len(ours.json()) == 2
    # Both link to the next page with a sealed cursor of the same kind (a random nonce: the
    # bytes differ).
    assert theirs.headers["link"].startswith("</api/tasks?limit=2&cursor=")
    assert ours.headers["link"].startswith("</api/tasks?limit=2&cursor=")
    assert abs(len(theirs.headers["link"]) - len(ours.headers["link"])) <= 4

    task_id = ours.json()[0]["id"]
    got = [await c.get(f"/api/tasks/{task_id}", headers=headers) for c in (service, baseline)]
    assert got[1].json() == got[0].json()
    assert got[1].headers["etag"] == got[0].headers["etag"]

    renamed = await baseline.patch(f"/api/tasks/{task_id}", json={"title": "B"}, headers=headers)
    assert renamed.status_code == 200
    read_back = await service.get(f"/api/tasks/{task_id}", headers=headers)
    assert renamed.json() == read_back.json()
    assert renamed.headers["etag"] == read_back.headers["etag"] == '"2"'


async def test_a_create_answers_as_the_service_does(
    service: httpx.AsyncClient, baseline: httpx.AsyncClient
) -> None:
    headers = auth("baseline-same-create")
    body = {"title": "  Benchmark task 1 ", "due_date": "2026-12-24"}
    ours, theirs = [
        await c.post("/api/tasks", json=body, headers=headers) for c in (service, baseline)
    ]
    assert theirs.status_code == ours.status_code == 201
    assert theirs.headers["etag"] == ours.headers["etag"]
    assert theirs.headers["location"] == f"/api/tasks/{theirs.json()['id']}"
    assert ours.headers["location"].endswith(f"/api/tasks/{ours.json()['id']}")

    def without_created(document: dict[str, object]) -> dict[str, object]:
        return {name: value for name, value in document.items() if name not in CREATED}

    assert without_created(theirs.json()) == without_created(ours.json())
    assert set(theirs.json()) == set(ours.json())
    # What the baseline wrote reads back through the service as the baseline answered.
    stored = await service.get(theirs.headers["location"], headers=headers)
    assert stored.json() == theirs.json()
