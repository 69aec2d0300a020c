"""Rules every token obeys in both modes, checked once in ``read_token`` / ``claims``: one
canonical spelling, plain numbers for time claims, a bounded lifetime, no ``crit``. Each case
runs against an HS256 token (shared-secret mode) and an EdDSA one (JWKS mode), both through
the composite as production wires it."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from jose.utils import base64url_decode

from adapters.identity.canonical import NotCanonical, decode_canonical
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet, JwksVerifier
from adapters.identity.shared_secret import SharedSecretVerifier
from application.errors import InvalidToken
from tests.unit.identity.fakes import JWKS_URL, FakeClock, FakeJwksEndpoint
from tests.unit.identity.signing import (
    AUDIENCE,
    ISSUER,
    cached_key,
    claims,
    hmac_token,
    signed_raw_token,
)

SECRET = "a-shared-secret-of-at-least-32-characters!"
ED = cached_key("EdDSA", "ed")
MODES = ("HS256", "EdDSA")
DAY = 24 * 3600


@pytest.fixture
async def verifier() -> AsyncIterator[CompositeTokenVerifier]:
    endpoint = FakeJwksEndpoint(ED)
    async with endpoint.client() as client:
        key_set = JwksKeySet(JWKS_URL, http_client=client, clock=FakeClock())
        yield CompositeTokenVerifier(
            shared_secret=SharedSecretVerifier(SECRET, issuer=ISSUER, audience=AUDIENCE),
            jwks=JwksVerifier(key_set, issuer=ISSUER, audience=AUDIENCE),
        )


def token(mode: str, values: dict[str, Any], **header: Any) -> str:
    if mode == "HS256":
        return hmac_token(SECRET.encode(), {"alg": "HS256", **header}, values)
    return ED.token(values, **header)


def raw_token(mode: str, payload: str) -> str:
    if mode == "HS256":
        secret = SECRET.encode()
        return signed_raw_token(
            {"alg": "HS256"}, payload, lambda data: hmac.new(secret, data, hashlib.sha256).digest()
        )
    return signed_raw_token({"alg": "EdDSA", "kid": ED.kid}, payload, ED.sign_input)


async def refused(verifier: CompositeTokenVerifier, text: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await verifier.verify(text)
    return caught.value.reason


# --- one spelling per token ---------------------------------------------------------------


def _with_segment(text: str, index: int, change: Callable[[str], str]) -> str:
    segments = text.split(".")
    segments[index] = change(segments[index])
    return ".".join(segments)


def _set_an_unused_bit(segment: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(segment) % 4 in (2, 3), "the last character must have unused bits"
    return segment[:-1] + alphabet[alphabet.index(segment[-1]) | 1]


# Other spellings of the same bytes, as python-jose's decoder reads them.
SPELLINGS: dict[str, Callable[[str], str]] = {
    "one = appended": lambda segment: segment + "=",
    "== appended": lambda segment: segment + "==",
    "=== appended": lambda segment: segment + "===",
    "junk appended": lambda segment: segment + "!!!!",
    "junk inside": lambda segment: segment[:4] + "~~~~" + segment[4:],
    "padding inside": lambda segment: segment[:4] + "====" + segment[4:],
}
# Not spellings of the same bytes, but not base64url either.
NOT_BASE64URL: dict[str, Callable[[str], str]] = {
    "standard alphabet": lambda segment: segment[:4] + "+/" + segment[6:],
    "impossible length": lambda segment: segment + "A" * ((1 - len(segment)) % 4),
    "space inside": lambda segment: segment[:4] + " " + segment[5:],
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("index", [0, 1, 2], ids=["header", "claims", "signature"])
@pytest.mark.parametrize("spelling", SPELLINGS, ids=list(SPELLINGS))
async def test_other_spellings_of_a_valid_token_are_refused(
    mode: str, index: int, spelling: str, verifier: CompositeTokenVerifier
) -> None:
    original = token(mode, claims())
    assert (await verifier.verify(original)).user_id == "user-1"
    respelled = _with_segment(original, index, SPELLINGS[spelling])
    segment, respelled_segment = original.split(".")[index], respelled.split(".")[index]
    # The same token to jose: without the canonical check it would verify.
    assert base64url_decode(respelled_segment.encode()) == base64url_decode(segment.encode())
    assert await refused(verifier, respelled) == "the access token is malformed"


@pytest.mark.parametrize("mode", MODES)
async def test_non_zero_unused_bits_are_refused(
    mode: str, verifier: CompositeTokenVerifier
) -> None:
    original = token(mode, claims())
    respelled = _with_segment(original, 2, _set_an_unused_bit)
    signature, respelled_signature = original.split(".")[2], respelled.split(".")[2]
    assert base64url_decode(respelled_signature.encode()) == base64url_decode(signature.encode())
    assert await refused(verifier, respelled) == "the access token is malformed"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("index", [0, 1, 2], ids=["header", "claims", "signature"])
@pytest.mark.parametrize("damage", NOT_BASE64URL, ids=list(NOT_BASE64URL))
async def test_segments_that_are_not_base64url_are_refused(
    mode: str, index: int, damage: str, verifier: CompositeTokenVerifier
) -> None:
    damaged = _with_segment(token(mode, claims()), index, NOT_BASE64URL[damage])
    assert await refused(verifier, damaged) == "the access token is malformed"


@pytest.mark.parametrize(
    "segment", ["QQ=", "QQ==", "QR", "QUJ", "Q", "QUJDR", "Q+I", "Q/I", "Q I", "QU!I", "é"]
)
def test_only_canonical_base64url_decodes(segment: str) -> None:
    with pytest.raises(NotCanonical):
        decode_canonical(segment)


@pytest.mark.parametrize(
    ("segment", "raw"), [("", b""), ("QQ", b"A"), ("QUI", b"AB"), ("-_8", b"\xfb\xff")]
)
def test_canonical_segments_decode_to_their_bytes(segment: str, raw: bytes) -> None:
    assert decode_canonical(segment) == raw


# --- time claims are plain numbers ---------------------------------------------------------

NOT_NUMERIC_DATES = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e999",
    "-1e999",
    str(10**400),
    str(-(10**400)),
    "1e300",
    "253402300800",  # year 10000
    "-1",
    "true",
    "false",
    "null",
    '"1700000000"',
    "[1700000000]",
    '{"t":1}',
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", NOT_NUMERIC_DATES)
async def test_a_time_claim_that_is_not_a_plain_date_is_a_401(
    mode: str, claim: str, value: str, verifier: CompositeTokenVerifier
) -> None:
    now = int(time.time())
    values = {"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    members = [f'"{name}":{value if name == claim else _json(v)}' for name, v in values.items()]
    if claim not in values:
        members.append(f'"{claim}":{value}')
    await refused(verifier, raw_token(mode, "{" + ",".join(members) + "}"))


def _json(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


@pytest.mark.parametrize("mode", MODES)
async def test_deeply_nested_claims_are_a_401(mode: str, verifier: CompositeTokenVerifier) -> None:
    now = int(time.time())
    nested = "[" * 2500 + "]" * 2500
    payload = (
        f'{{"sub":"user-1","iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{now + 600},"x":{nested}}}'
    )
    assert await refused(verifier, raw_token(mode, payload)) == "the access token is malformed"


@pytest.mark.parametrize("mode", MODES)
async def test_fractional_dates_are_plain_dates(
    mode: str, verifier: CompositeTokenVerifier
) -> None:
    now = time.time()
    values = claims(exp=now + 600.5, iat=now - 0.25, nbf=now - 1.5)
    assert (await verifier.verify(token(mode, values))).user_id == "user-1"


# --- a bounded lifetime --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_a_token_expiring_beyond_the_maximum_lifetime_is_refused(
    mode: str, verifier: CompositeTokenVerifier
) -> None:
    for lifetime in (30 * DAY + 120, 365 * DAY, 10 * 365 * DAY):
        reason = await refused(verifier, token(mode, claims(lifetime=lifetime)))
        assert reason == "the access token's lifetime is too long"
    for lifetime in (900, 7 * DAY, 30 * DAY - 60):
        assert (await verifier.verify(token(mode, claims(lifetime=lifetime)))).user_id == "user-1"


# --- crit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "exp"])
async def test_a_crit_header_is_refused_in_both_modes(
    mode: str, crit: object, verifier: CompositeTokenVerifier
) -> None:
    reason = await refused(verifier, token(mode, claims(), crit=crit, exp=1))
    assert reason == "the access token uses unsupported header extensions"
