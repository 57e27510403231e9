"""The eddsa-rdfc-2022 cryptosuite: JSON-LD → RDF, RDF Dataset Canonicalization, SHA-256, Ed25519.

pyld names the canonicalization algorithm "URDNA2015"; RDFC-1.0 is its standardised form and
gives the same N-Quads for these documents (the W3C vectors are reproduced byte for byte).
"""
from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from qualitymark.credentials.documentloader import ContextNotAllowedError, jsonld_options
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

CRYPTOSUITE = "eddsa-rdfc-2022"


class UndefinedTermError(ProofError):
    """The document uses a term no context defines, so canonicalization would silently drop it."""


def canonicalize(document: dict) -> bytes:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document, UTF-8 encoded.

    Runs in "safe mode": a property or type that its contexts do not define is an error rather
    than being dropped, because a dropped claim is not covered by the signature, and a verifier
    would show text that nobody signed.

    Raises ContextNotAllowedError for a context this package does not ship, ProofError for any
    other failure.
    """

    def refuse(term: str | None) -> None:
        raise UndefinedTermError(f"the term {term!r} is not defined by the document's JSON-LD contexts")

    options = jsonld_options()
    processor = jsonld.JsonLdProcessor(on_property_dropped=refuse)
    try:
        expanded = processor.expand(document, options)
        _refuse_relative_iris(expanded)
        nquads = processor.normalize(
            expanded, {**options, "algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except Exception as error:  # noqa: BLE001 - untrusted input; see below
        # pyld wraps what our loader and drop handler raise several times over; find it again.
        refused = _in_chain(error, ContextNotAllowedError)
        if refused is not None:
            raise ContextNotAllowedError(refused.url) from error
        undefined = _in_chain(error, UndefinedTermError)
        if undefined is not None:
            raise UndefinedTermError(str(undefined)) from error
        # Besides JsonLdError, pyld lets built-in exceptions escape on malformed input (a
        # ValueError from its IRI resolver for an empty context URL, for one). To a verifier
        # they all mean the same: this document cannot be read, so its signature cannot hold.
        raise ProofError(f"cannot be read as JSON-LD: {error.args[0] if error.args else error}") from error
    return nquads.encode("utf-8")


def _in_chain(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _refuse_relative_iris(expanded: object) -> None:
    """Types and ids that did not become absolute IRIs produce no RDF at all; refuse them too."""
    if isinstance(expanded, list):
        for item in expanded:
            _refuse_relative_iris(item)
    elif isinstance(expanded, dict):
        for key, value in expanded.items():
            if key in ("@type", "@id"):
                for iri in value if isinstance(value, list) else [value]:
                    if isinstance(iri, str) and not (iri.startswith(("_:", "@")) or _is_absolute(iri)):
                        raise UndefinedTermError(
                            f"the type {iri!r} is not defined by the document's JSON-LD contexts" if key == "@type"
                            else f"the identifier {iri!r} is not an absolute IRI"
                        )
            else:
                _refuse_relative_iris(value)


def _is_absolute(iri: str) -> bool:
    scheme, colon, _ = iri.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def hash_data(unsecured_document: dict, proof_config: dict) -> HashData:
    check_proof_options(proof_config, CRYPTOSUITE)
    return HashData(canonicalize(unsecured_document), canonicalize(proof_config))


def proof_config_for(unsecured_document: dict, proof: dict) -> dict:
    """The proof options read with the document's @context (which the final proof does not carry)."""
    config = {name: value for name, value in proof.items() if name != "@context"}
    if "@context" in unsecured_document:
        config["@context"] = unsecured_document["@context"]
    return config


def create_proof(
    unsecured_document: dict, private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict:
    proof = proof_options(CRYPTOSUITE, verification_method, created)
    config = proof_config_for(unsecured_document, proof)
    return signed_proof(proof, hash_data(unsecured_document, config), private_key)


def verify_proof(document: dict, proof: dict, public_key: Ed25519PublicKey) -> bool:
    """True if `proof` is a valid eddsa-rdfc-2022 signature over `document` (any proof in it ignored).

    Raises ProofError when the proof or document cannot be processed, ContextNotAllowedError when
    the document needs a context this package does not ship.
    """
    options, signature = split_proof(proof)
    unsecured = without_proof(document)
    return signature_matches(public_key, signature, hash_data(unsecured, proof_config_for(unsecured, options)))
