"""Bitstring Status Lists: bit order, encoding, limits, entries and the list credential."""
from __future__ import annotations

import base64
import gzip
import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vc_helpers import NOW

from qualitymark.credentials import (
    StatusBits,
    StatusListError,
    build_status_list_credential,
    pick_free_index,
    status_entry,
)
from qualitymark.credentials.status_list import MINIMUM_SIZE

# An empty 131,072-bit list, worked out once and pinned: the gzip header 1f 8b 08 00 | 00 00 00 00
# (mtime 0) | 02 (XFL: best compression) 03 (OS: Unix), then the deflate stream of 16,384 zero
# bytes, then CRC-32 and length; base64url without padding behind the multibase "u".
EMPTY_LIST = "uH4sIAAAAAAACA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
# The same list as printed in the W3C Bitstring Status List spec (made by another gzip, which
# writes 00 as the XFL byte; everything else is identical).
SPEC_EXAMPLE_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte():
    bits = StatusBits()

    bits.set(0)
    bits.set(9)
    bits.set(MINIMUM_SIZE - 1)

    data = bits.to_bytes()
    assert data[0] == 0x80
    assert data[1] == 0x40
    assert data[-1] == 0x01
    assert sum(data) == 0x80 + 0x40 + 0x01


def test_set_get_clear():
    bits = StatusBits()

    bits.set(1234)
    assert bits.get(1234) and not bits.get(1233) and not bits.get(1235)
    bits.clear(1234)
    assert not bits.get(1234)


@pytest.mark.parametrize("index", [-1, MINIMUM_SIZE, True, "7"])
def test_an_index_outside_the_list_is_refused(index):
    with pytest.raises(IndexError):
        StatusBits().get(index)


def test_an_empty_list_encodes_to_the_known_value():
    encoded = StatusBits().encode()

    assert encoded == EMPTY_LIST
    packed = base64.urlsafe_b64decode(encoded[1:] + "==")
    assert packed[:10] == bytes.fromhex("1f8b0800000000000203")
    assert gzip.decompress(packed) == bytes(MINIMUM_SIZE // 8)


def test_the_spec_example_decodes_to_an_empty_list():
    bits = StatusBits.decode(SPEC_EXAMPLE_EMPTY_LIST)

    assert bits.size == MINIMUM_SIZE
    assert bits.to_bytes() == bytes(MINIMUM_SIZE // 8)


def test_the_multibase_prefix_is_optional_when_decoding():
    bits = StatusBits()
    bits.set(77)

    assert StatusBits.decode(bits.encode()[1:]).get(77)


@given(st.sets(st.integers(min_value=0, max_value=MINIMUM_SIZE - 1), max_size=200))
def test_any_set_of_indices_round_trips(indices):
    bits = StatusBits()
    for index in indices:
        bits.set(index)

    decoded = StatusBits.decode(bits.encode())

    assert decoded.to_bytes() == bits.to_bytes()
    assert all(decoded.get(index) for index in indices)
    assert sum(bin(byte).count("1") for byte in decoded.to_bytes()) == len(indices)


def test_a_bigger_list_round_trips():
    bits = StatusBits(size=2 * MINIMUM_SIZE)
    bits.set(2 * MINIMUM_SIZE - 1)

    decoded = StatusBits.decode(bits.encode())

    assert decoded.size == 2 * MINIMUM_SIZE and decoded.get(2 * MINIMUM_SIZE - 1)


def _encode_raw(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(data, mtime=0)).rstrip(b"=").decode()


def test_a_list_below_the_minimum_size_is_refused():
    with pytest.raises(StatusListError, match="fewer than the minimum 131072"):
        StatusBits.decode(_encode_raw(bytes(MINIMUM_SIZE // 8 - 1)))
    with pytest.raises(StatusListError, match="at least 131072 bits"):
        StatusBits(size=MINIMUM_SIZE - 8)


def test_a_gzip_bomb_is_refused_without_inflating_it():
    with pytest.raises(StatusListError, match="inflates past"):
        StatusBits.decode(_encode_raw(bytes(100 * MINIMUM_SIZE // 8)))


@pytest.mark.parametrize("encoded", ["", "u", "u!!!!", "uAAAA", "u" + EMPTY_LIST[1:40], 12])
def test_garbage_is_refused_as_a_status_list_error(encoded):
    with pytest.raises(StatusListError):
        StatusBits.decode(encoded)


def test_a_status_entry_points_at_one_bit():
    entry = status_entry("https://cqm.example/status/revocation/1", 94567, "revocation")

    assert entry == {
        "id": "https://cqm.example/status/revocation/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://cqm.example/status/revocation/1",
    }


def test_the_status_list_credential_is_a_vc2_bitstring_status_list():
    credential = build_status_list_credential(
        id="https://cqm.example/status/suspension/1",
        issuer="did:web:cqm.example",
        purpose="suspension",
        encoded_list=EMPTY_LIST,
        valid_from=NOW,
        valid_until=NOW + timedelta(minutes=5),
        ttl_ms=300_000,
    )

    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://cqm.example/status/suspension/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:cqm.example",
        "validFrom": "2025-06-01T12:00:00Z",
        "validUntil": "2025-06-01T12:05:00Z",
        "credentialSubject": {
            "id": "https://cqm.example/status/suspension/1#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": EMPTY_LIST,
            "ttl": 300_000,
        },
    }


def test_a_free_index_is_random_and_never_a_used_one():
    used = set(range(0, MINIMUM_SIZE, 2))  # half the list

    picks = {pick_free_index(used, MINIMUM_SIZE, random.Random(seed)) for seed in range(50)}

    assert picks.isdisjoint(used)
    assert len(picks) > 40  # spread out, not sequential


def test_a_nearly_full_list_still_finds_its_last_free_index():
    used = set(range(MINIMUM_SIZE)) - {4242}

    assert pick_free_index(used) == 4242


def test_a_full_list_says_so():
    with pytest.raises(StatusListError, match="start a new list"):
        pick_free_index(set(range(MINIMUM_SIZE)))
