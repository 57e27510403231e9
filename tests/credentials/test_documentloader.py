"""The offline JSON-LD contexts, and the package's promise to stay pure."""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest
from vc_helpers import read_vector_json, vectors

from qualitymark.credentials import ContextNotAllowedError, ProofError, document_loader
from qualitymark import credentials
from qualitymark.credentials import rdfc
from qualitymark.credentials.documentloader import CONTEXT_FILES, OPEN_BADGES_V3, VC_EXAMPLES_V2, VC_V2

PACKAGE = Path(credentials.__file__).resolve().parent


def test_the_shipped_contexts_are_byte_identical_to_the_shared_ones():
    vectors_dir = vectors()
    shipped = sorted(path.name for path in (PACKAGE / "contexts").iterdir())

    assert shipped == sorted(path.name for path in (vectors_dir / "contexts").iterdir())
    for name in shipped:
        assert (PACKAGE / "contexts" / name).read_bytes() == (vectors_dir / "contexts" / name).read_bytes(), name
    # Open Badges is not in SHA256SUMS; pin the 1EdTech file we were given (PROVENANCE.md).
    assert hashlib.sha256((PACKAGE / "contexts" / CONTEXT_FILES[OPEN_BADGES_V3]).read_bytes()).hexdigest() == (
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761"
    )


def test_each_url_is_served_from_its_file():
    loader = document_loader()

    assert set(CONTEXT_FILES) == {VC_V2, VC_EXAMPLES_V2, OPEN_BADGES_V3}
    assert loader(VC_V2, {})["document"]["@context"]["VerifiableCredential"]["@id"] == (
        "https://www.w3.org/2018/credentials#VerifiableCredential"
    )
    assert loader(VC_EXAMPLES_V2, {})["document"] == {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
    assert "OpenBadgeCredential" in loader(OPEN_BADGES_V3, {})["document"]["@context"]


def test_the_loader_hands_out_copies():
    loader = document_loader()
    loader(VC_EXAMPLES_V2, {})["document"]["@context"]["@vocab"] = "https://evil.example/#"

    assert loader(VC_EXAMPLES_V2, {})["document"]["@context"]["@vocab"] == "https://www.w3.org/ns/credentials/examples#"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/context.jsonld",
        "https://www.w3.org/2018/credentials/v1",  # pyld ships this one; we do not use it
        "https://w3id.org/citizenship/v4rc1",
        "http://www.w3.org/ns/credentials/v2",  # not https: not the same URL
    ],
)
def test_the_loader_refuses_any_other_url_and_names_it(url):
    with pytest.raises(ContextNotAllowedError, match=url.replace(".", r"\.")) as refused:
        document_loader()(url, {})

    assert refused.value.url == url


def test_canonicalizing_a_document_with_an_unknown_context_is_refused_naming_it():
    """The employment vector needs the citizenship context, which is not shipped."""
    vectors_dir = vectors()
    document = read_vector_json(vectors_dir, "employmentAuth.json")

    with pytest.raises(ContextNotAllowedError, match="https://w3id.org/citizenship/v4rc1"):
        rdfc.canonicalize(document)


@pytest.mark.parametrize(
    "document",
    [
        {"@context": [VC_V2], "type": "VerifiableCredential", "unsigned_remark": "x"},
        {"@context": [VC_V2], "type": ["VerifiableCredential", "UndefinedType"]},
        {"@context": [VC_V2], "type": "VerifiableCredential", "credentialSubject": {"id": "relative/path"}},
    ],
    ids=["undefined term", "undefined type", "relative id"],
)
def test_what_json_ld_would_silently_drop_is_refused(document):
    """Dropped data is not covered by an rdfc signature, so a verifier must not accept it."""
    with pytest.raises(ProofError, match="is not defined by the document's JSON-LD contexts|is not an absolute IRI"):
        rdfc.canonicalize(document)


FORBIDDEN_IMPORTS = ("flask", "sqlalchemy", "sqlmodel", "qualitymark.db", "qualitymark.models", "qualitymark.services",
                     "qualitymark.web", "requests", "urllib.request", "http", "socket", "aiohttp")


def test_the_package_imports_no_flask_database_or_network_code():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            offenders += [
                f"{path.name}: {name}" for name in names
                if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN_IMPORTS)
            ]
    assert offenders == []
