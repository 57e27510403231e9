"""Content detection and file-name hygiene for uploaded evidence (pure unit tests)."""
from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import evidence_samples as samples
from qualitymark.filetypes import (
    KINDS,
    Detected,
    Rejected,
    ascii_fallback,
    detect,
    download_name,
    sanitise_filename,
)

GENERIC_ADVICE = "Upload a PDF, a photo (JPEG, PNG), an office document or a CSV file."


def detect_bytes(data: bytes, name: str = "upload") -> Detected | Rejected:
    return detect(io.BytesIO(data), name)


def accepted(data: bytes, name: str = "upload") -> Detected:
    result = detect_bytes(data, name)
    assert isinstance(result, Detected), result
    return result


def rejected(data: bytes, name: str = "upload") -> Rejected:
    result = detect_bytes(data, name)
    assert isinstance(result, Rejected), result
    return result


# --- what we accept ---------------------------------------------------------------------------

ACCEPTED = [
    (samples.pdf, "Adroddiad blynyddol.pdf", "pdf", "application/pdf", ".pdf"),
    (samples.png, "cegin.png", "png", "image/png", ".png"),
    (samples.jpeg, "IMG_0042.JPG", "jpeg", "image/jpeg", ".jpg"),
    (samples.gif, "logo.gif", "gif", "image/gif", ".gif"),
    (samples.webp, "photo.webp", "webp", "image/webp", ".webp"),
    (samples.heic, "IMG_0043.HEIC", "heic", "image/heic", ".heic"),
    (samples.docx, "Polisi diogelu.docx", "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    (samples.xlsx, "Cyfrifon 2024.xlsx", "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    (samples.pptx, "AGM.pptx", "pptx",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    (samples.odt, "Cofnodion.odt", "odt", "application/vnd.oasis.opendocument.text", ".odt"),
    (samples.ods, "Rota.ods", "ods", "application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    (samples.odp, "Hyfforddiant.odp", "odp", "application/vnd.oasis.opendocument.presentation", ".odp"),
    (samples.doc, "Old policy.doc", "doc", "application/msword", ".doc"),
    (samples.xls, "Old accounts.xls", "xls", "application/vnd.ms-excel", ".xls"),
    (samples.ppt, "Old slides.ppt", "ppt", "application/vnd.ms-powerpoint", ".ppt"),
    (samples.csv_utf8_welsh, "Staff.csv", "csv", "text/csv", ".csv"),
    (samples.csv_semicolons, "Oriau.csv", "csv", "text/csv", ".csv"),
    (samples.csv_windows_1252, "Cyflogau.csv", "csv", "text/csv", ".csv"),
    (samples.plain_text, "Cofnodion.txt", "text", "text/plain", ".txt"),
]


@pytest.mark.parametrize(("build", "name", "kind", "mime_type", "extension"), ACCEPTED,
                         ids=[case[2] + "-" + case[0].__name__ for case in ACCEPTED])
def test_each_accepted_kind_is_recognised_from_its_content(build, name, kind, mime_type, extension):
    result = accepted(build(), name)

    assert (result.kind, result.mime_type, result.extension) == (kind, mime_type, extension)
    assert result.label == KINDS[kind].label
    assert result.extension_mismatch is False


@pytest.mark.parametrize(("build", "name", "kind", "mime_type", "extension"), ACCEPTED,
                         ids=[case[2] + "-" + case[0].__name__ for case in ACCEPTED])
def test_the_name_plays_no_part_in_deciding_the_kind(build, name, kind, mime_type, extension):
    assert accepted(build(), "upload.exe").kind == kind
    assert accepted(build(), "").kind == kind


def test_detect_reads_a_path_as_well_as_a_file_object(tmp_path):
    path = tmp_path / "minutes"
    path.write_bytes(samples.docx())

    assert detect(path, "minutes").kind == "docx"
    assert detect(str(path), "minutes").kind == "docx"


def test_detect_examines_the_whole_file_object_and_puts_its_position_back():
    stream = io.BytesIO(samples.pdf())
    stream.seek(40)

    assert detect(stream, "report.pdf").kind == "pdf"
    assert stream.tell() == 40


def test_a_pdf_header_after_some_junk_within_the_first_kilobyte_is_still_a_pdf():
    assert accepted(b"\r\n" * 200 + samples.pdf()).kind == "pdf"


def test_a_pdf_header_beyond_the_first_kilobyte_does_not_make_a_pdf():
    result = rejected(b"\x00" * 1100 + samples.pdf())
    assert result.reason == "not_accepted"


def test_text_detection_reports_the_charset_to_serve_it_with():
    assert accepted(samples.csv_utf8_welsh()).content_type == "text/csv; charset=utf-8"
    assert accepted(samples.csv_windows_1252()).content_type == "text/csv; charset=windows-1252"
    assert accepted(samples.pdf()).content_type == "application/pdf"


# --- CSV or plain text, by content --------------------------------------------------------

def test_welsh_csv_in_utf8_with_or_without_a_bom():
    assert accepted(samples.csv_utf8_welsh(bom=True)).kind == "csv"
    assert accepted(samples.csv_utf8_welsh(bom=False)).kind == "csv"


def test_tab_separated_text_is_csv():
    data = "Enw\tOriau\nSiân\t7.5\nDafydd\t8\n".encode()
    assert accepted(data, "oriau.txt") == Detected(
        kind="csv", mime_type="text/csv", label="CSV spreadsheet", extension=".csv",
        extension_mismatch=False, charset="utf-8")


def test_a_title_line_above_the_table_does_not_stop_it_being_csv():
    rows = "".join(f"Person {i},Mon,Tue,Wed\n" for i in range(10))
    data = ("Rota for March\n" + "Name,Mon,Tue,Wed\n" + rows).encode()
    assert accepted(data).kind == "csv"


def test_prose_with_commas_is_plain_text_not_csv():
    data = ("Dear assessor,\n"
            "Thank you for your visit. We have, as agreed, updated the policy.\n"
            "The rota, which you asked about, is attached separately.\n"
            "Yours sincerely, Siân\n").encode()
    assert accepted(data, "letter.txt").kind == "text"


def test_a_single_column_list_is_plain_text_and_its_csv_name_is_no_mismatch():
    result = accepted("Names\nSiân\nDafydd\nGwen\n".encode(), "names.csv")
    assert result.kind == "text"
    assert result.extension_mismatch is False


def test_a_large_csv_is_judged_on_its_opening_rows_but_checked_to_the_end():
    body = "".join(f"{i},Gofalwr {i},Caerdydd\n" for i in range(20_000)).encode()
    assert len(body) > 200_000
    assert accepted(b"Rhif,Enw,Tref\n" + body).kind == "csv"
    # Binary data after a clean opening is not text, however the file starts.
    assert rejected(b"Rhif,Enw,Tref\n" + body + b"\x00\x01\x02").reason == "not_accepted"


def test_windows_1252_text_that_is_not_csv_asks_for_utf8():
    note = "Cofnodion y caffi\n\nTrafodwyd y fwydlen: café, crème brûlée, a chacen.\nDim byd arall.\n"
    result = rejected(note.encode("cp1252"))
    assert result.reason == "text_encoding"
    assert "UTF-8" in result.message


def test_utf16_text_asks_for_utf8():
    result = rejected("Enw,Oed\r\nSiân,34\r\n".encode("utf-16"))
    assert result.reason == "text_encoding"
    assert "UTF-8" in result.message


def test_text_with_control_characters_is_not_text():
    assert rejected(b"Name,Age\nSian,34\n\x01\x02\x03\x1b[31m\n").reason == "not_accepted"


# --- extension disagreements ----------------------------------------------------------------

def test_a_pdf_renamed_jpg_is_accepted_as_a_pdf_with_a_mismatch():
    result = accepted(samples.pdf(), "photo of kitchen.jpg")
    assert (result.kind, result.extension_mismatch) == ("pdf", True)


def test_a_jpeg_renamed_pdf_is_accepted_as_a_jpeg_with_a_mismatch():
    result = accepted(samples.jpeg(), "report.pdf")
    assert (result.kind, result.mime_type, result.extension_mismatch) == ("jpeg", "image/jpeg", True)


def test_a_word_document_called_pdf_is_a_mismatch():
    result = accepted(samples.docx(), "C:\\Users\\Sian\\report.pdf")
    assert (result.kind, result.extension_mismatch) == ("docx", True)


@pytest.mark.parametrize(("build", "name"), [
    (samples.pdf, "REPORT.PDF"),
    (samples.jpeg, "IMG_1.jpeg"),
    (samples.jpeg, "scan.jfif"),
    (samples.heic, "IMG_2.heif"),
    (samples.csv_utf8_welsh, "staff.txt"),
    (samples.pdf, "no extension at all"),
    (samples.pdf, ".pdf"),
])
def test_equivalent_or_missing_extensions_are_no_mismatch(build, name):
    assert accepted(build(), name).extension_mismatch is False


# --- what we refuse -------------------------------------------------------------------------

def test_an_empty_file_is_refused_with_advice_for_phones():
    result = rejected(b"", "report.pdf")
    assert result.reason == "empty"
    assert result.message == ("The file is empty (0 bytes). Choose the file again; if it is on "
                              "a phone, make sure it has finished downloading.")


@pytest.mark.parametrize(("build", "looks_like"), [
    (samples.elf_executable, "a Linux program"),
    (samples.windows_executable, "a Windows program"),
    (samples.shell_script, "a script, which is a kind of program"),
    (lambda: b"@ECHO OFF\r\ndel /q *\r\n", "a script, which is a kind of program"),
    (lambda: b"#!/usr/bin/env python\nimport os\n", "a script, which is a kind of program"),
    (samples.html_page, "an HTML web page"),
    (lambda: b"  \n<html><body>hi</body></html>", "an HTML web page"),
    (samples.svg_image, "an SVG drawing, which can contain scripts"),
    (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG drawing, which can contain scripts"),
    (lambda: b'<?xml version="1.0"?><data/>', "XML data"),
    (lambda: b"{\\rtf1\\ansi Polisi}", "a Rich Text Format document"),
    (samples.random_binary, "data we could not recognise"),
    (lambda: b"\x00\x00\x00\x18ftypmp42" + bytes(range(1, 100)), "MPEG-4 video file"),
])
def test_content_we_do_not_accept_is_refused_saying_what_it_looks_like(build, looks_like):
    result = rejected(build(), "evidence.pdf")

    assert result.reason == "not_accepted"
    assert result.looks_like == looks_like
    assert result.message == (f"This file's content is not one we accept (it looks like: "
                              f"{looks_like}). {GENERIC_ADVICE}")


def test_look_alike_images_are_not_taken_for_photos():
    jpeg_2000 = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 100
    riff_audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40
    two_byte_jpeg_opening = b"\xff\xd8\x00\x00" + bytes(range(1, 100))
    for data in (jpeg_2000, riff_audio, two_byte_jpeg_opening):
        assert rejected(data).reason == "not_accepted"


def test_a_plain_zip_is_refused_with_advice_to_unzip_it():
    result = rejected(samples.plain_zip(), "evidence.zip")
    assert result.reason == "archive"
    assert "ZIP" in result.message
    assert "Unzip it" in result.message


@pytest.mark.parametrize(("data", "looks_like"), [
    (b"7z\xbc\xaf\x27\x1c" + bytes(range(1, 100)), "7-Zip Compressed file"),
    (b"Rar!\x1a\x07\x01\x00" + bytes(range(1, 100)), "RAR Archive"),
    (b"\x1f\x8b\x08\x00" + bytes(range(1, 100)), "GZIP Archive file"),
])
def test_other_archives_are_refused_with_advice_to_unpack_them(data, looks_like):
    result = rejected(data)
    assert (result.reason, result.looks_like) == ("archive", looks_like)
    assert "Unzip it" in result.message


def test_a_damaged_zip_is_refused_as_damaged():
    result = rejected(b"PK\x03\x04" + b"\x00" * 200, "policy.docx")
    assert result.reason == "damaged"
    assert "damaged or incomplete" in result.message


@pytest.mark.parametrize("build", [
    lambda: samples.docx(vba_project=True),
    lambda: samples.docx(macro_content_type=True),
    lambda: samples.ooxml("xlsx", vba_project=True),
], ids=["vbaProject.bin", "docm-content-type", "xlsm"])
def test_office_documents_with_macros_are_refused_with_advice_to_save_without(build):
    result = rejected(build(), "policy.docx")
    assert result.reason == "macros"
    assert "contains macros" in result.message
    assert "Save As" in result.message


def test_opendocument_and_legacy_documents_with_macros_are_refused():
    assert rejected(samples.odt(basic_macros=True)).reason == "macros"
    assert rejected(samples.doc(storages=("Macros",))).reason == "macros"
    assert rejected(samples.ole2(("Workbook",), storages=("_VBA_PROJECT_CUR",))).reason == "macros"


def test_a_password_protected_office_document_is_refused_with_advice():
    result = rejected(samples.ole2(("EncryptedPackage", "EncryptionInfo")), "accounts.xlsx")
    assert result.reason == "encrypted"
    assert "password" in result.message


def test_other_compound_files_are_not_office_documents():
    result = rejected(samples.ole2(("__properties_version1.0",)), "message.msg")
    assert result.reason == "not_accepted"


def test_a_bare_ole2_header_is_a_damaged_office_document():
    result = rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, "old.doc")
    assert result.reason == "damaged"


def test_other_opendocument_and_office_packages_are_refused():
    drawing = samples.opendocument("graphics")
    assert rejected(drawing).reason == "not_accepted"
    visio_like = samples._zip([("[Content_Types].xml", "<Types/>"), ("visio/document.xml", "<x/>")])
    assert rejected(visio_like).reason == "not_accepted"


# --- sanitise_filename --------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\report.pdf", "report.pdf"),
    ("C:report.pdf", "report.pdf"),
    ("..", "evidence"),
    ("rota\x00march\x07.xlsx", "rotamarch.xlsx"),
    ("line\nbreak\r\t.txt", "line break.txt"),
    ("  .hidden  ", "hidden"),
    ("...", "evidence"),
    ("", "evidence"),
    (None, "evidence"),
    ("   ", "evidence"),
    ('Minutes: "March" <draft>|v2?*.docx', "Minutes March draftv2.docx"),
    ("Adroddiad blynyddol – Cwmni Gofal ŵŷ.pdf", "Adroddiad blynyddol – Cwmni Gofal ŵŷ.pdf"),
    ("報告書 2024.pdf", "報告書 2024.pdf"),
    ("Café   crème\u00a0brûlée.txt", "Café crème brûlée.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("report. ", "report"),
    ("CON.txt", "CON_.txt"),
])
def test_sanitise_filename(raw, clean):
    assert sanitise_filename(raw) == clean


def test_sanitise_filename_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Siân ŵŷ.pdf")
    assert decomposed != "Siân ŵŷ.pdf"
    assert sanitise_filename(decomposed) == "Siân ŵŷ.pdf"


def test_a_300_character_name_is_cut_to_120_keeping_its_extension():
    result = sanitise_filename("Adroddiad " + "gofal " * 50 + ".docx")
    assert len(result) == 120
    assert result.endswith(".docx")
    assert result.startswith("Adroddiad gofal")


def test_a_long_name_without_a_real_extension_is_simply_cut():
    result = sanitise_filename("a" * 200 + "." + "b" * 40)
    assert len(result) == 120


@given(st.text(max_size=400))
def test_sanitised_names_are_always_safe(raw):
    clean = sanitise_filename(raw)

    assert clean and len(clean) <= 120
    assert not clean.startswith((".", " ")) and not clean.endswith(" ")
    assert not any(ch in clean for ch in '<>:"/\\|?*')
    assert not any(unicodedata.category(ch) == "Cc" for ch in clean)
    assert clean == unicodedata.normalize("NFC", clean)
    assert sanitise_filename(clean) == clean


# --- ascii_fallback and download_name -----------------------------------------------------

@pytest.mark.parametrize(("raw", "fallback"), [
    ("Adroddiad blynyddol – Cwmni Gofal ŵŷ.pdf", "Adroddiad blynyddol - Cwmni Gofal wy.pdf"),
    ("Siân’s rota.xlsx", "Sians rota.xlsx"),
    ("報告書.pdf", "evidence.pdf"),
    ("報告書", "evidence"),
    ("100% done; \"final\".docx", "100 done final.docx"),
    ("../Straße.txt", "Strasse.txt"),
])
def test_ascii_fallback(raw, fallback):
    assert ascii_fallback(raw) == fallback


@given(st.text(max_size=200))
def test_ascii_fallbacks_are_plain_ascii_without_quoting_hazards(raw):
    fallback = ascii_fallback(raw)
    assert fallback.isascii() and fallback.isprintable()
    assert not any(ch in fallback for ch in '"\\%;')
    assert fallback and len(fallback) <= 120


@pytest.mark.parametrize(("name", "build", "expected"), [
    ("report.pdf", samples.docx, "report.docx"),
    ("report.pdf", samples.pdf, "report.pdf"),
    ("IMG_1.JPEG", samples.jpeg, "IMG_1.JPEG"),
    ("scan", samples.pdf, "scan.pdf"),
    ("minutes.v2", samples.pdf, "minutes.v2.pdf"),
    ("", samples.png, "evidence.png"),
])
def test_download_name_gives_the_extension_the_content_deserves(name, build, expected):
    assert download_name(name, accepted(build(), name)) == expected
