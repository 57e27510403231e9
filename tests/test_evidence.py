"""Evidence uploads: checked by content, stored outside the web root, shown only to those allowed."""
from __future__ import annotations

import html
import io

import pytest
from sqlmodel import select

from applicant_fixtures import PDF, pdf_bytes, signed_in, upload
from helpers import post_form
from qualitymark.models.applications import EvidenceCriterion, EvidenceItem
from qualitymark.models.audit import AuditEvent


def error_on(response) -> str:
    return response.get_data(as_text=True)


def test_an_upload_is_stored_under_a_random_key_with_its_hash_and_links(app, owner, draft, db_session):
    import hashlib

    auth = signed_in(app, owner)
    response = upload(auth.client, draft.id, PDF, "Rheolau'r cwmni ŵ.pdf", ["A1", "A2"], "Our rules")
    assert response.status_code == 302
    item = db_session.exec(select(EvidenceItem)).one()
    assert item.sha256 == hashlib.sha256(PDF).hexdigest() and item.size_bytes == len(PDF)
    assert item.original_name == "Rheolau'r cwmni ŵ.pdf" and item.mime_type == "application/pdf"
    assert len(item.storage_key) == 32 and item.storage_key not in item.sha256
    links = db_session.exec(select(EvidenceCriterion.criterion_id)).all()
    assert sorted(links) == ["A1", "A2"]
    evidence_dir = app.config["SETTINGS"].evidence_dir
    stored = list(evidence_dir.rglob(item.storage_key))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    static = app.static_folder
    assert not str(stored[0]).startswith(static)
    assert db_session.exec(select(AuditEvent).where(AuditEvent.action == "evidence.added")).one()


def test_the_download_is_an_attachment_with_nosniff_and_the_non_ascii_name(app, owner, draft):
    auth = signed_in(app, owner)
    upload(auth.client, draft.id, PDF, "Adroddiad blynyddol – Cwmni Gofal ŵŷ.pdf")
    response = auth.client.get(f"/applications/{draft.id}/evidence/1/download")
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Adroddiad%20blynyddol" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    response.close()


def test_a_disguised_file_is_judged_by_its_content(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    response = upload(auth.client, draft.id, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "minutes.pdf")
    page = error_on(response)
    assert response.status_code == 200 and "content is not one we accept" in page
    assert 'aria-invalid="true"' in page and 'id="file-error"' in page
    assert 'Our rules' in page  # what was typed is kept
    assert db_session.exec(select(EvidenceItem)).all() == []
    evidence_dir = app.config["SETTINGS"].evidence_dir
    assert [p for p in evidence_dir.rglob("*") if p.is_file()] == []


def test_a_pdf_named_like_a_photo_is_accepted_as_a_pdf_and_downloads_as_pdf(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    response = upload(auth.client, draft.id, PDF, "photo.jpg", follow_redirects=True)
    assert "is really a application/pdf file" in response.get_data(as_text=True)
    download = auth.client.get(f"/applications/{draft.id}/evidence/1/download")
    assert 'filename=photo.pdf' in download.headers["Content-Disposition"]
    download.close()


def test_an_empty_file_gets_a_message_that_says_what_to_do(app, owner, draft):
    response = upload(signed_in(app, owner).client, draft.id, b"", "empty.pdf")
    page = error_on(response)
    assert "Choose a file to upload" in page or "The file is empty (0 bytes)" in page


def test_a_file_just_over_the_limit_is_refused_by_the_store(app, owner, draft, db_session):
    app.config["SETTINGS"] = type(app.config["SETTINGS"])(**{**app.config["SETTINGS"].__dict__,
                                                              "max_upload_bytes": 1000})
    auth = signed_in(app, owner)
    response = upload(auth.client, draft.id, PDF + b"%" * 2000, "big.pdf")
    page = error_on(response)
    assert response.status_code == 200 and "larger than our limit of 1,000 B" in page
    # In the uploader's language.
    auth.client.get(f"/language?lang=cy&next=/applications/{draft.id}/evidence")
    welsh = html.unescape(error_on(upload(auth.client, draft.id, PDF + b"%" * 2000, "big.pdf")))
    assert "Mae'r ffeil yn fwy na'n terfyn o" in welsh
    assert db_session.exec(select(EvidenceItem)).all() == []


def test_a_request_far_over_the_limit_gets_the_413_page(app, owner, draft):
    from helpers import csrf_token

    auth = signed_in(app, owner)
    token = csrf_token(auth.client, f"/applications/{draft.id}/evidence")
    # The body is built by hand (not by the test client's multipart encoder, which spools big
    # bodies to a temporary file): the server must refuse it before reading it.
    boundary = "qualitymark-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + PDF + b"%" * (app.config["MAX_CONTENT_LENGTH"] + 10) \
        + f"\r\n--{boundary}--\r\n".encode()
    response = auth.client.post(f"/applications/{draft.id}/evidence", data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "larger than our limit of 25 MB" in response.get_data(as_text=True)


@pytest.mark.parametrize("name, stored_as", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    # HTTP quoted strings treat "\\" as an escape, so what arrives is "C:UsersgwenMinutes.pdf":
    # the drive letter must still go.
    ("C:\\Users\\gwen\\Minutes.pdf", "UsersgwenMinutes.pdf"),
    ("Cofnodion cyfarfod – Mehefin ŵ.pdf", "Cofnodion cyfarfod – Mehefin ŵ.pdf"),
])
def test_a_path_in_the_name_is_removed_and_non_ascii_names_are_kept(app, owner, draft, db_session, name, stored_as):
    upload(signed_in(app, owner).client, draft.id, PDF, name)
    stored = db_session.exec(select(EvidenceItem.original_name)).one()
    assert stored == stored_as and not any(mark in stored for mark in ("/", "\\", ":", ".."))


def test_the_same_file_uploaded_twice_is_recognised(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    upload(auth.client, draft.id, PDF, "first.pdf", ["A1"])
    response = upload(auth.client, draft.id, PDF, "second copy.pdf", ["B1"], follow_redirects=True)
    assert "This file is already uploaded, as “first.pdf”" in response.get_data(as_text=True)
    assert len(db_session.exec(select(EvidenceItem)).all()) == 1
    assert sorted(db_session.exec(select(EvidenceCriterion.criterion_id)).all()) == ["A1", "B1"]
    evidence_dir = app.config["SETTINGS"].evidence_dir
    assert len([p for p in (evidence_dir / "objects").rglob("*") if p.is_file()]) == 1


def test_evidence_of_one_application_cannot_be_fetched_through_another(app, owner, outsider, draft, start_application):
    upload(signed_in(app, owner).client, draft.id, PDF, "ours.pdf")
    theirs = start_application(outsider, slug="other-coop")
    intruder = signed_in(app, outsider)
    # Their own application id with our evidence id: not found.
    assert intruder.client.get(f"/applications/{theirs.id}/evidence/1/download").status_code == 404
    assert intruder.client.get(f"/applications/{draft.id}/evidence/1/download").status_code == 404


def test_an_officer_can_read_and_download_but_not_upload(app, owner, officer, draft):
    upload(signed_in(app, owner).client, draft.id, PDF, "ours.pdf")
    office = signed_in(app, officer)
    assert office.client.get(f"/applications/{draft.id}").status_code == 200
    download = office.client.get(f"/applications/{draft.id}/evidence/1/download")
    assert download.status_code == 200
    download.close()
    assert upload(office.client, draft.id, pdf_bytes("office")).status_code == 403


def test_removing_evidence_deletes_the_file_after_the_commit(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    upload(auth.client, draft.id, PDF, "mistake.pdf")
    item = db_session.exec(select(EvidenceItem)).one()
    key, item_id = item.storage_key, item.id
    evidence_dir = app.config["SETTINGS"].evidence_dir
    assert list(evidence_dir.rglob(key))
    response = post_form(auth.client, f"/applications/{draft.id}/evidence/{item_id}/remove", {},
                         token_from=f"/applications/{draft.id}/evidence")
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.exec(select(EvidenceItem)).all() == []
    assert not list(evidence_dir.rglob(key))


def test_links_can_be_changed(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    upload(auth.client, draft.id, PDF, "rules.pdf", ["A1"])
    post_form(auth.client, f"/applications/{draft.id}/evidence/1", {"criteria": ["A2", "A3"]})
    assert sorted(db_session.exec(select(EvidenceCriterion.criterion_id)).all()) == ["A2", "A3"]


def test_an_unknown_criterion_is_refused(app, owner, draft, db_session):
    response = upload(signed_in(app, owner).client, draft.id, PDF, "rules.pdf", ["Z9"])
    assert response.status_code == 200
    assert db_session.exec(select(EvidenceItem)).all() == []


def test_other_accepted_kinds_upload(app, owner, draft, db_session):
    from evidence_samples import docx, png

    auth = signed_in(app, owner)
    assert upload(auth.client, draft.id, png(), "photo.png").status_code == 302
    assert upload(auth.client, draft.id, docx(), "policy.docx").status_code == 302
    assert upload(auth.client, draft.id, "Enw,Rôl\nGwen,Gweithiwr\n".encode(), "staff.csv").status_code == 302
    kinds = sorted(db_session.exec(select(EvidenceItem.mime_type)).all())
    assert kinds[0].startswith("application/vnd.openxmlformats") and "image/png" in kinds
    assert any(kind.startswith("text/csv") for kind in kinds)
