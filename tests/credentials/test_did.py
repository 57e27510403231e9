"""did:web URLs, the issuer's DID document, and did:key."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from vc_helpers import read_vector_json, vectors

from qualitymark.credentials import (
    DidError,
    build_did_document,
    did_web_from_base_url,
    did_web_to_url,
    find_verification_method,
    generate_private_key,
    public_key_multibase,
    resolve_did_key,
)


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.org", "https://example.org/.well-known/did.json"),
        ("did:web:example.org%3A3000", "https://example.org:3000/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A8443:issuers:care", "https://example.com:8443/issuers/care/did.json"),
    ],
)
def test_a_did_web_maps_to_the_url_of_its_document(did, url):
    assert did_web_to_url(did) == url


def test_a_development_server_may_use_plain_http():
    assert did_web_to_url("did:web:127.0.0.1%3A5000", scheme="http") == "http://127.0.0.1:5000/.well-known/did.json"


@pytest.mark.parametrize(
    ("base_url", "did"),
    [
        ("https://cqm.example", "did:web:cqm.example"),
        ("https://CQM.example/", "did:web:cqm.example"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://example.org/care/mark/", "did:web:example.org:care:mark"),
    ],
)
def test_a_site_url_gives_its_did_web(base_url, did):
    assert did_web_from_base_url(base_url) == did


def test_did_web_and_url_are_inverse():
    did = did_web_from_base_url("https://example.org:8443/a/b")

    assert did_web_to_url(did) == "https://example.org:8443/a/b/did.json"


@pytest.mark.parametrize("did", ["did:key:z6Mk", "did:web:", "did:web:example.org::x", "web:example.org"])
def test_a_malformed_did_web_is_refused(did):
    with pytest.raises(DidError):
        did_web_to_url(did)


@pytest.mark.parametrize("url", ["ftp://example.org", "https://example.org/?q=1", "https://[::1]:5000", "example.org"])
def test_a_url_did_web_cannot_express_is_refused(url):
    with pytest.raises(DidError):
        did_web_from_base_url(url)


def test_the_did_document_lists_current_and_retired_keys():
    current, old = public_key_multibase(generate_private_key()), public_key_multibase(generate_private_key())
    retired_at = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    document = build_did_document("did:web:cqm.example", [("key-2025", current, None), ("key-2024", old, retired_at)])

    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": "did:web:cqm.example",
        "verificationMethod": [
            {"id": "did:web:cqm.example#key-2025", "type": "Multikey", "controller": "did:web:cqm.example", "publicKeyMultibase": current},
            {
                "id": "did:web:cqm.example#key-2024",
                "type": "Multikey",
                "controller": "did:web:cqm.example",
                "publicKeyMultibase": old,
                "revoked": "2025-03-01T09:00:00Z",
            },
        ],
        "assertionMethod": ["did:web:cqm.example#key-2025", "did:web:cqm.example#key-2024"],
    }


def test_a_did_document_with_a_bad_key_or_repeated_id_is_refused():
    key = public_key_multibase(generate_private_key())

    with pytest.raises(DidError, match="key 'k1'"):
        build_did_document("did:web:x.org", [("k1", "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq", None)])
    with pytest.raises(DidError, match="repeat"):
        build_did_document("did:web:x.org", [("k1", key, None), ("k1", key, None)])


def test_a_did_key_resolves_to_its_own_key():
    vectors_dir = vectors()
    public = read_vector_json(vectors_dir, "keyPair.json")["publicKeyMultibase"]
    did = f"did:key:{public}"

    document = resolve_did_key(did)

    method = find_verification_method(document, f"{did}#{public}")
    assert method == {"id": f"{did}#{public}", "type": "Multikey", "controller": did, "publicKeyMultibase": public}


def test_a_did_key_that_is_not_ed25519_is_refused():
    with pytest.raises(DidError, match="not an Ed25519 did:key"):
        resolve_did_key("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")  # secp256k1


def test_a_key_must_be_listed_and_authorised_for_assertions():
    key = public_key_multibase(generate_private_key())
    document = build_did_document("did:web:x.org", [("k1", key, None)])
    not_authorised = {**document, "assertionMethod": []}
    relative = {**document, "verificationMethod": [{**document["verificationMethod"][0], "id": "#k1"}], "assertionMethod": ["#k1"]}

    assert find_verification_method(relative, "did:web:x.org#k1")["publicKeyMultibase"] == key
    with pytest.raises(DidError, match="has no key"):
        find_verification_method(document, "did:web:x.org#k2")
    with pytest.raises(DidError, match="not authorised for assertionMethod"):
        find_verification_method(not_authorised, "did:web:x.org#k1")
    with pytest.raises(DidError, match="is for 'did:web:x.org', not for 'did:web:y.org'"):
        find_verification_method(document, "did:web:y.org#k1")
