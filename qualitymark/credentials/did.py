"""did:web and did:key: naming the issuer and finding its keys.

Nothing here touches the network: `did_web_to_url` says where a did:web document lives, and the
caller fetches it.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

from qualitymark.credentials.multikey import MultikeyError, public_key_from_multibase
from qualitymark.credentials.timestamps import format_datetime

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
MULTIKEY = "Multikey"


class ResolutionError(Exception):
    """A DID or a status list could not be obtained (network down, 404, not JSON, …).

    Resolvers and status-list fetchers passed to `verify_credential` raise this; the verifier
    then reports "could not check" instead of guessing.
    """


class DidError(ValueError):
    """A DID or DID document is malformed."""


# --- did:web ---------------------------------------------------------------------------------

def did_web_to_url(did: str, *, scheme: str = "https") -> str:
    """Where the DID document of a did:web lives (did:web method spec, "Read (Resolve)").

    did:web:example.org               → https://example.org/.well-known/did.json
    did:web:example.org%3A3000        → https://example.org:3000/.well-known/did.json
    did:web:example.org:issuers:qm    → https://example.org/issuers/qm/did.json

    `scheme="http"` exists only for a development server on localhost; did:web itself is https.
    """
    if not did.startswith("did:web:") or len(did) == len("did:web:"):
        raise DidError(f"{did!r} is not a did:web identifier")
    host, *path = did[len("did:web:"):].split(":")
    host = unquote(host)
    if not host or "/" in host or any(not segment for segment in path):
        raise DidError(f"{did!r} is not a well-formed did:web identifier")
    location = "/".join(unquote(segment) for segment in path) if path else ".well-known"
    return f"{scheme}://{host}/{location}/did.json"


def did_web_from_base_url(base_url: str) -> str:
    """The did:web naming a site: "https://cqm.example/" → "did:web:cqm.example",
    "http://127.0.0.1:5000" → "did:web:127.0.0.1%3A5000", "https://x.org/a/b" → "did:web:x.org:a:b".
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DidError(f"{base_url!r} is not an http(s) URL with a host name")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DidError(f"{base_url!r} has a query, fragment or user name; did:web cannot express them")
    host = parts.hostname  # lower-cased by urlsplit; host names are case-insensitive
    if ":" in host:
        raise DidError(f"{base_url!r}: did:web cannot express an IPv6 address")
    if parts.port is not None:
        host += f"%3A{parts.port}"
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *segments])


def build_did_document(did: str, keys: Iterable[tuple[str, str, datetime | None]]) -> dict:
    """The issuer's DID document from (key id fragment, publicKeyMultibase, retired at | None).

    Every key ever used stays listed (and authorised for assertions) so certificates signed
    before a rotation keep verifying; a retired key carries "revoked", and the verifier rejects
    any proof it made at or after that time.
    """
    methods = []
    for fragment, multibase, revoked in keys:
        if not fragment or "#" in fragment:
            raise DidError(f"key id {fragment!r} must be a non-empty fragment without '#'")
        try:
            public_key_from_multibase(multibase)
        except MultikeyError as error:
            raise DidError(f"key {fragment!r}: {error}") from error
        method = {"id": f"{did}#{fragment}", "type": MULTIKEY, "controller": did, "publicKeyMultibase": multibase}
        if revoked is not None:
            method["revoked"] = format_datetime(revoked)
        methods.append(method)
    ids = [method["id"] for method in methods]
    if len(set(ids)) != len(ids):
        raise DidError(f"key ids repeat in {ids}")
    return {"@context": list(DID_CONTEXTS), "id": did, "verificationMethod": methods, "assertionMethod": ids}


# --- did:key ---------------------------------------------------------------------------------

def resolve_did_key(did: str) -> dict:
    """The DID document of an Ed25519 did:key (it is computed from the identifier itself).

    did:key:z6Mk… has one verification method, did:key:z6Mk…#z6Mk….
    """
    multibase = did[len("did:key:"):] if did.startswith("did:key:") else ""
    try:
        public_key_from_multibase(multibase)
    except MultikeyError as error:
        raise DidError(f"{did!r} is not an Ed25519 did:key: {error}") from error
    method_id = f"{did}#{multibase}"
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": MULTIKEY, "controller": did, "publicKeyMultibase": multibase}
        ],
        "assertionMethod": [method_id],
        "authentication": [method_id],
        "capabilityInvocation": [method_id],
        "capabilityDelegation": [method_id],
    }


# --- using a DID document --------------------------------------------------------------------

def did_of(verification_method_id: str) -> str:
    """The DID part of a verification method id ("did:web:x.org#key-1" → "did:web:x.org")."""
    return verification_method_id.split("#", 1)[0]


def find_verification_method(did_document: dict, method_id: str, relationship: str = "assertionMethod") -> dict:
    """The verification method `method_id`, provided the document authorises it for `relationship`.

    Raises DidError naming what is wrong (absent, not authorised, not an Ed25519 Multikey).
    """
    document_id = did_document.get("id")
    if document_id != did_of(method_id):
        raise DidError(f"the DID document is for {document_id!r}, not for {did_of(method_id)!r}")

    def absolute(reference: object) -> object:
        # DID documents may list methods by relative reference ("#key-1").
        return f"{document_id}{reference}" if isinstance(reference, str) and reference.startswith("#") else reference

    candidates = [
        method for method in _as_list(did_document.get("verificationMethod"))
        if isinstance(method, dict) and absolute(method.get("id")) == method_id
    ]
    authorised = _as_list(did_document.get(relationship))
    embedded = [m for m in authorised if isinstance(m, dict) and absolute(m.get("id")) == method_id]
    if not candidates and not embedded:
        raise DidError(f"the DID document has no key {method_id!r}")
    if not embedded and method_id not in [absolute(reference) for reference in authorised]:
        raise DidError(f"the key {method_id!r} is not authorised for {relationship}")
    method = (embedded or candidates)[0]
    if method.get("type") not in (MULTIKEY, "Ed25519VerificationKey2020"):
        raise DidError(f"the key {method_id!r} has type {method.get('type')!r}, not Multikey")
    try:
        public_key_from_multibase(method.get("publicKeyMultibase"))
    except MultikeyError as error:
        raise DidError(f"the key {method_id!r} is not an Ed25519 key: {error}") from error
    return method


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
