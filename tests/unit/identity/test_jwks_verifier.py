"""The JWKS verifier on a read token: header checks that reject it before any key is fetched,
and the claim checks python-jose leaves out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from adapters.identity.claims import check_issued_at
from adapters.identity.jwks import JwksKeySet, JwksVerifier
from adapters.identity.unverified import read_token
from application.errors import InvalidToken
from tests.unit.identity.fakes import JWKS_URL, FakeClock, FakeJwksEndpoint
from tests.unit.identity.signing import (
    AUDIENCE,
    ISSUER,
    cached_key,
    claims,
    hmac_token,
    unsigned_token,
)

ED = cached_key("EdDSA", "ed")


@pytest.fixture
def endpoint() -> FakeJwksEndpoint:
    return FakeJwksEndpoint(ED)


@pytest.fixture
async def verifier(endpoint: FakeJwksEndpoint) -> AsyncIterator[JwksVerifier]:
    async with endpoint.client() as client:
        key_set = JwksKeySet(JWKS_URL, http_client=client, clock=FakeClock())
        yield JwksVerifier(key_set, issuer=ISSUER, audience=AUDIENCE)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (unsigned_token({"alg": "none", "kid": "ed"}, claims()), "algorithm is not accepted"),
        (hmac_token(b"k" * 32, {"alg": "HS256", "kid": "ed"}, claims()), "algorithm is not"),
        (ED.token(claims(), alg="HS512"), "algorithm is not accepted"),
        (ED.token(claims(), alg="PS256"), "algorithm is not accepted"),
        (ED.token(claims(), alg="ES384"), "algorithm is not accepted"),
        (ED.token(claims(), alg=None), "algorithm is not accepted"),
        (ED.token(claims(), alg=["EdDSA"]), "algorithm is not accepted"),
        (ED.token(claims(), kid=None), "no key id"),
        (ED.token(claims(), kid=""), "no key id"),
        (ED.token(claims(), kid=7), "no key id"),
        (ED.token(claims(), crit=["exp"], exp=1), "unsupported header extensions"),
        ("eyJhbGciOiJFZERTQSJ9.e30.", "no key id"),
    ],
)
async def test_bad_headers_are_rejected_without_fetching_keys(
    token: str, reason: str, endpoint: FakeJwksEndpoint, verifier: JwksVerifier
) -> None:
    with pytest.raises(InvalidToken, match=reason) as caught:
        await verifier.verify(read_token(token))
    assert token not in caught.value.reason
    assert endpoint.requests == 0


async def test_an_algorithm_other_than_the_keys_own_is_rejected(
    verifier: JwksVerifier,
) -> None:
    # Signed with a real P-256 key, but naming the Ed25519 key's kid.
    forged = cached_key("ES256", "ed").token(claims())
    with pytest.raises(InvalidToken, match="does not match its key"):
        await verifier.verify(read_token(forged))


async def test_a_valid_token_gives_its_subject_with_a_key_from_the_jwks_url(
    endpoint: FakeJwksEndpoint, verifier: JwksVerifier
) -> None:
    assert (await verifier.verify(read_token(ED.token(claims(sub="abc"))))).user_id == "abc"
    assert endpoint.urls == [JWKS_URL]


@pytest.mark.parametrize(
    "other", [claims(issuer="https://other.example"), claims(audience="https://other.example")]
)
async def test_a_token_for_another_issuer_or_audience_is_rejected(
    other: dict[str, object], verifier: JwksVerifier
) -> None:
    with pytest.raises(InvalidToken, match="claims are not acceptable"):
        await verifier.verify(read_token(ED.token(other)))


async def test_an_audience_list_containing_ours_is_accepted(verifier: JwksVerifier) -> None:
    token = ED.token(claims(audience=["https://other.example", AUDIENCE]))
    assert (await verifier.verify(read_token(token))).user_id == "user-1"


async def test_a_token_issued_in_the_future_is_rejected(verifier: JwksVerifier) -> None:
    token = ED.token(claims(iat=int(time.time()) + 300))
    with pytest.raises(InvalidToken, match="claims are not acceptable"):
        await verifier.verify(read_token(token))


def test_issued_at_allows_clock_skew_and_refuses_non_numbers() -> None:
    now = 1_000_000.0
    check_issued_at({}, now=now)
    check_issued_at({"iat": now + 30}, now=now)
    for bad in ({"iat": now + 31}, {"iat": "1000000"}, {"iat": True}, {"iat": [1]}):
        with pytest.raises(InvalidToken):
            check_issued_at(bad, now=now)
