"""Plain helpers for the credentials tests: the vectors' location, a small issuer, leaf walking."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from qualitymark.credentials import (
    REVOCATION,
    SUSPENSION,
    ResolutionError,
    StatusBits,
    build_did_document,
    build_open_badge_credential,
    build_status_list_credential,
    generate_private_key,
    public_key_multibase,
    sign_credential,
    status_entry,
)

# The W3C vectors and contexts, copied byte for byte from the project's shared/vectors/ into the
# repository, so that `make test` works in a clone on its own; SHA256SUMS proves they are untouched,
# and test_vectors.py checks the copy against shared/ wherever shared/ sits beside the checkout (CI).
VECTORS_DIR = Path(__file__).resolve().parent / "vectors"
EDDSA_DIR = VECTORS_DIR / "vc-di-eddsa"
SHARED_VECTORS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
ISSUER_DID = "did:web:cqm.example"
BASE = "https://cqm.example"


def vectors() -> Path:
    """The vectors folder; the calling test fails (never skips) if it is missing."""
    if not EDDSA_DIR.is_dir():
        pytest.fail(f"the W3C test vectors are missing: looked for {EDDSA_DIR}", pytrace=False)
    return VECTORS_DIR


def read_vector(vectors_dir: Path, name: str) -> bytes:
    return (vectors_dir / "vc-di-eddsa" / name).read_bytes()


def read_vector_json(vectors_dir: Path, name: str):
    return json.loads(read_vector(vectors_dir, name))


def refuse_resolution(did: str) -> dict:
    raise ResolutionError(f"{did} is not known to this test")


@dataclass
class Issuer:
    """A certification office: one DID, its keys, two status lists, and what it has issued."""

    did: str = ISSUER_DID
    keys: dict = field(default_factory=dict)  # fragment -> private key
    retired: dict = field(default_factory=dict)  # fragment -> datetime
    lists: dict = field(default_factory=lambda: {REVOCATION: StatusBits(), SUSPENSION: StatusBits()})
    list_valid_until: datetime = NOW + timedelta(minutes=5)

    def __post_init__(self):
        self.keys.setdefault("key-1", generate_private_key())

    def method(self, fragment: str = "key-1") -> str:
        return f"{self.did}#{fragment}"

    def did_document(self) -> dict:
        return build_did_document(
            self.did,
            [(fragment, public_key_multibase(key), self.retired.get(fragment)) for fragment, key in self.keys.items()],
        )

    def resolve(self, did: str) -> dict:
        if did != self.did:
            raise ResolutionError(f"{did} is not known to this test")
        return self.did_document()

    def list_url(self, purpose: str) -> str:
        return f"{BASE}/status/{purpose}/1"

    def current_key(self) -> str:
        return [fragment for fragment in self.keys if fragment not in self.retired][-1]

    def status_list_credential(self, purpose: str) -> dict:
        unsigned = build_status_list_credential(
            id=self.list_url(purpose),
            issuer=self.did,
            purpose=purpose,
            encoded_list=self.lists[purpose].encode(),
            valid_from=NOW - timedelta(minutes=5),
            valid_until=self.list_valid_until,
            ttl_ms=300_000,
        )
        signing_key = self.current_key()
        return sign_credential(unsigned, self.keys[signing_key], self.method(signing_key), NOW - timedelta(minutes=5))

    def fetch_status_list(self, url: str) -> dict:
        for purpose in self.lists:
            if url == self.list_url(purpose):
                return self.status_list_credential(purpose)
        raise ResolutionError(f"404 for {url}")

    def unsigned_certificate(self, index: int = 42, **overrides) -> dict:
        values = dict(
            credential_id=f"{BASE}/c/QM7K2P",
            name="Care Quality Mark certificate",
            issuer_did=self.did,
            issuer_name="Care Quality Mark certification office",
            issuer_url=f"{BASE}/",
            subject_id=f"{BASE}/register/gofal-cymunedol",
            subject_name="Gofal Cymunedol Co-operative",
            achievement_id=f"{BASE}/marks/care-quality-mark/excellent",
            achievement_name="Care Quality Mark — Excellent",
            achievement_description="Awarded to a social-care co-operative that met every criterion of the Care Quality Mark at level 3 or above.",
            criteria_url=f"{BASE}/rubrics/care-quality-mark/2025.1",
            level="Excellent",
            valid_from=NOW - timedelta(days=30),
            valid_until=NOW + timedelta(days=3 * 365),
            credential_status=[
                status_entry(self.list_url(REVOCATION), index, REVOCATION),
                status_entry(self.list_url(SUSPENSION), index, SUSPENSION),
            ],
        )
        values.update(overrides)
        return build_open_badge_credential(**values)

    def issue(self, signing_key: str = "key-1", created: datetime = NOW - timedelta(days=30), **overrides) -> dict:
        return sign_credential(
            self.unsigned_certificate(**overrides), self.keys[signing_key], self.method(signing_key), created
        )


def leaves(value, path=()):
    """(path, value) for every string, number and boolean in a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, (*path, name))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from leaves(item, (*path, position))
    else:
        yield path, value


def changed(value):
    """A different value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    raise TypeError(f"no change defined for {value!r}")


def with_leaf(document, path, new_value):
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new_value
    return copy
