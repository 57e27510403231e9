"""Verifiable certificates: Data Integrity EdDSA proofs, Multikey, did:web, Bitstring Status List.

The pure core: plain functions on dicts and bytes, no Flask, no database, no network (DID
documents and status lists are fetched by the caller and passed in). The recipe is
shared/domain/verifiable-credentials.md.
"""
from qualitymark.credentials.did import (
    DidError,
    ResolutionError,
    build_did_document,
    did_web_from_base_url,
    did_web_to_url,
    find_verification_method,
    resolve_did_key,
)
from qualitymark.credentials.documentloader import ContextNotAllowedError, document_loader
from qualitymark.credentials.multikey import (
    MultikeyError,
    generate_private_key,
    load_private_key,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
    save_private_key,
    secret_key_multibase,
)
from qualitymark.credentials.openbadges import build_open_badge_credential
from qualitymark.credentials.proof_set import proofs_of, sign_credential, verify_proof
from qualitymark.credentials.proofs import ProofError
from qualitymark.credentials.status_list import (
    REVOCATION,
    SUSPENSION,
    StatusBits,
    StatusListError,
    build_status_list_credential,
    pick_free_index,
    status_entry,
)
from qualitymark.credentials.verify import CheckResult, VerificationReport, verify_credential

__all__ = [
    "REVOCATION",
    "SUSPENSION",
    "CheckResult",
    "ContextNotAllowedError",
    "DidError",
    "MultikeyError",
    "ProofError",
    "ResolutionError",
    "StatusBits",
    "StatusListError",
    "VerificationReport",
    "build_did_document",
    "build_open_badge_credential",
    "build_status_list_credential",
    "did_web_from_base_url",
    "did_web_to_url",
    "document_loader",
    "find_verification_method",
    "generate_private_key",
    "load_private_key",
    "pick_free_index",
    "private_key_from_multibase",
    "proofs_of",
    "public_key_from_multibase",
    "public_key_multibase",
    "resolve_did_key",
    "save_private_key",
    "secret_key_multibase",
    "sign_credential",
    "status_entry",
    "verify_credential",
    "verify_proof",
]
