"""What a member of the public learns from checking a certificate."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vc_helpers import NOW, Issuer, leaves, refuse_resolution, with_leaf

from qualitymark.credentials import (
    REVOCATION,
    SUSPENSION,
    ResolutionError,
    StatusBits,
    generate_private_key,
    public_key_multibase,
    sign_credential,
    verify_credential,
)


def verify(issuer: Issuer, credential: dict, **overrides):
    arguments = dict(resolve_did=issuer.resolve, fetch_status_list=issuer.fetch_status_list, now=NOW)
    arguments.update(overrides)
    return verify_credential(credential, **arguments)


def statuses(report) -> dict:
    return {check.name: check.status for check in report.checks}


def test_a_genuine_current_certificate_is_valid(issuer):
    report = verify(issuer, issuer.issue())

    assert report.result == "valid", report.checks
    assert statuses(report) == {
        "well_formed": "passed",
        "signature:eddsa-jcs-2022": "passed",
        "signer_is_issuer:eddsa-jcs-2022": "passed",
        "key_not_retired:eddsa-jcs-2022": "passed",
        "signature:eddsa-rdfc-2022": "passed",
        "signer_is_issuer:eddsa-rdfc-2022": "passed",
        "key_not_retired:eddsa-rdfc-2022": "passed",
        "validity_period": "passed",
        "status:revocation": "passed",
        "status:suspension": "passed",
    }
    assert report.claims["credentialSubject"]["name"] == "Gofal Cymunedol Co-operative"
    assert "proof" not in report.claims
    assert all(check.message.endswith(".") and len(check.message) > 30 for check in report.checks)


def test_an_expired_certificate_is_invalid_and_says_when_it_expired(issuer):
    credential = issuer.issue(valid_from=NOW - timedelta(days=1200), valid_until=NOW - timedelta(days=105))

    report = verify(issuer, credential)

    assert report.result == "invalid"
    assert report.check("validity_period").status == "failed"
    assert "expired" in report.check("validity_period").message
    assert "16 February 2025" in report.check("validity_period").message
    assert report.claims is not None  # genuine, just out of date: the page may show what it was


def test_a_certificate_that_is_not_valid_yet_is_invalid(issuer):
    credential = issuer.issue(valid_from=NOW + timedelta(days=2), valid_until=NOW + timedelta(days=900))

    report = verify(issuer, credential)

    assert report.result == "invalid"
    assert "not valid yet" in report.check("validity_period").message


def test_a_withdrawn_certificate_is_invalid(issuer):
    credential = issuer.issue(index=42)
    issuer.lists[REVOCATION].set(42)

    report = verify(issuer, credential)

    assert report.result == "invalid"
    assert report.check("status:revocation").status == "failed"
    assert "withdrawn" in report.check("status:revocation").message
    assert report.check("status:suspension").status == "passed"


def test_a_suspended_certificate_is_invalid_until_reinstated(issuer):
    credential = issuer.issue(index=42)
    issuer.lists[SUSPENSION].set(42)

    suspended = verify(issuer, credential)
    issuer.lists[SUSPENSION].clear(42)
    reinstated = verify(issuer, credential)

    assert suspended.result == "invalid"
    assert suspended.check("status:suspension").status == "failed"
    assert "suspended" in suspended.check("status:suspension").message
    assert reinstated.result == "valid"


def test_another_certificate_withdrawn_does_not_affect_this_one(issuer):
    credential = issuer.issue(index=42)
    issuer.lists[REVOCATION].set(43)

    assert verify(issuer, credential).result == "valid"


def test_an_unreachable_status_list_means_could_not_check_not_valid(issuer):
    credential = issuer.issue()

    def offline(url):
        raise ResolutionError("connection timed out")

    report = verify(issuer, credential, fetch_status_list=offline)

    assert report.result == "could_not_check"
    revocation = report.check("status:revocation")
    assert revocation.status == "could_not_check"
    assert "connection timed out" in revocation.message
    assert "may have been withdrawn" in revocation.message
    assert report.claims is not None  # the signature itself was confirmed


def test_status_checking_switched_off_is_reported_not_assumed(issuer):
    report = verify(issuer, issuer.issue(), fetch_status_list=None)

    assert report.result == "could_not_check"
    assert report.check("status:suspension").status == "could_not_check"


def test_an_unresolvable_issuer_means_could_not_check_and_no_claims(issuer):
    def unresolvable(did):
        raise ResolutionError("HTTP 503 from cqm.example")

    report = verify(issuer, issuer.issue(), resolve_did=unresolvable)

    assert report.result == "could_not_check"
    signature = report.check("signature:eddsa-jcs-2022")
    assert signature.status == "could_not_check"
    assert "did:web:cqm.example" in signature.message and "HTTP 503" in signature.message
    assert report.check("status:revocation").status == "could_not_check"
    assert report.claims is None


def test_a_tampered_certificate_is_invalid_and_shows_no_claims(issuer):
    credential = issuer.issue()
    credential["credentialSubject"]["achievement"]["name"] = "Care Quality Mark — Outstanding"

    report = verify(issuer, credential)

    assert report.result == "invalid"
    assert report.check("signature:eddsa-jcs-2022").status == "failed"
    assert report.check("signature:eddsa-rdfc-2022").status == "failed"
    assert report.claims is None
    # Nor is the status list consulted on the word of an unsigned document.
    assert report.check("status:revocation").status == "could_not_check"


def test_an_added_undefined_claim_breaks_the_rdfc_signature_too(issuer):
    """JSON-LD would silently drop an undefined term; the verifier refuses instead."""
    credential = issuer.issue()
    credential["credentialSubject"]["rating"] = "outstanding"

    report = verify(issuer, credential)

    assert report.check("signature:eddsa-rdfc-2022").status == "failed"
    assert "'rating' is not defined" in report.check("signature:eddsa-rdfc-2022").message


def test_a_certificate_without_signature_is_invalid(issuer):
    report = verify(issuer, issuer.unsigned_certificate())

    assert report.result == "invalid"
    assert report.check("signature").status == "failed"
    assert report.claims is None


def test_a_certificate_signed_by_someone_else_names_the_mismatch():
    office, impostor = Issuer(), Issuer(did="did:web:impostor.example")
    credential = sign_credential(
        office.unsigned_certificate(), impostor.keys["key-1"], impostor.method(), NOW - timedelta(days=1)
    )

    def resolve(did):
        return impostor.did_document() if did == impostor.did else office.did_document()

    report = verify(office, credential, resolve_did=resolve)

    assert report.check("signature:eddsa-jcs-2022").status == "passed"
    mismatch = report.check("signer_is_issuer:eddsa-jcs-2022")
    assert mismatch.status == "failed"
    assert "did:web:impostor.example" in mismatch.message and "did:web:cqm.example" in mismatch.message
    assert report.result == "invalid"
    assert report.claims is None


class TestRetiredKeys:
    RETIRED_AT = NOW - timedelta(days=10)

    @pytest.fixture
    def rotated(self) -> Issuer:
        office = Issuer()
        office.keys["key-2"] = generate_private_key()
        office.retired["key-1"] = self.RETIRED_AT
        return office

    def test_a_proof_made_before_its_key_was_retired_still_counts(self, rotated):
        credential = rotated.issue(signing_key="key-1", created=self.RETIRED_AT - timedelta(seconds=1))

        report = verify(rotated, credential)

        assert report.result == "valid", report.checks
        assert "before its key was retired" in report.check("key_not_retired:eddsa-jcs-2022").message

    def test_a_proof_made_after_its_key_was_retired_is_invalid(self, rotated):
        credential = rotated.issue(signing_key="key-1", created=self.RETIRED_AT + timedelta(seconds=1))

        report = verify(rotated, credential)

        assert report.result == "invalid"
        assert report.check("signature:eddsa-jcs-2022").status == "passed"
        assert report.check("key_not_retired:eddsa-jcs-2022").status == "failed"
        assert report.check("key_not_retired:eddsa-rdfc-2022").status == "failed"
        assert report.claims is None

    def test_a_proof_made_at_the_moment_of_retirement_is_invalid(self, rotated):
        credential = rotated.issue(signing_key="key-1", created=self.RETIRED_AT)

        assert verify(rotated, credential).result == "invalid"

    def test_the_new_key_signs_valid_certificates(self, rotated):
        assert verify(rotated, rotated.issue(signing_key="key-2", created=NOW)).result == "valid"


class TestUntrustworthyStatusLists:
    def test_a_status_list_with_a_broken_signature_is_not_believed(self, issuer):
        credential = issuer.issue(index=42)
        issuer.lists[REVOCATION].set(42)
        forged = issuer.status_list_credential(REVOCATION)
        forged["credentialSubject"]["encodedList"] = StatusBits().encode()  # "nothing withdrawn"

        report = verify(issuer, credential, fetch_status_list=lambda url: forged if url == forged["id"] else issuer.fetch_status_list(url))

        assert report.check("status:revocation").status == "could_not_check"
        assert "cannot be trusted" in report.check("status:revocation").message
        assert report.result == "could_not_check"

    def test_a_stale_status_list_is_not_believed(self, issuer):
        issuer.list_valid_until = NOW - timedelta(seconds=1)

        report = verify(issuer, issuer.issue())

        assert report.check("status:revocation").status == "could_not_check"
        assert "out of date" in report.check("status:revocation").message

    def test_a_status_list_from_another_issuer_is_not_believed(self, issuer):
        stranger = Issuer(did="did:web:stranger.example")

        def resolve(did):
            return stranger.did_document() if did == stranger.did else issuer.did_document()

        report = verify(issuer, issuer.issue(), fetch_status_list=stranger.fetch_status_list, resolve_did=resolve)

        assert report.check("status:revocation").status == "could_not_check"
        assert "not by the certificate's issuer" in report.check("status:revocation").message

    def test_a_list_for_the_other_purpose_is_not_believed(self, issuer):
        report = verify(issuer, issuer.issue(), fetch_status_list=lambda url: issuer.status_list_credential(SUSPENSION) | {"id": url})

        assert report.check("status:revocation").status == "could_not_check"


@pytest.mark.parametrize("index", ["131072", "9" * 5000])
def test_an_index_beyond_the_list_is_reported_not_a_crash(issuer, index):
    unsigned = issuer.unsigned_certificate()
    unsigned["credentialStatus"][0]["statusListIndex"] = index
    credential = sign_credential(unsigned, issuer.keys["key-1"], issuer.method(), NOW)

    report = verify(issuer, credential)

    assert report.check("status:revocation").status == "could_not_check"
    assert report.result == "could_not_check"


def test_a_proof_set_is_checked_proof_by_proof(issuer):
    """Each proof covers the credential without any proof; breaking one leaves the other."""
    credential = issuer.issue()
    jcs_proof, rdfc_proof = credential["proof"]
    credential["proof"] = [jcs_proof, {**rdfc_proof, "proofValue": jcs_proof["proofValue"]}]

    report = verify(issuer, credential)

    assert report.check("signature:eddsa-jcs-2022").status == "passed"
    assert report.check("signature:eddsa-rdfc-2022").status == "failed"
    assert report.result == "invalid"
    assert report.claims is None


def test_the_w3c_style_single_proof_object_is_accepted(issuer):
    credential = issuer.issue()
    credential["proof"] = credential["proof"][0]

    assert verify(issuer, credential).result == "valid"


@pytest.mark.parametrize("not_a_credential", [None, [], "a string", 42])
def test_something_that_is_not_a_credential_is_invalid(issuer, not_a_credential):
    report = verify(issuer, not_a_credential)

    assert report.result == "invalid"
    assert report.claims is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_a_certificate_gives_a_report_never_a_crash_and_never_valid(signed_certificate, data):
    issuer, credential = signed_certificate
    paths = [path for path, _ in leaves(credential)] + [("credentialSubject",), ("proof",), ("issuer",), ("@context",)]
    path = data.draw(st.sampled_from(paths))
    replacement = data.draw(json_values)
    damaged = with_leaf(credential, path, replacement)
    if damaged == credential:
        return

    report = verify(issuer, json.loads(json.dumps(damaged)), resolve_did=issuer.resolve)

    assert report.result != "valid"


def test_verification_needs_an_aware_now(issuer):
    with pytest.raises(ValueError):
        verify(issuer, issuer.issue(), now=NOW.replace(tzinfo=None))


def test_a_did_key_issuer_is_resolved_without_the_resolver():
    key = generate_private_key()
    did = f"did:key:{public_key_multibase(key)}"
    credential = sign_credential(
        Issuer(did=did).unsigned_certificate(credential_status=[]), key, f"{did}#{public_key_multibase(key)}", NOW
    )

    report = verify_credential(credential, refuse_resolution, None, NOW)

    assert report.result == "valid", report.checks
