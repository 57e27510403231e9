"""A refused evidence upload is explained in the uploader's language: the refusal is made, and
shown, during their upload request."""
from __future__ import annotations

import html
import io

import pytest

import evidence_samples as samples
from applicant_fixtures import signed_in, upload
from catalogue import ensure_compiled
from qualitymark.filetypes import EMPTY_MESSAGE, detect
from qualitymark.models.accounts import User


@pytest.fixture(autouse=True, scope="module")
def _welsh_compiled():
    ensure_compiled()


def test_a_word_document_with_macros_is_refused_in_welsh_naming_its_kind_in_welsh(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("cy"):
        refused = detect(io.BytesIO(samples.docx(vba_project=True)), "polisi.docx")
        empty = str(EMPTY_MESSAGE)
    assert refused.reason == "macros"
    assert refused.message.startswith("Mae'r ffeil hon (dogfen Word) yn cynnwys macros.")
    assert "Cadw Fel (Save As)" in refused.message and "Dogfen Word (.docx)" in refused.message
    assert empty.startswith("Mae'r ffeil yn wag (0 beit).")


def test_the_same_refusal_outside_a_request_is_english():
    refused = detect(io.BytesIO(samples.docx(vba_project=True)), "policy.docx")
    assert refused.message.startswith("This Word document contains macros")


def test_a_program_uploaded_from_a_welsh_page_is_refused_in_welsh(app, owner, draft):
    from qualitymark import db

    with app.app_context():
        db.session().get(User, owner.id).locale = "cy"
        db.commit()
    response = upload(signed_in(app, owner).client, draft.id, samples.windows_executable(), "rota.pdf")

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert ("Nid ydym yn derbyn y math hwn o gynnwys (mae'r ffeil yn edrych fel: rhaglen Windows). "
            "Uwchlwythwch PDF, llun (JPEG, PNG), dogfen swyddfa neu ffeil CSV.") in page
    assert "not one we accept" not in page
