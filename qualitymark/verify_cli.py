"""`qualitymark verify`: check a certificate from the command line.

The checking is the pure core's (`verify_credential`); this module only reads files, fetches
DID documents and status lists over HTTPS when they were not given as files, and prints the
report. It needs no Flask application: the command works without a configured service.

    qualitymark verify FILE [--did FILE]... [--status FILE]... [--now ISO-DATETIME] [--json]

Exit status: 0 valid, 1 invalid, 2 could not check (or the input could not be read).
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import ssl
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from qualitymark.clock import utcnow
from qualitymark.credentials.did import ResolutionError, did_web_to_url
from qualitymark.credentials.verify import COULD_NOT_CHECK, FAILED, PASSED, VerificationReport, verify_credential

TIMEOUT_SECONDS = 10
MAX_BYTES = 1_000_000  # a DID document or status list is a few kilobytes; refuse anything big
ACCEPT = "application/did+json, application/json"
LOOPBACK_NAMES = {"localhost"}

EXIT_CODES = {"valid": 0, "invalid": 1, "could_not_check": 2}
EXIT_BAD_INPUT = 2
TAGS = {PASSED: "PASS", FAILED: "FAIL", COULD_NOT_CHECK: "????"}

Fetch = Callable[[str], object]


class BadInput(click.ClickException):
    """A file the user named cannot be used: one line on stderr, exit status 2."""

    exit_code = EXIT_BAD_INPUT


# --- the network -----------------------------------------------------------------------------

def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_json(url: str) -> object:
    """The JSON at `url`, fetched over HTTPS (plain HTTP only from this machine, for development).

    At most MAX_BYTES, TIMEOUT_SECONDS per network operation, redirects only within the same host.
    Every failure is a ResolutionError whose message says plainly what went wrong, which the
    verifier turns into "could not check".
    """
    parts = _split(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ResolutionError(f"refusing to fetch {url} over plain http (only https, or http from localhost)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ResolutionError(f"refusing to fetch {url}: only https URLs are fetched")
    where = _netloc(parts)
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    try:
        with _open(request, TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.strip().isdigit() and int(declared) > MAX_BYTES:
                raise ResolutionError(f"{where} sent {int(declared):,} bytes for {url}, more than the {MAX_BYTES:,} allowed")
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection
        raise ResolutionError(f"{where} answered {error.code} {error.reason} for {url}") from error
    except urllib.error.URLError as error:
        raise ResolutionError(f"could not reach {where}: {_plain_reason(error.reason)}") from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        # OSError includes timeouts while reading; ValueError, a URL http.client will not send.
        raise ResolutionError(f"could not reach {where}: {_plain_reason(error)}") from error
    if len(body) > MAX_BYTES:
        raise ResolutionError(f"{where} sent more than {MAX_BYTES:,} bytes for {url}; refusing it")
    try:
        return _loads(body)
    except (ValueError, RecursionError) as error:
        raise ResolutionError(f"{url} did not return JSON ({_json_problem(error)})") from error


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the host asked, and never from https down to http.

    A DID document or status list served from elsewhere is not the issuer's word, and following
    it would let a stranger's server decide what we trust.
    """

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            old, new = _split(req.full_url), _split(newurl)
            if (new.hostname or "").lower() != (old.hostname or "").lower():
                raise ResolutionError(f"{_netloc(old)} redirected to another host, {new.hostname or newurl}; "
                                      "only redirects within the same host are followed")
            if old.scheme == "https" and new.scheme != "https":
                raise ResolutionError(f"{_netloc(old)} redirected from https to {new.scheme}; refusing it")
        except ResolutionError:
            if fp is not None:
                fp.close()  # urllib closes the redirect response only when it follows the redirect
            raise
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(request: urllib.request.Request, timeout: float):
    """urlopen with the same-host redirect rule (a seam the tests replace)."""
    return urllib.request.build_opener(_SameHostRedirects).open(request, timeout=timeout)


def _split(url: str):
    """urlsplit, with a malformed host or port (which urlsplit leaves to raise later) as a ResolutionError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError as error:
        raise ResolutionError(f"{url!r} is not a usable URL ({error})") from None
    return parts


def _netloc(parts) -> str:
    return parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"


def _plain_reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"its HTTPS certificate could not be verified ({reason.verify_message})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[:1].lower() + reason.strerror[1:]
    return str(reason) or type(reason).__name__


# --- resolving from files first --------------------------------------------------------------

def did_resolver(documents: Iterable[dict], fetch: Fetch | None = None) -> Callable[[str], object]:
    """resolve_did for the core: a given DID document whose id is the DID, else did:web over HTTPS
    (`fetch`, default fetch_json, looked up when called).

    did:key never reaches here (the core computes it). A did:web on this machine
    (did:web:localhost%3A5000) is fetched over plain http, as a development server serves it.
    """
    by_id = {document["id"]: document for document in documents}

    def resolve(did: str) -> object:
        if did in by_id:
            return by_id[did]
        if not did.startswith("did:web:"):
            raise ResolutionError(f"{did} cannot be looked up: only did:web and did:key are supported")
        url = did_web_to_url(did)  # DidError for a malformed did:web: the core reports it as failed
        if is_loopback(_split(url).hostname):
            url = did_web_to_url(did, scheme="http")
        return (fetch or fetch_json)(url)

    return resolve


def status_list_fetcher(status_lists: Iterable[dict], fetch: Fetch | None = None) -> Callable[[str], object]:
    """fetch_status_list for the core: a given status list credential whose id is the URL, else the URL."""
    by_id = {status_list["id"]: status_list for status_list in status_lists}

    def fetch_status_list(url: str) -> object:
        return by_id[url] if url in by_id else (fetch or fetch_json)(url)

    return fetch_status_list


# --- reading the user's files ----------------------------------------------------------------

def read_json_object(path: str, what: str, *, allow_stdin: bool = False) -> dict:
    """The JSON object in the file `path` ("-": standard input); BadInput saying what is wrong."""
    if allow_stdin and path == "-":
        with click.open_file("-", "rb") as stdin:
            name, data = "standard input", stdin.read()
    else:
        name = path
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise BadInput(f"{path}: no such file") from None
        except OSError as error:
            raise BadInput(f"cannot read {path}: {_plain_reason(error)}") from None
    try:
        value = _loads(data)
    except (ValueError, RecursionError) as error:
        raise BadInput(f"{name} is not JSON: {_json_problem(error)}") from None
    if not isinstance(value, dict):
        raise BadInput(f"{name} is not {what}: it holds a JSON {_json_kind(value)}, not an object")
    return value


def _loads(data: bytes) -> object:
    # Strict JSON: NaN and Infinity are not JSON, and would only fail later, less clearly.
    def refuse(constant: str):
        raise ValueError(f"{constant} is not allowed in JSON")

    return json.loads(data, parse_constant=refuse)


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text ({error.reason} at byte {error.start})"
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return str(error)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "number"


def _keyed_by_id(paths: Iterable[str], what: str, option: str) -> list[dict]:
    documents, seen = [], {}
    for path in paths:
        document = read_json_object(path, what)
        identifier = document.get("id")
        if not isinstance(identifier, str) or not identifier:
            raise BadInput(f"{path} is not {what}: it has no \"id\"")
        if identifier in seen:
            raise BadInput(f"{seen[identifier]} and {path} are both {identifier}; give {option} once per {what}")
        seen[identifier] = path
        documents.append(document)
    return documents


def parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--now {text!r} is not a date and time; write it like 2026-01-31T09:30:00Z") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadInput(f"--now {text!r} has no time zone; add one, like 2026-01-31T09:30:00Z") from None
    return moment


# --- printing --------------------------------------------------------------------------------

def report_lines(report: VerificationReport) -> list[str]:
    """One line per check, the main claims when (and only when) the result is valid, then RESULT."""
    lines = [f"{TAGS[check.status]}  {check_label(check.name)}: {printable(check.message)}" for check in report.checks]
    if report.result == "valid" and report.claims is not None:
        lines.append("")
        lines.extend(f"{label + ':':<13}{printable(value)}" for label, value in main_claims(report.claims))
    lines.append(f"RESULT: {report.result.replace('_', ' ')}")
    return lines


def report_json(report: VerificationReport) -> str:
    """The report as JSON. `claims` is the core's: the credential without proofs when every
    signature held (even if expired or withdrawn; read `result`), else null."""
    return json.dumps(
        {
            "result": report.result,
            "summary": report.summary,
            "checks": [
                {"name": check.name, "status": check.status, "message": check.message} for check in report.checks
            ],
            "claims": report.claims,
        },
        indent=2,
    )


def check_label(name: str) -> str:
    """"signer_is_issuer:eddsa-jcs-2022" → "signer is issuer (eddsa-jcs-2022)"."""
    kind, _, qualifier = name.partition(":")
    label = kind.replace("_", " ")
    return f"{label} ({qualifier.replace('#', ' #')})" if qualifier else label


def main_claims(claims: dict) -> list[tuple[str, str]]:
    """(label, text) for the issuer, subject, achievement and dates that the credential states."""
    found = []
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    issuer_name = _text(issuer.get("name")) if isinstance(issuer, dict) else None
    if issuer_name or issuer_id:
        found.append(("Issuer", f"{issuer_name} ({issuer_id})" if issuer_name and issuer_id else issuer_name or _text(issuer_id)))
    subjects = claims.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if not isinstance(subject, dict):
            continue
        if name := _text(subject.get("name")) or _text(subject.get("id")):
            found.append(("Subject", name))
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and (name := _text(achievement.get("name"))):
            found.append(("Achievement", name))
    for field, label in (("validFrom", "Valid from"), ("validUntil", "Valid until")):
        if text := _text(claims.get(field)):
            found.append((label, text))
    return found


def _text(value: object) -> str | None:
    """A name as JSON-LD may write it: a string, a language value {"@value": …}, or a list of them."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        return _text(value.get("@value"))
    if isinstance(value, list):
        return " / ".join(text for item in value if (text := _text(item))) or None
    return None


def printable(text: str) -> str:
    """`text` safe for a terminal: control, format and line-separator characters escaped.

    Messages quote the credential (its issuer, its URLs) and the credential may be anyone's: a
    newline could forge a "PASS" line, an escape sequence or a bidi override could disguise one.
    """
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") else char
        for char in text
    )


# --- the command -----------------------------------------------------------------------------

@click.command("verify")
@click.argument("file", metavar="FILE")
@click.option("--did", "did_files", multiple=True, metavar="FILE",
              help="A DID document to use instead of fetching it (matched by its id). Repeatable.")
@click.option("--status", "status_files", multiple=True, metavar="FILE",
              help="A status list credential to use instead of fetching it (matched by its id). Repeatable.")
@click.option("--now", "now_text", metavar="ISO-DATETIME",
              help="Check as at this moment, e.g. 2026-01-31T09:30:00Z (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(file: str, did_files: tuple[str, ...], status_files: tuple[str, ...], now_text: str | None,
           as_json: bool) -> None:
    """Check a certificate (a W3C Verifiable Credential) in FILE, or "-" for standard input.

    Checks its form, every signature and who made it, its dates, and whether the issuer has
    withdrawn or suspended it. DID documents (did:web) and status lists are fetched over HTTPS
    unless given with --did and --status. Exit status: 0 valid, 1 invalid, 2 could not check.
    """
    now = parse_now(now_text) if now_text is not None else utcnow()
    credential = read_json_object(file, "a credential", allow_stdin=True)
    resolve_did = did_resolver(_keyed_by_id(did_files, "a DID document", "--did"))
    fetch_status_list = status_list_fetcher(_keyed_by_id(status_files, "a status list credential", "--status"))

    report = verify_credential(credential, resolve_did, fetch_status_list, now)

    click.echo(report_json(report) if as_json else "\n".join(report_lines(report)))
    raise click.exceptions.Exit(EXIT_CODES[report.result])
