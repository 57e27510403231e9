"""W3C Bitstring Status List v1.0: which certificates are withdrawn or suspended.

Bit i is the most significant bit of byte i // 8 (bit 0 → 0x80 in the first byte), and the list
travels as encodedList = "u" + base64url_nopad(gzip(bits)).
"""
from __future__ import annotations

import base64
import binascii
import random
import secrets
import zlib
from datetime import datetime

from qualitymark.credentials.documentloader import VC_V2
from qualitymark.credentials.timestamps import format_datetime

MINIMUM_SIZE = 131_072  # bits (16 KiB): the spec's floor, so one index says little about who holds it
REVOCATION = "revocation"
SUSPENSION = "suspension"
# A bigger list is allowed, but a gzip bomb is not: refuse to inflate past this.
MAXIMUM_SIZE = 64 * MINIMUM_SIZE


class StatusListError(ValueError):
    """An encoded status list or a status entry is malformed."""


class StatusBits:
    """A fixed-size list of status bits, all clear to begin with."""

    def __init__(self, size: int = MINIMUM_SIZE, *, data: bytes | None = None):
        if size < MINIMUM_SIZE or size % 8:
            raise StatusListError(f"a status list has at least {MINIMUM_SIZE} bits, in whole bytes; got {size}")
        if data is not None and len(data) * 8 != size:
            raise StatusListError(f"{len(data)} bytes do not hold {size} bits")
        self.size = size
        self._bytes = bytearray(data if data is not None else size // 8)

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise IndexError(f"status index {index!r} is outside 0..{self.size - 1}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        byte, mask = self._locate(index)
        return bool(self._bytes[byte] & mask)

    def set(self, index: int) -> None:
        byte, mask = self._locate(index)
        self._bytes[byte] |= mask

    def clear(self, index: int) -> None:
        byte, mask = self._locate(index)
        self._bytes[byte] &= ~mask

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def encode(self) -> str:
        """The encodedList value: "u" + base64url without padding of the gzipped bits.

        The gzip header has mtime 0, so the same bits always encode to the same text (stable
        ETags and diffs). zlib writes the gzip framing itself (wbits=31), as
        gzip.compress(mtime=0) did on Python 3.11 and 3.12; from 3.13 the gzip module patches
        the OS byte to 255 (cpython gh-112346), which would change every list's text.
        """
        packed = zlib.compress(self.to_bytes(), level=9, wbits=31)
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded_list: object) -> StatusBits:
        """Read an encodedList, with or without its multibase "u" prefix."""
        if not isinstance(encoded_list, str) or not encoded_list:
            raise StatusListError("encodedList must be a non-empty string")
        text = encoded_list[1:] if encoded_list.startswith("u") else encoded_list
        try:
            packed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as error:
            raise StatusListError(f"encodedList is not base64url: {error}") from error
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
        try:
            data = inflater.decompress(packed, MAXIMUM_SIZE // 8 + 1)
        except zlib.error as error:
            raise StatusListError(f"encodedList is not gzip data: {error}") from error
        if len(data) > MAXIMUM_SIZE // 8:
            raise StatusListError(f"encodedList inflates past {MAXIMUM_SIZE} bits; refusing it")
        if not inflater.eof:
            raise StatusListError("encodedList is truncated")
        if len(data) * 8 < MINIMUM_SIZE:
            raise StatusListError(f"encodedList holds {len(data) * 8} bits, fewer than the minimum {MINIMUM_SIZE}")
        return cls(len(data) * 8, data=data)


def pick_free_index(used: set[int], size: int = MINIMUM_SIZE, rng: random.Random = secrets.SystemRandom()) -> int:
    """A random index not in `used`.

    Random, not sequential, so that an index does not reveal when a certificate was issued or
    how many came before it.
    """
    free_count = size - len({index for index in used if 0 <= index < size})
    if free_count <= 0:
        raise StatusListError(f"all {size} indices of the status list are used; start a new list")
    if len(used) < size // 2:
        # Mostly empty: rejection sampling is fast and never builds the whole free set.
        while True:
            index = rng.randrange(size)
            if index not in used:
                return index
    return rng.choice(sorted(set(range(size)) - used))


def status_entry(list_credential_url: str, index: int, purpose: str) -> dict:
    """A credentialStatus entry pointing at bit `index` of the list at `list_credential_url`."""
    if not isinstance(index, int) or index < 0:
        raise StatusListError(f"status index must be a non-negative integer, got {index!r}")
    return {
        "id": f"{list_credential_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_url,
    }


def build_status_list_credential(
    id: str,
    issuer: str,
    purpose: str,
    encoded_list: str,
    valid_from: datetime,
    valid_until: datetime,
    ttl_ms: int,
) -> dict:
    """The unsigned BitstringStatusListCredential; sign it with `sign_credential`.

    `ttl_ms` (whole milliseconds) tells verifiers how long they may cache it; serve the list with
    a matching Cache-Control max-age, and keep `valid_until` short so a stale copy stops verifying.
    """
    if not isinstance(ttl_ms, int) or isinstance(ttl_ms, bool) or ttl_ms <= 0:
        raise StatusListError(f"ttl_ms must be a positive whole number of milliseconds, got {ttl_ms!r}")
    StatusBits.decode(encoded_list)  # refuse to publish a list nobody could read
    return {
        "@context": [VC_V2],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "validUntil": format_datetime(valid_until),
        "credentialSubject": {
            "id": f"{id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
            "ttl": ttl_ms,
        },
    }
