"""What both EdDSA cryptosuites share (W3C vc-di-eddsa): hashing, signing, proofValue, checks."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qualitymark.credentials.multikey import MultikeyError, decode_multibase, encode_multibase
from qualitymark.credentials.timestamps import format_datetime, parse_datetime

PROOF_TYPE = "DataIntegrityProof"
ASSERTION_METHOD = "assertionMethod"
SIGNATURE_LENGTH = 64


class ProofError(ValueError):
    """A proof (or the document under it) cannot be processed: malformed, not a signature mismatch."""


@dataclass(frozen=True)
class HashData:
    """The two canonical forms and the 64 bytes that get signed."""

    canonical_document: bytes
    canonical_proof_config: bytes

    @property
    def document_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_document).digest()

    @property
    def proof_config_hash(self) -> bytes:
        return hashlib.sha256(self.canonical_proof_config).digest()

    @property
    def combined(self) -> bytes:
        # The spec puts the proof configuration's hash first.
        return self.proof_config_hash + self.document_hash


def proof_options(cryptosuite: str, verification_method: str, created: datetime) -> dict:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION_METHOD,
    }


def check_proof_options(options: dict, cryptosuite: str) -> None:
    """The checks the spec's Proof Configuration step makes before hashing."""
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != cryptosuite:
        raise ProofError(
            f"proof has type {options.get('type')!r} and cryptosuite {options.get('cryptosuite')!r}, "
            f"expected {PROOF_TYPE!r} and {cryptosuite!r}"
        )
    if "created" in options:
        try:
            parse_datetime(options["created"])
        except ValueError as error:
            raise ProofError(f"proof 'created' is not a valid date: {error}") from error


def signed_proof(proof: dict, hash_data: HashData, private_key: Ed25519PrivateKey) -> dict:
    return {**proof, "proofValue": encode_multibase(private_key.sign(hash_data.combined))}


def split_proof(proof: object) -> tuple[dict, bytes]:
    """(proof options = the proof without proofValue, signature bytes)."""
    if not isinstance(proof, dict):
        raise ProofError("proof is not a JSON object")
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        signature = decode_multibase(proof.get("proofValue"), "proofValue")
    except MultikeyError as error:
        raise ProofError(str(error)) from error
    if len(signature) != SIGNATURE_LENGTH:
        raise ProofError(f"proofValue holds {len(signature)} bytes, an Ed25519 signature has {SIGNATURE_LENGTH}")
    return options, signature


def signature_matches(public_key: Ed25519PublicKey, signature: bytes, hash_data: HashData) -> bool:
    try:
        public_key.verify(signature, hash_data.combined)
    except InvalidSignature:
        return False
    return True


def without_proof(document: dict) -> dict:
    return {name: value for name, value in document.items() if name != "proof"}
