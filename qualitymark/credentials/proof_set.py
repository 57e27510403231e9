"""Signing a credential with a proof set: one proof per cryptosuite, each over the bare credential."""
from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qualitymark.credentials import jcs, rdfc
from qualitymark.credentials.proofs import ProofError, without_proof

CRYPTOSUITES = {jcs.CRYPTOSUITE: jcs, rdfc.CRYPTOSUITE: rdfc}
DEFAULT_CRYPTOSUITES = (jcs.CRYPTOSUITE, rdfc.CRYPTOSUITE)


class UnsupportedCryptosuiteError(ProofError):
    pass


def sign_credential(
    credential: dict,
    key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    cryptosuites: Iterable[str] = DEFAULT_CRYPTOSUITES,
) -> dict:
    """A copy of `credential` with "proof": [one proof per cryptosuite, in the order given].

    Each proof covers the credential without any proof (a proof set, not a chain), so a
    verifier that knows only one of the suites can still check its own.
    """
    if "proof" in credential:
        raise ValueError("the credential already has a proof; sign the unsigned credential")
    _refuse_floats(credential)
    suites = [_suite(name) for name in cryptosuites]
    if not suites:
        raise ValueError("name at least one cryptosuite")
    unsecured = copy.deepcopy(credential)
    proofs = [suite.create_proof(unsecured, key, verification_method, created) for suite in suites]
    return {**unsecured, "proof": proofs}


def proofs_of(credential: dict) -> list:
    """The credential's proofs as a list (a single proof may be written as an object)."""
    proof = credential.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def verify_proof(credential: dict, proof: dict, public_key: Ed25519PublicKey) -> bool:
    """Check one proof of a proof set against the credential with all proofs removed.

    False for a signature that does not match; ProofError (or ContextNotAllowedError) when the
    proof cannot be checked at all.
    """
    if not isinstance(proof, dict):
        raise ProofError("proof is not a JSON object")
    suite = _suite(proof.get("cryptosuite"))
    return suite.verify_proof(without_proof(credential), proof, public_key)


def _suite(name: object):
    try:
        return CRYPTOSUITES[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise UnsupportedCryptosuiteError(
            f"cryptosuite {name!r} is not supported (supported: {', '.join(CRYPTOSUITES)})"
        ) from None


def _refuse_floats(value: object, where: str = "credential") -> None:
    # JCS writes floats the ECMAScript way, RDFC as xsd:double ("1.0E0"), and JSON parsers in
    # other languages round differently: a float claim is a verification failure waiting to
    # happen. Whole numbers and strings say the same things safely.
    if isinstance(value, float):
        raise ValueError(f"{where} is a floating-point number ({value!r}); use a string or an integer")
    if isinstance(value, dict):
        for name, item in value.items():
            _refuse_floats(item, f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{where}[{index}]")
