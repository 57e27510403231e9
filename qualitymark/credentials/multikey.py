"""Ed25519 keys as Multikey strings, and the issuer's private key file.

publicKeyMultibase = "z" + base58btc(0xed 0x01 ‖ 32-byte public key)   → "z6Mk…"
secretKeyMultibase = "z" + base58btc(0x80 0x26 ‖ 32-byte seed)         → "z3u2…"

The key file is PKCS#8 PEM (unencrypted): the format `openssl pkey` and every crypto library
read, so an operator can inspect or back it up with standard tools. It is created with mode 0600
and never overwritten.
"""
from __future__ import annotations

import os
from pathlib import Path

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Multicodec codes are varints: 0xed ("ed25519-pub") is written 0xed 0x01, 0x1300
# ("ed25519-priv") is written 0x80 0x26.
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_SECRET_PREFIX = b"\x80\x26"
KEY_LENGTH = 32


class MultikeyError(ValueError):
    """A Multikey string is not an Ed25519 key in the expected encoding."""


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def encode_multibase(data: bytes) -> str:
    """Multibase base58btc: "z" followed by base58 (Bitcoin alphabet)."""
    return "z" + base58.b58encode(data).decode("ascii")


def decode_multibase(value: object, what: str = "value") -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise MultikeyError(f"{what} must be a base58btc multibase string starting with 'z', got {value!r}")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise MultikeyError(f"{what} {value!r} contains characters outside the base58 alphabet") from error


def _strip_prefix(value: object, prefix: bytes, what: str) -> bytes:
    data = decode_multibase(value, what)
    if data[:2] != prefix:
        raise MultikeyError(
            f"{what} {value!r} starts with multicodec 0x{data[:2].hex()}, expected 0x{prefix.hex()}"
        )
    if len(data) != len(prefix) + KEY_LENGTH:
        raise MultikeyError(
            f"{what} {value!r} holds {len(data) - len(prefix)} key bytes, expected {KEY_LENGTH}"
        )
    return data[len(prefix):]


def public_key_multibase(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The publicKeyMultibase ("z6Mk…") of a key (of the public half of a private key)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return encode_multibase(ED25519_PUBLIC_PREFIX + public.public_bytes_raw())


def secret_key_multibase(key: Ed25519PrivateKey) -> str:
    """The secretKeyMultibase ("z3u2…") holding the 32-byte seed."""
    return encode_multibase(ED25519_SECRET_PREFIX + key.private_bytes_raw())


def public_key_from_multibase(value: object) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_strip_prefix(value, ED25519_PUBLIC_PREFIX, "publicKeyMultibase"))


def private_key_from_multibase(value: object) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_strip_prefix(value, ED25519_SECRET_PREFIX, "secretKeyMultibase"))


def save_private_key(path: str | os.PathLike[str], key: Ed25519PrivateKey) -> Path:
    """Write `key` as PKCS#8 PEM to a new file readable only by its owner.

    Refuses to replace an existing file: overwriting the issuer's key would make every
    certificate signed with it unverifiable once the DID document moves on.
    """
    path = Path(path)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    # O_EXCL with mode 0600 at creation: the key is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # umask can only remove bits; this pins the rest
        file.write(pem)
    return path


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read a PKCS#8 PEM Ed25519 private key written by `save_private_key` (or openssl)."""
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise MultikeyError(
            f"{path} is not an unencrypted PEM private key ({error}); "
            "create one with `openssl genpkey -algorithm ed25519 -out FILE`"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise MultikeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key
