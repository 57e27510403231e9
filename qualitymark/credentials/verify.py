"""Checking a certificate, with a plain-English sentence for every check.

Resolution is injected: `resolve_did(did) -> DID document` and `fetch_status_list(url) -> status
list credential`, each raising ResolutionError when it cannot deliver. This module never touches
the network itself (did:key needs no network and is resolved here).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from qualitymark.credentials.did import (
    DidError,
    ResolutionError,
    did_of,
    find_verification_method,
    resolve_did_key,
)
from qualitymark.credentials.documentloader import VC_V2, ContextNotAllowedError
from qualitymark.credentials.multikey import public_key_from_multibase
from qualitymark.credentials.proof_set import proofs_of, verify_proof
from qualitymark.credentials.proofs import ASSERTION_METHOD, ProofError, without_proof
from qualitymark.credentials.status_list import REVOCATION, SUSPENSION, StatusBits, StatusListError
from qualitymark.credentials.timestamps import parse_datetime

Status = Literal["passed", "failed", "could_not_check"]
PASSED: Status = "passed"
FAILED: Status = "failed"
COULD_NOT_CHECK: Status = "could_not_check"

# What a set status bit means, in the words a member of the public uses.
_STATUS_WORDS = {REVOCATION: "withdrawn", SUSPENSION: "suspended"}


@dataclass(frozen=True)
class CheckResult:
    name: str  # machine name: "well_formed", "signature:eddsa-jcs-2022", "status:revocation", …
    status: Status
    message: str  # one sentence for the public


@dataclass(frozen=True)
class VerificationReport:
    result: Literal["valid", "invalid", "could_not_check"]
    checks: tuple[CheckResult, ...]
    # The credential without its proofs, only when every signature check passed (signature
    # genuine, signer is the issuer, key not retired): nothing else may be shown as if the
    # issuer had said it.
    claims: dict | None

    def check(self, name: str) -> CheckResult:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; the checks are {[check.name for check in self.checks]}")

    @property
    def summary(self) -> str:
        if self.result == "valid":
            return "This certificate is genuine and currently valid."
        if self.result == "invalid":
            return "This certificate is not valid. The checks below say why."
        return "We could not fully check this certificate. The checks below say what is missing."


def verify_credential(
    credential: dict,
    resolve_did: Callable[[str], dict],
    fetch_status_list: Callable[[str], dict] | None,
    now: datetime,
) -> VerificationReport:
    """Check a credential's form, every proof, its dates and its status entries.

    "valid" only if every check passed; "invalid" if any failed; otherwise "could_not_check".
    `fetch_status_list=None` skips the status lists (reported as could not check).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not isinstance(credential, dict):
        return _report([_failed("well_formed", "This is not a credential: a credential is a JSON object.")], None)
    verifier = _Verifier(resolve_did, fetch_status_list, now)

    signature_checks = verifier.proof_checks(credential)
    signatures_hold = all(check.status == PASSED for check in signature_checks)
    checks = [
        _well_formed(credential),
        *signature_checks,
        _validity_period(credential, now),
        *verifier.status_checks(credential, signatures_hold),
    ]
    return _report(checks, copy.deepcopy(without_proof(credential)) if signatures_hold else None)


def _report(checks: list[CheckResult], claims: dict | None) -> VerificationReport:
    statuses = {check.status for check in checks}
    result = "invalid" if FAILED in statuses else "could_not_check" if COULD_NOT_CHECK in statuses else "valid"
    return VerificationReport(result=result, checks=tuple(checks), claims=claims)


def _passed(name: str, message: str) -> CheckResult:
    return CheckResult(name, PASSED, message)


def _failed(name: str, message: str) -> CheckResult:
    return CheckResult(name, FAILED, message)


def _unchecked(name: str, message: str) -> CheckResult:
    return CheckResult(name, COULD_NOT_CHECK, message)


# --- form and dates --------------------------------------------------------------------------

def issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def _well_formed(credential: dict) -> CheckResult:
    problems = []
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2:
        problems.append(f"its @context does not start with {VC_V2}")
    types = credential.get("type")
    if not (types == "VerifiableCredential" or isinstance(types, list) and "VerifiableCredential" in types):
        problems.append("its type does not include VerifiableCredential")
    if issuer_id(credential) is None:
        problems.append("it does not name an issuer")
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(item, dict) and item for item in subjects):
        problems.append("it does not say whom it is about (credentialSubject)")
    for field in ("validFrom", "validUntil"):
        if field == "validFrom" or field in credential:
            try:
                parse_datetime(credential.get(field))
            except ValueError:
                problems.append(f"its {field} is not a date and time")
    if problems:
        return _failed("well_formed", f"This is not a complete W3C Verifiable Credential: {'; '.join(problems)}.")
    return _passed(
        "well_formed",
        "The certificate is a complete W3C Verifiable Credential: it names its issuer, its subject and its start date.",
    )


def _validity_period(credential: dict, now: datetime) -> CheckResult:
    name = "validity_period"
    try:
        valid_from = parse_datetime(credential.get("validFrom"))
        valid_until = parse_datetime(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError:
        return _failed(name, "The certificate's dates of validity cannot be read.")
    if now < valid_from:
        return _failed(name, f"The certificate is not valid yet: it becomes valid on {_when(valid_from)}.")
    if valid_until is not None and now >= valid_until:
        return _failed(name, f"The certificate has expired: it was valid until {_when(valid_until)}.")
    until = f" until {_when(valid_until)}" if valid_until else ", with no end date"
    return _passed(name, f"The certificate is within its dates: valid from {_when(valid_from)}{until}.")


def _when(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return f"{moment.day} {moment:%B %Y at %H:%M} UTC"


# --- proofs ----------------------------------------------------------------------------------

class _Verifier:
    def __init__(self, resolve_did, fetch_status_list, now: datetime):
        self.resolve_did = resolve_did
        self.fetch_status_list = fetch_status_list
        self.now = now
        self._documents: dict[str, dict | Exception] = {}

    def did_document(self, did: str) -> dict:
        """Resolve once per verification: a certificate and its status lists share one issuer."""
        if did not in self._documents:
            try:
                document = resolve_did_key(did) if did.startswith("did:key:") else self.resolve_did(did)
                if not isinstance(document, dict):
                    raise DidError(f"the resolver returned {type(document).__name__}, not a DID document")
                self._documents[did] = document
            except (ResolutionError, DidError) as error:
                self._documents[did] = error
        found = self._documents[did]
        if isinstance(found, Exception):
            raise found
        return found

    def proof_checks(self, document: dict) -> list[CheckResult]:
        proofs = proofs_of(document)
        if not proofs:
            return [_failed("signature", "The certificate carries no digital signature, so nothing in it can be trusted.")]
        return _unique_names([check for proof in proofs for check in self._one_proof(document, proof)])

    def _one_proof(self, document: dict, proof: object) -> list[CheckResult]:
        """Three checks per proof: the signature itself, who signed, and whether the key was retired."""
        suite = proof.get("cryptosuite") if isinstance(proof, dict) else None
        label = suite if isinstance(suite, str) and suite else "unknown"
        names = (f"signature:{label}", f"signer_is_issuer:{label}", f"key_not_retired:{label}")

        def signer_unknown(reason: str) -> list[CheckResult]:
            return [
                _unchecked(names[1], f"We could not tell who made the {label} signature: {reason}."),
                _unchecked(names[2], f"We could not tell whether the key behind the {label} signature "
                                     f"had been retired: {reason}."),
            ]

        method_id = proof.get("verificationMethod") if isinstance(proof, dict) else None
        if not isinstance(method_id, str) or not method_id.startswith("did:"):
            return [
                _failed(names[0], f"The {label} signature does not say which key made it, so it proves nothing."),
                *signer_unknown("it names no key"),
            ]
        if proof.get("proofPurpose") != ASSERTION_METHOD:
            return [
                _failed(names[0], f"The {label} signature was not made for issuing credentials "
                                  f"(its purpose is {proof.get('proofPurpose')!r})."),
                *signer_unknown("the signature is not for issuing credentials"),
            ]
        try:
            method = find_verification_method(self.did_document(did_of(method_id)), method_id)
        except ResolutionError as error:
            reason = f"the issuer's keys at {did_of(method_id)} could not be looked up ({error})"
            return [
                _unchecked(names[0], f"We could not check the {label} signature: {reason}. "
                                     "Without the key we cannot tell whether the certificate is genuine."),
                *signer_unknown(reason),
            ]
        except DidError as error:
            return [
                _failed(names[0], f"The {label} signature names a key the issuer does not publish "
                                  f"for signing credentials: {error}."),
                *signer_unknown("its key could not be found"),
            ]
        return [
            self._signature(document, proof, method_id, method, names[0], label),
            _signer_is_issuer(document, method, names[1], label),
            _key_not_retired(proof, method, names[2], label),
        ]

    def _signature(
        self, document: dict, proof: dict, method_id: str, method: dict, name: str, label: str
    ) -> CheckResult:
        if "expires" in proof:
            try:
                expires = parse_datetime(proof["expires"])
            except ValueError:
                return _failed(name, f"The {label} signature has an expiry date that cannot be read.")
            if self.now >= expires:
                return _failed(name, f"The {label} signature expired on {_when(expires)}.")
        try:
            genuine = verify_proof(document, proof, public_key_from_multibase(method["publicKeyMultibase"]))
        except ContextNotAllowedError as error:
            return _unchecked(name, f"We could not check the {label} signature: the certificate uses "
                                    f"a vocabulary this verifier does not have ({error.url}).")
        except ProofError as error:
            return _failed(name, f"The {label} signature cannot be checked because the certificate "
                                 f"or signature is malformed: {error}.")
        if not genuine:
            return _failed(name, f"The {label} signature does not match: the certificate was changed after "
                                 "it was signed, or was not signed with this key. Do not rely on anything it says.")
        return _passed(name, f"The {label} signature is genuine: nothing in the certificate has changed "
                             f"since it was signed with the key {method_id}.")

    # --- status --------------------------------------------------------------------------------

    def status_checks(self, credential: dict, signatures_hold: bool) -> list[CheckResult]:
        entries = credential.get("credentialStatus")
        if entries is None:
            return []
        entries = entries if isinstance(entries, list) else [entries]
        return _unique_names([self._status(entry, credential, signatures_hold) for entry in entries])

    def _status(self, entry: object, credential: dict, signatures_hold: bool) -> CheckResult:
        purpose = entry.get("statusPurpose") if isinstance(entry, dict) else None
        purpose = purpose if isinstance(purpose, str) and purpose else None
        name = f"status:{purpose}" if purpose else "status"
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            return _unchecked(name, "The certificate names a kind of status information this verifier does not understand.")
        word = _STATUS_WORDS.get(purpose)
        if word is None:
            return _unchecked(name, f"The certificate has a status of a kind this verifier does not understand ({purpose!r}).")
        url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
        if not isinstance(url, str) or not (isinstance(index, str) and index.isascii() and index.isdigit()):
            return _failed(name, f"The certificate's pointer to the list of {word} certificates is malformed.")
        if not signatures_hold:
            # Nor do we fetch a URL on the word of a document nobody is known to have signed.
            return _unchecked(name, f"We did not check whether the certificate has been {word}, "
                                    "because its signature could not be confirmed.")
        if self.fetch_status_list is None:
            return _unchecked(name, f"We did not check whether the certificate has been {word}: "
                                    "status checking was switched off.")
        try:
            status_list = self.fetch_status_list(url)
        except ResolutionError as error:
            return _unchecked(name, f"We could not fetch the issuer's list of {word} certificates from {url} "
                                    f"({error}). The certificate may have been {word}; we cannot tell.")
        problem = self._untrustworthy(status_list, url, purpose, issuer_id(credential))
        if problem is None:
            try:
                is_set = StatusBits.decode(status_list["credentialSubject"].get("encodedList")).get(int(index))
            except (StatusListError, IndexError, ValueError) as error:  # ValueError: int() of 4300+ digits
                problem = f"it cannot be read ({error})"
        if problem is not None:
            # An unusable list proves nothing either way about this certificate.
            return _unchecked(name, f"The issuer's list of {word} certificates at {url} cannot be trusted: "
                                    f"{problem}. So we cannot tell whether this certificate has been {word}.")
        if not is_set:
            return _passed(name, f"The certificate has not been {word} (the issuer's list was checked).")
        if purpose == REVOCATION:
            return _failed(name, "The issuer has withdrawn this certificate: it is no longer valid.")
        return _failed(name, "The issuer has suspended this certificate for now: it is not valid while suspended.")

    def _untrustworthy(self, status_list: object, url: str, purpose: str, issuer: str | None) -> str | None:
        """Why the fetched status list cannot be relied on, or None if it can."""
        if not isinstance(status_list, dict):
            return "it is not a credential"
        types = status_list.get("type")
        if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
            return "it is not a status list"
        if status_list.get("id") != url:
            return f"it says it is {status_list.get('id')!r}"
        if issuer_id(status_list) != issuer:
            return f"it was published by {issuer_id(status_list)!r}, not by the certificate's issuer"
        for check in self.proof_checks(status_list):
            if check.status != PASSED:
                return f"its signature does not hold ({check.message})"
        validity = _validity_period(status_list, self.now)
        if validity.status != PASSED:
            return f"it is out of date ({validity.message})"
        subject = status_list.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
            return "its subject is not a status list"
        if subject.get("statusPurpose") != purpose:
            return f"it lists {subject.get('statusPurpose')!r}, not {purpose!r}"
        return None


def _signer_is_issuer(document: dict, method: dict, name: str, label: str) -> CheckResult:
    controller, issuer = method.get("controller"), issuer_id(document)
    if issuer is not None and controller == issuer:
        return _passed(name, f"The key that made the {label} signature belongs to the issuer "
                             f"named in the certificate ({issuer}).")
    return _failed(name, f"The key that made the {label} signature belongs to {controller}, "
                         f"not to the issuer named in the certificate ({issuer}).")


def _key_not_retired(proof: dict, method: dict, name: str, label: str) -> CheckResult:
    # "created" is the signer's own claim: retiring a key stops its honest late use, but a thief
    # could backdate signatures, so the certificates of a stolen key must be withdrawn too.
    if "revoked" not in method:
        return _passed(name, f"The key behind the {label} signature is in use (not retired).")
    try:
        retired_at = parse_datetime(method["revoked"])
    except ValueError:
        return _failed(name, f"The key behind the {label} signature has been retired, at a time that cannot be read.")
    try:
        created = parse_datetime(proof.get("created"))
    except ValueError:
        return _failed(name, f"The key behind the {label} signature was retired on {_when(retired_at)}, "
                             "and the signature does not say when it was made.")
    if created < retired_at:
        return _passed(name, f"The {label} signature was made on {_when(created)}, before its key was "
                             f"retired on {_when(retired_at)}, so it still counts.")
    return _failed(name, f"The {label} signature was made on {_when(created)}, after its key was "
                         f"retired on {_when(retired_at)}, so it cannot be trusted.")


def _unique_names(results: list[CheckResult]) -> list[CheckResult]:
    """Number repeated names ("status:revocation", "status:revocation#2") so each can be looked up."""
    seen: dict[str, int] = {}
    unique = []
    for result in results:
        seen[result.name] = seen.get(result.name, 0) + 1
        if seen[result.name] > 1:
            result = CheckResult(f"{result.name}#{seen[result.name]}", result.status, result.message)
        unique.append(result)
    return unique
