"""The eddsa-jcs-2022 cryptosuite: RFC 8785 canonical JSON, SHA-256, Ed25519.

No JSON-LD processing: every byte of the JSON is signed, whatever its terms mean.
"""
from __future__ import annotations

from datetime import datetime

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qualitymark.credentials.proofs import (
    HashData,
    ProofError,
    check_proof_options,
    proof_options,
    signature_matches,
    signed_proof,
    split_proof,
    without_proof,
)

CRYPTOSUITE = "eddsa-jcs-2022"


def canonicalize(value: object) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise ProofError(f"cannot be written as canonical JSON (RFC 8785): {error}") from error


def hash_data(unsecured_document: dict, proof_config: dict) -> HashData:
    check_proof_options(proof_config, CRYPTOSUITE)
    return HashData(canonicalize(unsecured_document), canonicalize(proof_config))


def proof_config_for(unsecured_document: dict, verification_method: str, created: datetime) -> dict:
    """The proof options; they carry the document's @context, and so does the final proof."""
    config = proof_options(CRYPTOSUITE, verification_method, created)
    if "@context" in unsecured_document:
        config["@context"] = unsecured_document["@context"]
    return config


def create_proof(
    unsecured_document: dict, private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict:
    config = proof_config_for(unsecured_document, verification_method, created)
    return signed_proof(config, hash_data(unsecured_document, config), private_key)


def verify_proof(document: dict, proof: dict, public_key: Ed25519PublicKey) -> bool:
    """True if `proof` is a valid eddsa-jcs-2022 signature over `document` (any proof in it ignored).

    Raises ProofError when the proof cannot be processed at all.
    """
    options, signature = split_proof(proof)
    unsecured = without_proof(document)
    if "@context" in options:
        # The proof signs the document as read with the proof's contexts; the document may add
        # more after them, but may not change or reorder those.
        proof_context = _as_list(options["@context"])
        document_context = _as_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            return False
        unsecured["@context"] = options["@context"]
    return signature_matches(public_key, signature, hash_data(unsecured, options))


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
