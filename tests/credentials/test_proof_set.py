"""Signing with a proof set: both suites, each over the credential without any proof."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from vc_helpers import NOW

from qualitymark.credentials import ProofError, sign_credential, verify_credential, verify_proof
from qualitymark.credentials import jcs
from qualitymark.credentials.proof_set import UnsupportedCryptosuiteError
from qualitymark.credentials.proofs import signed_proof, without_proof


def test_each_proof_of_the_set_covers_the_credential_without_any_proof(issuer):
    unsigned = issuer.unsigned_certificate()
    before = copy.deepcopy(unsigned)

    signed = sign_credential(unsigned, issuer.keys["key-1"], issuer.method(), NOW)

    assert unsigned == before  # the input is left alone
    assert without_proof(signed) == unsigned
    jcs_proof, rdfc_proof = signed["proof"]
    assert jcs_proof["@context"] == unsigned["@context"]  # eddsa-jcs-2022 carries the context…
    assert "@context" not in rdfc_proof  # …eddsa-rdfc-2022 does not
    public_key = issuer.keys["key-1"].public_key()
    for proof in signed["proof"]:
        assert verify_proof(signed, proof, public_key)
        assert verify_proof(unsigned, proof, public_key)
    # Each proof alone, on a credential signed with that suite alone, is the same proof.
    alone = sign_credential(unsigned, issuer.keys["key-1"], issuer.method(), NOW, cryptosuites=["eddsa-rdfc-2022"])
    assert alone["proof"] == [rdfc_proof]


def test_signing_twice_is_refused_rather_than_dropping_a_proof(issuer):
    signed = issuer.issue()

    with pytest.raises(ValueError, match="already has a proof"):
        sign_credential(signed, issuer.keys["key-1"], issuer.method(), NOW)


def test_an_unknown_cryptosuite_or_naive_time_is_refused(issuer):
    unsigned = issuer.unsigned_certificate()

    with pytest.raises(UnsupportedCryptosuiteError, match="ecdsa-rdfc-2019"):
        sign_credential(unsigned, issuer.keys["key-1"], issuer.method(), NOW, cryptosuites=["ecdsa-rdfc-2019"])
    with pytest.raises(ValueError, match="no time zone"):
        sign_credential(unsigned, issuer.keys["key-1"], issuer.method(), NOW.replace(tzinfo=None))


def test_a_proof_with_a_broken_proof_value_is_a_proof_error(issuer):
    signed = issuer.issue()
    proof = {**signed["proof"][0], "proofValue": "z" + "1" * 10}

    with pytest.raises(ProofError, match="an Ed25519 signature has 64"):
        verify_proof(signed, proof, issuer.keys["key-1"].public_key())


def test_an_expired_proof_does_not_count(issuer):
    unsigned = issuer.unsigned_certificate()
    config = jcs.proof_config_for(unsigned, issuer.method(), NOW - timedelta(days=2))
    config["expires"] = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    proof = signed_proof(config, jcs.hash_data(unsigned, config), issuer.keys["key-1"])

    report = verify_credential({**unsigned, "proof": proof}, issuer.resolve, issuer.fetch_status_list, NOW)

    assert report.check("signature:eddsa-jcs-2022").status == "failed"
    assert "expired" in report.check("signature:eddsa-jcs-2022").message
