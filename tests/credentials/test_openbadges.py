"""The certificate as an Open Badges 3.0 credential: shape, JSON-LD meaning, signing, tamper-evidence."""
from __future__ import annotations

from datetime import timedelta

import pytest
from pyld import jsonld
from vc_helpers import NOW, Issuer, changed, leaves, with_leaf

from qualitymark.credentials import sign_credential, verify_credential
from qualitymark.credentials.documentloader import jsonld_options

_PROBE = Issuer()
SIGNED_LEAVES = [path for path, _ in leaves(_PROBE.issue()) if path[0] != "proof"]


def test_the_certificate_has_the_open_badges_3_shape(issuer):
    credential = issuer.unsigned_certificate()

    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {
        "id": "did:web:cqm.example",
        "type": ["Profile"],
        "name": "Care Quality Mark certification office",
        "url": "https://cqm.example/",
    }
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"] == "https://cqm.example/register/gofal-cymunedol"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["criteria"] == {"id": "https://cqm.example/rubrics/care-quality-mark/2025.1"}
    assert achievement["achievementType"] == "Certification"
    assert achievement["tag"] == ["Excellent"]
    assert credential["validFrom"] == "2025-05-02T12:00:00Z"
    assert credential["validUntil"] == "2028-05-31T12:00:00Z"
    assert [entry["statusPurpose"] for entry in credential["credentialStatus"]] == ["revocation", "suspension"]


def test_no_claim_is_a_float(issuer):
    assert not [path for path, value in leaves(issuer.issue()) if isinstance(value, float)]


def test_signing_refuses_a_float_claim(issuer):
    credential = issuer.unsigned_certificate()
    credential["credentialSubject"]["score"] = 3.5

    with pytest.raises(ValueError, match=r"credential.credentialSubject.score is a floating-point number"):
        sign_credential(credential, issuer.keys["key-1"], issuer.method(), NOW)


def _properties(node, keywords=("id", "type", "@context")):
    """Every property name used in a JSON-LD document, once per occurrence."""
    if isinstance(node, list):
        return [name for item in node for name in _properties(item, keywords)]
    if isinstance(node, dict):
        own = [name for name in node if name not in keywords and not name.startswith("@")]
        return own + [name for value in node.values() for name in _properties(value, keywords)]
    return []


def test_every_term_expands_to_an_iri_through_the_offline_contexts(issuer):
    credential = issuer.issue()
    dropped = []

    expanded = jsonld.expand(credential, jsonld_options(), on_property_dropped=dropped.append)

    assert dropped == []
    expanded_properties = _properties(expanded)
    # One expanded property for every property written: none lost, none merged away.
    assert len(expanded_properties) == len(_properties(credential))
    assert all(iri.startswith(("https://", "http://")) for iri in expanded_properties), expanded_properties
    for iri in [
        "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement",
        "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria",
        "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType",
        "https://schema.org/keywords",
        "https://schema.org/url",
        "https://www.w3.org/2018/credentials#validUntil",
        "https://www.w3.org/ns/credentials/status#statusListIndex",
    ]:
        assert iri in expanded_properties


def test_the_certificate_signs_with_both_suites_and_verifies(issuer):
    credential = issuer.issue()

    assert [proof["cryptosuite"] for proof in credential["proof"]] == ["eddsa-jcs-2022", "eddsa-rdfc-2022"]
    report = verify_credential(credential, issuer.resolve, issuer.fetch_status_list, NOW)
    assert report.result == "valid", report.checks


@pytest.mark.parametrize("path", SIGNED_LEAVES, ids=lambda path: ".".join(map(str, path)))
def test_changing_any_one_claim_makes_the_certificate_invalid(signed_certificate, path):
    issuer, credential = signed_certificate
    original = dict(leaves(credential))[path]

    report = verify_credential(with_leaf(credential, path, changed(original)), issuer.resolve, issuer.fetch_status_list, NOW)

    assert report.result == "invalid"
    assert report.claims is None
    assert report.check("signature:eddsa-jcs-2022").status == "failed"
    assert report.check("signature:eddsa-rdfc-2022").status != "passed"


def test_there_are_enough_claims_to_make_the_tamper_test_meaningful():
    assert len(SIGNED_LEAVES) >= 30


def test_valid_until_must_come_after_valid_from(issuer):
    with pytest.raises(ValueError, match="must be after"):
        issuer.unsigned_certificate(valid_until=NOW - timedelta(days=60))


def test_an_empty_name_is_refused(issuer):
    with pytest.raises(ValueError, match="subject_name must be a non-empty string"):
        issuer.unsigned_certificate(subject_name="  ")
