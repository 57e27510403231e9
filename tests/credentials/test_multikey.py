"""Ed25519 keys as Multikey strings and as the issuer's key file."""
from __future__ import annotations

import stat

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from vc_helpers import read_vector_json, vectors

from qualitymark.credentials import (
    MultikeyError,
    generate_private_key,
    load_private_key,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
    save_private_key,
    secret_key_multibase,
)
from qualitymark.credentials.multikey import encode_multibase


def test_the_vector_key_pair_round_trips_exactly():
    vectors_dir = vectors()
    pair = read_vector_json(vectors_dir, "keyPair.json")

    private_key = private_key_from_multibase(pair["privateKeyMultibase"])

    assert public_key_multibase(private_key) == pair["publicKeyMultibase"]
    assert public_key_multibase(private_key.public_key()) == pair["publicKeyMultibase"]
    assert secret_key_multibase(private_key) == pair["privateKeyMultibase"]
    assert public_key_multibase(public_key_from_multibase(pair["publicKeyMultibase"])) == pair["publicKeyMultibase"]


def test_multikey_strings_have_the_well_known_prefixes():
    key = generate_private_key()

    assert public_key_multibase(key).startswith("z6Mk")
    assert secret_key_multibase(key).startswith("z3u2")
    assert base58.b58decode(public_key_multibase(key)[1:])[:2] == b"\xed\x01"
    assert base58.b58decode(secret_key_multibase(key)[1:])[:2] == b"\x80\x26"


@given(st.binary(min_size=32, max_size=32))
def test_any_seed_round_trips(seed):
    secret = encode_multibase(b"\x80\x26" + seed)

    key = private_key_from_multibase(secret)

    assert key.private_bytes_raw() == seed
    assert secret_key_multibase(key) == secret
    public = public_key_multibase(key)
    assert public_key_from_multibase(public).public_bytes_raw() == key.public_key().public_bytes_raw()


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq", "0x8026, expected 0xed01"),  # a secret, not a public key
        (encode_multibase(b"\xed" + bytes(32)), "expected 0xed01"),  # the one-byte prefix mistake
        (encode_multibase(b"\xed\x01" + bytes(31)), "31 key bytes, expected 32"),
        (encode_multibase(b"\xed\x01" + bytes(33)), "33 key bytes, expected 32"),
        ("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "starting with 'z'"),
        ("z6Mk0OIl", "base58 alphabet"),
        (None, "starting with 'z'"),
    ],
)
def test_a_public_key_in_the_wrong_encoding_is_refused_clearly(value, complaint):
    with pytest.raises(MultikeyError, match=complaint):
        public_key_from_multibase(value)


def test_a_public_key_is_not_accepted_as_a_secret():
    vectors_dir = vectors()
    public = read_vector_json(vectors_dir, "keyPair.json")["publicKeyMultibase"]

    with pytest.raises(MultikeyError, match="0xed01, expected 0x8026"):
        private_key_from_multibase(public)


def test_the_key_file_is_readable_only_by_its_owner_and_loads_back(tmp_path):
    key = generate_private_key()

    path = save_private_key(tmp_path / "issuer.pem", key)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert load_private_key(path).private_bytes_raw() == key.private_bytes_raw()


def test_an_existing_key_file_is_never_overwritten(tmp_path):
    path = save_private_key(tmp_path / "issuer.pem", generate_private_key())
    before = path.read_bytes()

    with pytest.raises(FileExistsError):
        save_private_key(path, generate_private_key())

    assert path.read_bytes() == before


def test_a_key_file_that_is_not_an_ed25519_pem_is_refused_with_its_name(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq\n")
    other = tmp_path / "x25519.pem"
    other.write_bytes(
        X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    with pytest.raises(MultikeyError, match="junk.pem is not an unencrypted PEM private key"):
        load_private_key(junk)
    with pytest.raises(MultikeyError, match="x25519.pem holds a .*not an Ed25519 key"):
        load_private_key(other)
