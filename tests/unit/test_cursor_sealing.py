"""Sealed page cursors (ADR 0022): nothing of a task in clear, no forgery or alteration, one
key for every process that shares it, and only ``InvalidQuery`` for anything a client sends."""

from __future__ import annotations

import asyncio
import base64
import os
import string
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.cursor_sealing import KEY_BYTES, AesGcmCursorSealer, RandomCursorKey
from application.errors import InvalidQuery, StorageUnavailable
from application.pagination import MAX_CURSOR_LENGTH, PageCursors
from application.queries import SortField, SortOrder, TaskPosition, TaskQuery

TASK_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
MOMENT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
TITLE_QUERY = TaskQuery(sort=SortField.TITLE, order=SortOrder.ASC)
BASE64URL = set(string.ascii_letters + string.digits + "-_")


class FixedKey:
    """One key, as every process on the same database reads it; counts the reads."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or os.urandom(KEY_BYTES)
        self.reads = 0

    async def cursor_key(self) -> bytes:
        self.reads += 1
        await asyncio.sleep(0)
        return self.key


class FailingKey:
    """A key store that cannot be reached (the database is down) until ``fixed``."""

    def __init__(self) -> None:
        self.fixed: bytes | None = None

    async def cursor_key(self) -> bytes:
        if self.fixed is None:
            raise StorageUnavailable("the database is unavailable")
        return self.fixed


def cursors(keys: object | None = None) -> PageCursors:
    return PageCursors(AesGcmCursorSealer(keys or RandomCursorKey()))  # type: ignore[arg-type]


async def test_a_title_cursor_shows_nothing_of_the_title() -> None:
    title = "Call the lawyer about the divorce"
    cursor = await cursors().encode(TITLE_QUERY, TaskPosition(title, TASK_ID))
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for word in title.split():
        assert word.encode() not in raw
        # In the cursor's text, ignoring case, a random ciphertext holds a 3-letter word
        # ("the") about once in 300 cursors by chance; longer words ("lawyer") never do.
        if len(word) >= 5:
            assert word.lower() not in cursor.lower()
    assert str(TASK_ID).encode() not in raw


async def test_the_same_position_seals_differently_each_time() -> None:
    page_cursors = cursors()
    position = TaskPosition("Buy milk", TASK_ID)
    first = await page_cursors.encode(TITLE_QUERY, position)
    second = await page_cursors.encode(TITLE_QUERY, position)
    assert first != second  # a fresh nonce: equal titles cannot be told from their cursors
    assert await page_cursors.decode(first, TITLE_QUERY) == position
    assert await page_cursors.decode(second, TITLE_QUERY) == position


async def test_a_process_with_the_same_key_opens_the_cursor_and_one_with_another_key_does_not() -> (
    None
):
    shared = FixedKey()
    position = TaskPosition(MOMENT, TASK_ID)
    cursor = await cursors(shared).encode(TaskQuery(), position)
    assert await cursors(FixedKey(shared.key)).decode(cursor, TaskQuery()) == position
    with pytest.raises(InvalidQuery) as error:
        await cursors(FixedKey()).decode(cursor, TaskQuery())
    assert error.value.field == "cursor"


async def test_changing_any_character_of_a_cursor_makes_it_invalid() -> None:
    page_cursors = cursors()
    cursor = await page_cursors.encode(TITLE_QUERY, TaskPosition("Buy milk", TASK_ID))
    for index, character in enumerate(cursor):
        other = "A" if character != "A" else "B"
        with pytest.raises(InvalidQuery):
            await page_cursors.decode(cursor[:index] + other + cursor[index + 1 :], TITLE_QUERY)


async def test_other_spellings_of_a_cursor_are_invalid() -> None:
    page_cursors = cursors()
    cursor = await page_cursors.encode(TITLE_QUERY, TaskPosition("Buy milk", TASK_ID))
    padded = cursor + "=" * (-len(cursor) % 4)
    for spelling in (cursor + "=", padded + "==", cursor + "!", "!" + cursor, cursor[:-1]):
        if spelling == cursor:
            continue
        with pytest.raises(InvalidQuery):
            await page_cursors.decode(spelling, TITLE_QUERY)
    standard_alphabet = cursor.replace("-", "+").replace("_", "/")
    if standard_alphabet != cursor:
        with pytest.raises(InvalidQuery):
            await page_cursors.decode(standard_alphabet, TITLE_QUERY)


@pytest.mark.parametrize("title", ["𝄞" * 200, '"' * 200, "\\" * 200, "ß" * 200])
async def test_the_longest_titles_make_url_safe_cursors_within_the_length_limit(
    title: str,
) -> None:
    page_cursors = cursors()
    for query in (TITLE_QUERY, TaskQuery(sort=SortField.TITLE, order=SortOrder.DESC)):
        cursor = await page_cursors.encode(query, TaskPosition(title, TASK_ID))
        assert len(cursor) <= MAX_CURSOR_LENGTH
        assert set(cursor) <= BASE64URL
        assert await page_cursors.decode(cursor, query) == TaskPosition(title, TASK_ID)


async def test_a_cursor_of_other_filters_is_invalid_even_when_sealed_by_the_service() -> None:
    page_cursors = cursors()
    cursor = await page_cursors.encode(TaskQuery(search="milk"), TaskPosition(MOMENT, TASK_ID))
    with pytest.raises(InvalidQuery):
        await page_cursors.decode(cursor, TaskQuery(search="bread"))


async def test_the_key_is_read_once_however_many_requests_want_it_at_the_same_time() -> None:
    keys = FixedKey()
    page_cursors = cursors(keys)
    position = TaskPosition(MOMENT, TASK_ID)
    sealed = await asyncio.gather(*(page_cursors.encode(TaskQuery(), position) for _ in range(20)))
    await asyncio.gather(*(page_cursors.decode(cursor, TaskQuery()) for cursor in sealed))
    assert keys.reads == 1


async def test_a_key_store_outage_is_an_outage_not_a_bad_cursor_and_the_next_call_retries() -> None:
    keys = FailingKey()
    page_cursors = cursors(keys)
    key = os.urandom(KEY_BYTES)
    cursor = await cursors(FixedKey(key)).encode(TaskQuery(), TaskPosition(MOMENT, TASK_ID))
    with pytest.raises(StorageUnavailable):
        await page_cursors.decode(cursor, TaskQuery())
    with pytest.raises(StorageUnavailable):
        await page_cursors.encode(TaskQuery(), TaskPosition(MOMENT, TASK_ID))
    keys.fixed = key
    assert (await page_cursors.decode(cursor, TaskQuery())).task_id == TASK_ID


async def test_a_stored_key_of_the_wrong_size_is_a_server_fault_not_a_bad_cursor() -> None:
    page_cursors = cursors(FixedKey(b"short"))
    with pytest.raises(RuntimeError):
        await page_cursors.decode("A" * 60, TaskQuery())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(cursor=st.text(max_size=MAX_CURSOR_LENGTH + 10))
@example(cursor="")
@example(cursor="=")
@example(cursor="A" * 38)  # as long as a nonce and a tag: nothing inside
@example(cursor="A" * (MAX_CURSOR_LENGTH + 1))
@example(cursor="é" * 40)
def test_arbitrary_text_only_ever_raises_invalid_query(cursor: str) -> None:
    with pytest.raises(InvalidQuery):
        asyncio.run(cursors().decode(cursor, TaskQuery()))
