"""`qualitymark verify`: what someone checking a certificate from a terminal sees.

No test touches the network: conftest refuses every connection, the command tests replace
`cli._open` (the one place that opens a URL) or `cli.fetch_json`, and the fetch tests hand
`fetch_json` fake responses.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from email.message import Message

import pytest
from click.testing import CliRunner
from vc_helpers import BASE, ISSUER_DID, NOW, Issuer, vectors

from qualitymark.credentials import REVOCATION, SUSPENSION, ResolutionError
from qualitymark import verify_cli as cli
from qualitymark.verify_cli import MAX_BYTES, did_resolver, fetch_json, verify

AT_NOW = f"--now={NOW.isoformat()}"
VECTOR_KEY = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SIGNED_VECTORS = {
    "eddsa-jcs-2022": "eddsa-jcs-2022/signedJCS.json",
    "eddsa-rdfc-2022": "eddsa-rdfc-2022/signedDataInt.json",
}
CLAIM_LABELS = ("Issuer:", "Subject:", "Achievement:", "Valid from:", "Valid until:")


def run(*args: str, input: str | None = None):
    # catch_exceptions=False: a crash must fail the test, not pass as exit status 1 ("invalid").
    return CliRunner().invoke(verify, list(args), input=input, catch_exceptions=False)


def lines(result) -> list[str]:
    return result.stdout.splitlines()


def write_json(path, value) -> str:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return str(path)


def issuer_files(tmp_path, issuer: Issuer) -> list[str]:
    """--did and --status options for the issuer's DID document and both signed status lists."""
    return [
        "--did", write_json(tmp_path / "did.json", issuer.did_document()),
        "--status", write_json(tmp_path / "revocation.json", issuer.status_list_credential(REVOCATION)),
        "--status", write_json(tmp_path / "suspension.json", issuer.status_list_credential(SUSPENSION)),
    ]


@pytest.fixture
def opened(monkeypatch) -> list[urllib.request.Request]:
    """Every request the command tries to open; opening one fails the test unless a test says otherwise."""
    requests = []

    def refuse(request, timeout):
        requests.append(request)
        raise AssertionError(f"the command tried to fetch {request.full_url}")

    monkeypatch.setattr(cli, "_open", refuse)
    return requests


class FakeResponse:
    def __init__(self, body: bytes, content_length: int | None = None):
        self.body = body
        self.headers = Message()
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)
        self.asked = []

    def read(self, amount: int = -1) -> bytes:
        self.asked.append(amount)
        return self.body if amount < 0 else self.body[:amount]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def answer(monkeypatch, response_or_error) -> list[tuple[urllib.request.Request, float]]:
    """Make `cli._open` return (or raise) this; the list records what was opened, with its timeout."""
    calls = []

    def fake_open(request, timeout):
        calls.append((request, timeout))
        if isinstance(response_or_error, BaseException):
            raise response_or_error
        return response_or_error

    monkeypatch.setattr(cli, "_open", fake_open)
    return calls


# --- the W3C vectors (did:key: nothing to fetch) -----------------------------------------------

@pytest.mark.parametrize("suite", SIGNED_VECTORS)
def test_a_w3c_vector_has_a_genuine_signature_but_its_signer_is_not_its_issuer(suite, opened):
    result = run(str(vectors() / "vc-di-eddsa" / SIGNED_VECTORS[suite]), AT_NOW)

    assert result.exit_code == 1
    output = lines(result)
    assert len(output) == 6, output
    assert output[0].startswith("PASS  well formed: ")
    assert output[1].startswith(f"PASS  signature ({suite}): The {suite} signature is genuine: ")
    assert output[2] == (
        f"FAIL  signer is issuer ({suite}): The key that made the {suite} signature belongs to {VECTOR_KEY}, "
        "not to the issuer named in the certificate (https://vc.example/issuers/5678)."
    )
    assert output[3].startswith(f"PASS  key not retired ({suite}): ")
    assert output[4].startswith("PASS  validity period: ")
    assert output[5] == "RESULT: invalid"
    assert opened == []


@pytest.mark.parametrize("suite", SIGNED_VECTORS)
def test_a_w3c_vector_as_json_reports_each_check_and_no_claims(suite, opened):
    result = run(str(vectors() / "vc-di-eddsa" / SIGNED_VECTORS[suite]), AT_NOW, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses[f"signature:{suite}"] == "passed"
    assert statuses[f"signer_is_issuer:{suite}"] == "failed"
    assert report["result"] == "invalid"
    assert report["claims"] is None


# --- a certificate of our own, with did:web and status lists given as files -------------------

def test_a_genuine_current_certificate_is_valid_and_its_claims_are_shown(tmp_path, issuer, opened):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())

    result = run(credential, *issuer_files(tmp_path, issuer), AT_NOW)

    assert result.exit_code == 0, result.output
    output = lines(result)
    checks = output[: output.index("")]
    assert [line[:6] for line in checks] == ["PASS  "] * 10
    assert any(line.startswith("PASS  status (suspension): The certificate has not been suspended") for line in checks)
    assert output[-6:] == [
        f"Issuer:      Care Quality Mark certification office ({ISSUER_DID})",
        "Subject:     Gofal Cymunedol Co-operative",
        "Achievement: Care Quality Mark — Excellent",
        f"Valid from:  {(NOW - timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Valid until: {(NOW + timedelta(days=3 * 365)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "RESULT: valid",
    ]
    assert result.stderr == ""
    assert opened == []


def test_the_certificate_can_come_from_standard_input(tmp_path, issuer, opened):
    result = run("-", *issuer_files(tmp_path, issuer), AT_NOW, input=json.dumps(issuer.issue()))

    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == "RESULT: valid"


def test_json_output_is_the_whole_report(tmp_path, issuer, opened):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())

    result = run(credential, *issuer_files(tmp_path, issuer), AT_NOW, "--json")

    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["result"] == "valid"
    assert len(report["checks"]) == 10
    assert {check["status"] for check in report["checks"]} == {"passed"}
    assert report["claims"]["credentialSubject"]["name"] == "Gofal Cymunedol Co-operative"
    assert "proof" not in report["claims"]


@pytest.mark.parametrize(("purpose", "line"), [
    (SUSPENSION, "FAIL  status (suspension): The issuer has suspended this certificate for now"),
    (REVOCATION, "FAIL  status (revocation): The issuer has withdrawn this certificate"),
])
def test_a_suspended_or_withdrawn_certificate_is_invalid(tmp_path, issuer, opened, purpose, line):
    credential = write_json(tmp_path / "certificate.json", issuer.issue(index=42))
    issuer.lists[purpose].set(42)

    result = run(credential, *issuer_files(tmp_path, issuer), AT_NOW)

    assert result.exit_code == 1
    assert any(output.startswith(line) for output in lines(result)), result.stdout
    assert lines(result)[-1] == "RESULT: invalid"
    assert not any(output.startswith(CLAIM_LABELS) for output in lines(result))


def test_a_tampered_certificate_is_invalid_and_none_of_its_claims_are_shown(tmp_path, issuer, opened):
    tampered = issuer.issue()
    tampered["credentialSubject"]["name"] = "Someone Else Ltd"
    credential = write_json(tmp_path / "certificate.json", tampered)

    result = run(credential, *issuer_files(tmp_path, issuer), AT_NOW)

    assert result.exit_code == 1
    output = lines(result)
    for suite in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
        assert any(line.startswith(f"FAIL  signature ({suite}): The {suite} signature does not match") for line in output)
    # Unsigned, the status pointers are not followed either.
    assert any(line.startswith("????  status (revocation): We did not check") for line in output)
    assert output[-1] == "RESULT: invalid"
    assert "Someone Else" not in result.output
    assert not any(line.startswith(CLAIM_LABELS) for line in output)


def test_an_expired_certificate_is_invalid(tmp_path, issuer, opened):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())
    after_it_ends = (NOW + timedelta(days=3 * 365, seconds=1)).isoformat()

    result = run(credential, *issuer_files(tmp_path, issuer), f"--now={after_it_ends}")

    assert result.exit_code == 1
    assert any(line.startswith("FAIL  validity period: The certificate has expired") for line in lines(result))
    assert lines(result)[-1] == "RESULT: invalid"
    assert not any(line.startswith(CLAIM_LABELS) for line in lines(result))


def test_a_hostile_issuer_name_cannot_forge_a_line_of_output(tmp_path, opened):
    # The signer-is-issuer message quotes the issuer, which anyone can write into a credential.
    forged = json.loads((vectors() / "vc-di-eddsa" / SIGNED_VECTORS["eddsa-jcs-2022"]).read_text())
    forged["issuer"] = "https://x.example\nPASS  everything: fine\x1b[2K\u202e"
    credential = write_json(tmp_path / "forged.json", forged)

    result = run(credential, AT_NOW)

    assert result.exit_code == 1
    assert not any(line.startswith("PASS  everything") for line in lines(result))
    assert "https://x.example\\u000aPASS  everything: fine\\u001b[2K\\u202e" in result.stdout


# --- fetching what was not given -------------------------------------------------------------

def test_an_unreachable_issuer_means_could_not_check_with_the_reason(tmp_path, issuer, monkeypatch):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())
    someone_elses = {**issuer.did_document(), "id": "did:web:other.example"}
    calls = answer(monkeypatch, urllib.error.URLError(TimeoutError("timed out")))

    result = run(credential, "--did", write_json(tmp_path / "other.json", someone_elses), AT_NOW)

    assert result.exit_code == 2
    output = lines(result)
    assert any(
        line.startswith("????  signature (eddsa-jcs-2022): We could not check the eddsa-jcs-2022 signature")
        and "(could not reach cqm.example: timed out)" in line
        for line in output
    ), output
    assert output[-1] == "RESULT: could not check"
    assert not any(line.startswith(CLAIM_LABELS) for line in output)
    # Looked up once (the core shares one resolution between the proofs), as did:web says.
    [(request, timeout)] = calls
    assert request.full_url == "https://cqm.example/.well-known/did.json"
    assert request.get_header("Accept") == "application/did+json, application/json"
    assert timeout == 10


def test_the_did_document_and_status_lists_are_fetched_when_not_given(tmp_path, issuer, monkeypatch):
    published = {
        "https://cqm.example/.well-known/did.json": issuer.did_document(),
        issuer.list_url(REVOCATION): issuer.status_list_credential(REVOCATION),
        issuer.list_url(SUSPENSION): issuer.status_list_credential(SUSPENSION),
    }
    fetched = []

    def fake_fetch(url):
        fetched.append(url)
        return published[url]

    monkeypatch.setattr(cli, "fetch_json", fake_fetch)
    credential = write_json(tmp_path / "certificate.json", issuer.issue())

    result = run(credential, AT_NOW)

    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == "RESULT: valid"
    assert sorted(fetched) == sorted(published)


def test_a_status_list_that_cannot_be_fetched_means_could_not_check(tmp_path, issuer, monkeypatch):
    answer(monkeypatch, urllib.error.HTTPError(issuer.list_url(SUSPENSION), 404, "Not Found", Message(), None))
    credential = write_json(tmp_path / "certificate.json", issuer.issue())
    given = issuer_files(tmp_path, issuer)[:4]  # the DID document and the revocation list only

    result = run(credential, *given, AT_NOW)

    assert result.exit_code == 2
    assert any(
        line.startswith("????  status (suspension): We could not fetch")
        and f"(cqm.example answered 404 Not Found for {issuer.list_url(SUSPENSION)})" in line
        for line in lines(result)
    ), result.stdout
    assert lines(result)[-1] == "RESULT: could not check"


def test_a_did_web_on_this_machine_is_fetched_over_http():
    fetched = []
    resolve = did_resolver([], fetch=lambda url: fetched.append(url) or {})

    resolve("did:web:localhost%3A5000")
    resolve("did:web:cqm.example:issuers:qm")

    assert fetched == ["http://localhost:5000/.well-known/did.json", "https://cqm.example/issuers/qm/did.json"]


# --- input the command cannot use ------------------------------------------------------------

def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = run(str(tmp_path / "nowhere.json"), AT_NOW)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {tmp_path / 'nowhere.json'}: no such file\n"


def test_a_file_that_is_not_json_is_reported_with_its_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "issuer": "did:web:cqm.example",\n}\n')

    result = run(str(path), AT_NOW)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {path} is not JSON: Expecting property name enclosed in double quotes at line 3, column 1\n"
    )


@pytest.mark.parametrize(("content", "kind"), [("[]", "array"), ('"a"', "string"), ("7", "number"), ("null", "null")])
def test_json_that_is_not_an_object_is_not_a_credential(tmp_path, content, kind):
    result = run("-", AT_NOW, input=content)

    assert result.exit_code == 2
    assert result.stderr == f"Error: standard input is not a credential: it holds a JSON {kind}, not an object\n"


def test_nan_is_not_json(tmp_path):
    result = run("-", AT_NOW, input='{"validFrom": NaN}')

    assert result.exit_code == 2
    assert "NaN is not allowed in JSON" in result.stderr


def test_a_did_file_without_an_id_is_refused(tmp_path, issuer):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())
    did = write_json(tmp_path / "did.json", {"verificationMethod": []})

    result = run(credential, "--did", did, AT_NOW)

    assert result.exit_code == 2
    assert result.stderr == f'Error: {did} is not a DID document: it has no "id"\n'


@pytest.mark.parametrize(("now", "problem"), [
    ("2025-06-01T12:00:00", "has no time zone"),
    ("next tuesday", "is not a date and time"),
])
def test_now_must_be_a_date_and_time_with_a_zone(tmp_path, issuer, now, problem):
    credential = write_json(tmp_path / "certificate.json", issuer.issue())

    result = run(credential, f"--now={now}")

    assert result.exit_code == 2
    assert problem in result.stderr


# --- fetch_json: where it goes and what it takes -----------------------------------------------

@pytest.mark.parametrize("url", [
    "http://cqm.example/.well-known/did.json",
    "http://10.0.0.8/status/1",
    "file:///etc/passwd",
    "ftp://cqm.example/did.json",
])
def test_fetch_refuses_anything_but_https_except_http_on_this_machine(url, opened):
    with pytest.raises(ResolutionError, match="refusing to fetch"):
        fetch_json(url)

    assert opened == []


@pytest.mark.parametrize("url", ["http://localhost:5000/.well-known/did.json", "http://127.0.0.1:5000/status/1"])
def test_fetch_allows_http_on_this_machine(url, monkeypatch):
    calls = answer(monkeypatch, FakeResponse(b'{"id": "x"}'))

    assert fetch_json(url) == {"id": "x"}
    assert calls[0][0].full_url == url


def test_fetch_reads_at_most_the_limit_and_refuses_more(monkeypatch):
    response = FakeResponse(b"{" + b" " * MAX_BYTES + b"}")  # MAX_BYTES + 2, no Content-Length
    answer(monkeypatch, response)

    with pytest.raises(ResolutionError, match="cqm.example sent more than 1,000,000 bytes"):
        fetch_json(f"{BASE}/status/revocation/1")

    assert response.asked == [MAX_BYTES + 1]


def test_fetch_takes_a_document_of_exactly_the_limit(monkeypatch):
    body = b'{"a": "' + b"x" * (MAX_BYTES - 10) + b'"}'
    assert len(body) == MAX_BYTES - 1
    answer(monkeypatch, FakeResponse(body + b" "))

    assert fetch_json(f"{BASE}/status/revocation/1") == {"a": "x" * (MAX_BYTES - 10)}


def test_fetch_refuses_a_declared_length_over_the_limit_without_reading(monkeypatch):
    response = FakeResponse(b"{}", content_length=MAX_BYTES + 1)
    answer(monkeypatch, response)

    with pytest.raises(ResolutionError, match="cqm.example sent 1,000,001 bytes"):
        fetch_json(f"{BASE}/status/revocation/1")

    assert response.asked == []


@pytest.mark.parametrize(("failure", "reason"), [
    (urllib.error.URLError(TimeoutError("timed out")), "could not reach cqm.example: timed out"),
    (TimeoutError("timed out"), "could not reach cqm.example: timed out"),
    (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
     "could not reach cqm.example: connection refused"),
    (urllib.error.HTTPError(f"{BASE}/x", 500, "Internal Server Error", Message(), None),
     f"cqm.example answered 500 Internal Server Error for {BASE}/x"),
])
def test_fetch_failures_are_resolution_errors_with_a_plain_reason(monkeypatch, failure, reason):
    answer(monkeypatch, failure)

    with pytest.raises(ResolutionError) as raised:
        fetch_json(f"{BASE}/x")

    assert str(raised.value) == reason


def test_fetch_of_something_that_is_not_json(monkeypatch):
    answer(monkeypatch, FakeResponse(b"<html>Not here</html>"))

    with pytest.raises(ResolutionError) as raised:
        fetch_json(f"{BASE}/x")

    assert str(raised.value) == f"{BASE}/x did not return JSON (Expecting value at line 1, column 1)"


@pytest.mark.parametrize("url", ["https://cqm.example:port/x", "https://[::1/x"])
def test_fetch_of_a_malformed_url_is_a_resolution_error(url, opened):
    with pytest.raises(ResolutionError, match="is not a usable URL"):
        fetch_json(url)


def test_redirects_stay_on_the_same_host_and_on_https():
    handler = cli._SameHostRedirects()
    request = urllib.request.Request(f"{BASE}/.well-known/did.json")

    refused_responses = []

    class RedirectResponse:
        def close(self):
            refused_responses.append(self)

    def redirect(to):
        return handler.redirect_request(request, RedirectResponse(), 302, "Found", Message(), to)

    assert redirect(f"{BASE}/did/v2.json").full_url == f"{BASE}/did/v2.json"
    with pytest.raises(ResolutionError, match="cqm.example redirected to another host, elsewhere.example;"):
        redirect("https://elsewhere.example/.well-known/did.json")
    with pytest.raises(ResolutionError, match="redirected from https to http"):
        redirect("http://cqm.example/.well-known/did.json")
    assert len(refused_responses) == 2  # closed, not left for the garbage collector


def test_the_opener_uses_the_same_host_rule_and_the_timeout(monkeypatch):
    built = []

    class FakeOpener:
        def open(self, request, timeout):
            return request, timeout

    def fake_build_opener(*handlers):
        built.append(handlers)
        return FakeOpener()

    monkeypatch.setattr(urllib.request, "build_opener", fake_build_opener)
    request = urllib.request.Request(f"{BASE}/x")

    assert cli._open(request, 10) == (request, 10)
    assert built == [(cli._SameHostRedirects,)]
    monkeypatch.undo()
    # A subclass of HTTPRedirectHandler replaces urllib's own, so no redirect escapes the rule.
    handlers = urllib.request.build_opener(cli._SameHostRedirects).handlers
    assert [type(handler) for handler in handlers if isinstance(handler, urllib.request.HTTPRedirectHandler)] == [
        cli._SameHostRedirects
    ]
