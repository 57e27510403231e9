"""The W3C vc-di-eddsa test vectors (tests/credentials/vectors/, a byte-for-byte copy of shared/vectors/), reproduced byte for byte."""
from __future__ import annotations

import hashlib
import pytest
from vc_helpers import (
    NOW, SHARED_VECTORS_DIR, changed, leaves, read_vector, read_vector_json, refuse_resolution, vectors, with_leaf,
)

from qualitymark.credentials import (
    ContextNotAllowedError,
    ProofError,
    private_key_from_multibase,
    public_key_from_multibase,
    sign_credential,
    verify_credential,
    verify_proof,
)
from qualitymark.credentials import jcs, rdfc
from qualitymark.credentials.timestamps import parse_datetime

# Intermediate-value files per cryptosuite (names as in the W3C repository).
SUITES = {
    "eddsa-jcs-2022": dict(
        module=jcs, folder="eddsa-jcs-2022", suffix="JCS", config="proofConfigJCS.json", signed="signedJCS.json"
    ),
    "eddsa-rdfc-2022": dict(
        module=rdfc, folder="eddsa-rdfc-2022", suffix="DataInt", config="proofConfigDataInt.json", signed="signedDataInt.json"
    ),
}


def vector(vectors_dir, suite: str, stem: str) -> bytes:
    spec = SUITES[suite]
    return read_vector(vectors_dir, f"{spec['folder']}/{stem}{spec['suffix']}.txt")


def test_the_vectors_are_the_published_files():
    """SHA256SUMS proves nobody edited a vector to make a test pass."""
    vectors_dir = vectors()
    sums_dir = vectors_dir / "vc-di-eddsa"
    lines = (sums_dir / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 30
    for line in lines:
        expected, name = line.split(maxsplit=1)
        path = sums_dir / name
        if not path.exists() and name.startswith("./contexts/"):
            # SHA256SUMS lists the contexts as ./contexts/…, but they live one level up, in
            # vectors/contexts/ (see PROVENANCE.md).
            path = vectors_dir / name
        assert path.is_file(), f"{name} from SHA256SUMS is missing (looked at {path})"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected, f"{path} has been changed"


def test_the_repository_copy_is_the_shared_one_byte_for_byte():
    """The copy under tests/credentials/vectors/ is shared/vectors/ as it was given, file for file."""
    from helpers import IN_CI

    if not SHARED_VECTORS_DIR.is_dir():
        if IN_CI:
            pytest.fail(f"CI must compare the vectors with shared/, but {SHARED_VECTORS_DIR} is missing.")
        pytest.skip(f"shared/ is not beside this checkout ({SHARED_VECTORS_DIR}), so the copy is checked only "
                    "against SHA256SUMS in this run.")
    ours = sorted(p.relative_to(vectors()) for p in vectors().rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(SHARED_VECTORS_DIR) for p in SHARED_VECTORS_DIR.rglob("*") if p.is_file())
    assert ours == theirs
    for name in ours:
        assert (vectors() / name).read_bytes() == (SHARED_VECTORS_DIR / name).read_bytes(), name


@pytest.mark.parametrize("suite", SUITES)
def test_every_intermediate_value_is_reproduced(suite):
    vectors_dir = vectors()
    spec, module = SUITES[suite], SUITES[suite]["module"]
    unsigned = read_vector_json(vectors_dir, "unsigned.json")
    proof_config = read_vector_json(vectors_dir, f"{spec['folder']}/{spec['config']}")

    hash_data = module.hash_data(unsigned, proof_config)

    assert hash_data.canonical_document == vector(vectors_dir, suite, "canonDoc")
    assert hash_data.canonical_proof_config == vector(vectors_dir, suite, "proofCanon")
    assert hash_data.document_hash.hex().encode() == vector(vectors_dir, suite, "docHash")
    assert hash_data.proof_config_hash.hex().encode() == vector(vectors_dir, suite, "proofHash")
    assert hash_data.combined.hex().encode() == vector(vectors_dir, suite, "combinedHash")

    key = private_key_from_multibase(read_vector_json(vectors_dir, "keyPair.json")["privateKeyMultibase"])
    proof = module.create_proof(
        unsigned, key, proof_config["verificationMethod"], parse_datetime(proof_config["created"])
    )
    signature = key.sign(hash_data.combined)  # Ed25519 is deterministic
    assert signature.hex().encode() == vector(vectors_dir, suite, "sigHex")
    assert proof["proofValue"].encode() == vector(vectors_dir, suite, "sigBTC58")

    signed = read_vector_json(vectors_dir, f"{spec['folder']}/{spec['signed']}")
    assert proof == signed["proof"]
    assert {**unsigned, "proof": proof} == signed


@pytest.mark.parametrize("suite", SUITES)
def test_sign_credential_with_one_suite_gives_the_vector_proof(suite):
    vectors_dir = vectors()
    unsigned = read_vector_json(vectors_dir, "unsigned.json")
    key = private_key_from_multibase(read_vector_json(vectors_dir, "keyPair.json")["privateKeyMultibase"])
    signed = read_vector_json(vectors_dir, f"{SUITES[suite]['folder']}/{SUITES[suite]['signed']}")

    ours = sign_credential(
        unsigned, key, signed["proof"]["verificationMethod"], parse_datetime(signed["proof"]["created"]), cryptosuites=[suite]
    )

    assert ours["proof"] == [signed["proof"]]


@pytest.mark.parametrize("suite", SUITES)
def test_the_signed_vector_verifies_but_its_signer_is_not_its_issuer(suite):
    vectors_dir = vectors()
    signed = read_vector_json(vectors_dir, f"{SUITES[suite]['folder']}/{SUITES[suite]['signed']}")

    report = verify_credential(signed, refuse_resolution, None, now=NOW)

    assert report.check(f"signature:{suite}").status == "passed"
    assert report.check(f"key_not_retired:{suite}").status == "passed"
    assert report.check("well_formed").status == "passed"
    assert report.check("validity_period").status == "passed"
    # The vector's issuer is https://vc.example/issuers/5678; its key belongs to a did:key.
    signer = report.check(f"signer_is_issuer:{suite}")
    assert signer.status == "failed"
    assert "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" in signer.message
    assert "https://vc.example/issuers/5678" in signer.message
    assert report.result == "invalid"
    assert report.claims is None


@pytest.mark.parametrize("suite", SUITES)
def test_changing_any_claim_of_the_signed_vector_breaks_its_signature(suite):
    vectors_dir = vectors()
    signed = read_vector_json(vectors_dir, f"{SUITES[suite]['folder']}/{SUITES[suite]['signed']}")
    public_key = public_key_from_multibase(read_vector_json(vectors_dir, "keyPair.json")["publicKeyMultibase"])
    claims = [(path, value) for path, value in leaves(signed) if path[0] != "proof"]
    assert len(claims) == 11

    for path, value in claims:
        tampered = with_leaf(signed, path, changed(value))
        try:
            assert verify_proof(tampered, tampered["proof"], public_key) is False, path
        except (ProofError, ContextNotAllowedError):
            pass  # cannot even be processed: equally not verified
        report = verify_credential(tampered, refuse_resolution, None, now=NOW)
        assert report.check(f"signature:{suite}").status != "passed", path
        assert report.result == "invalid", path
        assert report.claims is None, path


@pytest.mark.parametrize("suite", SUITES)
def test_adding_or_removing_a_claim_of_the_signed_vector_breaks_its_signature(suite):
    vectors_dir = vectors()
    signed = read_vector_json(vectors_dir, f"{SUITES[suite]['folder']}/{SUITES[suite]['signed']}")
    public_key = public_key_from_multibase(read_vector_json(vectors_dir, "keyPair.json")["publicKeyMultibase"])
    added = {**signed, "credentialSubject": {**signed["credentialSubject"], "honours": "First class"}}
    removed = {name: value for name, value in signed.items() if name != "description"}

    assert verify_proof(added, signed["proof"], public_key) is False
    assert verify_proof(removed, signed["proof"], public_key) is False

