"""The printed certificate, the embeddable badge and the QR codes: what a person would see and
what a phone would scan. Pure rendering: no app, no database."""
from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pypdfium2
import pytest
import segno
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from qualitymark.certificates.render import (
    BADGE_COLOURS,
    CertificateView,
    format_date,
    qr_code,
    qr_png,
    qr_svg,
    render_badge_svg,
    render_certificate_pdf,
)

SVG = "{http://www.w3.org/2000/svg}"
URL = "https://carequalitymark.coop/c/CQM-7K3M9Q2XWD"


def make_view(**changes) -> CertificateView:
    view = CertificateView(
        public_code="CQM-7K3M9Q2XWD",
        verification_url=URL,
        coop_name="Cwmni Gofal Ŵyr a Ŷd",
        coop_region="Pentre Tŷ Gŵyn, Ynys Môn",
        award_name="Care Quality Mark — Excellent",
        award_name_cy="Marc Ansawdd Gofal — Rhagorol",
        services=["Home care", "Supported living", "Gofal yn y tŷ"],
        rubric_title="Care Quality Mark standard for social-care co-operatives",
        rubric_version="2.1",
        rubric_url="https://carequalitymark.coop/rubrics/care-quality-mark/2.1",
        valid_from=date(2027, 1, 1),
        valid_until=date(2029, 12, 31),
        issuer_name="Care Quality Mark certification office",
        status="valid",
    )
    return dataclasses.replace(view, **changes)


def pdf_text(content: bytes) -> str:
    """The page's extracted text with white space collapsed (lines break where they break)."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(reader.pages[0].extract_text().split())


def scan_page(content: bytes, dpi: int = 150) -> list:
    """Every barcode a reader finds on the page rendered as a printer would (no system library:
    pdfium and zxing-cpp come inside their wheels)."""
    document = pypdfium2.PdfDocument(content)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return zxingcpp.read_barcodes(image)


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# --- the view -------------------------------------------------------------------------------------

def test_the_contrast_formula_matches_the_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_a_view_refuses_an_unknown_state_and_keeps_its_services_immutable():
    with pytest.raises(ValueError, match="status"):
        make_view(status="active")
    view = make_view(services=["Home care"])
    assert view.services == ("Home care",)
    assert hash(view) == hash(make_view(services=("Home care",)))


def test_dates_are_written_out_in_english_whatever_the_locale():
    assert format_date(date(2027, 1, 1)) == "1 January 2027"
    assert format_date(date(2029, 12, 31)) == "31 December 2029"


# --- the PDF --------------------------------------------------------------------------------------

def test_the_certificate_is_a_single_a4_portrait_page():
    content = render_certificate_pdf(make_view())
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_certificate_says_who_what_against_which_criteria_and_until_when_in_real_text():
    text = pdf_text(render_certificate_pdf(make_view()))
    for expected in [
        "Certificate",
        "Care Quality Mark — Excellent",
        "Marc Ansawdd Gofal — Rhagorol",
        "awarded to",
        "Cwmni Gofal Ŵyr a Ŷd",
        "Pentre Tŷ Gŵyn, Ynys Môn",
        "Home care", "Supported living", "Gofal yn y tŷ",
        "assessed against",
        "Care Quality Mark standard for social-care co-operatives",
        "version 2.1",
        "1 January 2027",
        "31 December 2029",
        "Issued by the Care Quality Mark certification office",
        "CQM-7K3M9Q2XWD",
        f"Check this certificate is still valid: scan the code or visit {URL}",
        "https://carequalitymark.coop/rubrics/care-quality-mark/2.1",
    ]:
        assert expected in text, expected
    for stamp in ("SUSPENDED", "WITHDRAWN", "EXPIRED"):
        assert stamp not in text


@pytest.mark.parametrize("name", ["Cwmni Gofal Ŵyr a Ŷd", "ŵ ŷ â ê î ô û ï Ŵ Ŷ Â Ê Î Ô Û Ï"])
def test_welsh_letters_print_and_copy_intact_from_the_embedded_font(name):
    content = render_certificate_pdf(make_view(coop_name=name))
    assert name in pdf_text(content)
    fonts = PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        assert "DejaVuSerif" in font["/BaseFont"]              # no standard (unembedded) font at all
        assert "/FontFile2" in font["/FontDescriptor"]          # the TrueType program is embedded
        assert "/ToUnicode" in font                             # so copying and searching work


def test_the_code_is_given_letter_spaced_for_reading_aloud_but_copies_as_one_word():
    content = render_certificate_pdf(make_view())
    stream = PdfReader(io.BytesIO(content)).pages[0].get_contents().get_data()
    assert re.search(rb"[1-9][\d.]* Tc", stream)                # character spacing is used …
    assert re.search(rb"\) Tj 0 Tc ET", stream)                 # … and switched off again
    assert "CQM-7K3M9Q2XWD" in pdf_text(content).split()


def test_the_pdf_carries_title_author_subject_and_language():
    reader = PdfReader(io.BytesIO(render_certificate_pdf(make_view())))
    meta = reader.metadata
    assert meta.title == "Care Quality Mark — Excellent certificate: Cwmni Gofal Ŵyr a Ŷd"
    assert meta.author == "Care Quality Mark certification office"
    assert "CQM-7K3M9Q2XWD" in meta.subject and "Cwmni Gofal Ŵyr a Ŷd" in meta.subject
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


@pytest.mark.parametrize("status, word", [
    ("suspended", "SUSPENDED"), ("withdrawn", "WITHDRAWN"), ("expired", "EXPIRED")])
def test_a_certificate_that_is_not_valid_is_stamped_with_its_state(status, word):
    content = render_certificate_pdf(make_view(status=status))
    text = pdf_text(content)
    assert word in text
    assert f"This certificate {'was' if status == 'suspended' else 'had'}" in text
    assert "Cwmni Gofal Ŵyr a Ŷd" in text and "CQM-7K3M9Q2XWD" in text
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    assert [code.text for code in scan_page(content)] == [URL]


def test_the_same_view_renders_the_same_bytes_and_another_state_does_not():
    first = render_certificate_pdf(make_view())
    assert render_certificate_pdf(make_view(status="suspended")) != first
    render_certificate_pdf(make_view(coop_name="Другая кооператива ΑΒΓ"))  # other glyphs in between
    assert render_certificate_pdf(make_view()) == first


def test_the_qr_code_on_the_printed_page_scans_to_exactly_the_verification_url():
    codes = scan_page(render_certificate_pdf(make_view()))
    assert len(codes) == 1
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
    assert codes[0].text == URL
    assert codes[0].ec_level in ("M", "Q", "H")


def test_a_hostile_name_is_printed_as_written():
    name = '<script>alert("x")</script> & <b>Co-op</b>'
    content = render_certificate_pdf(make_view(coop_name=name, services=["<i>care</i> & support"]))
    text = pdf_text(content)
    assert name in text
    assert "<i>care</i> & support" in text


def test_a_long_name_and_many_services_still_fit_on_one_page_and_scan():
    services = [f"Service number {i} with a fairly long description of what it covers" for i in range(12)]
    view = make_view(coop_name="The Very Long Named Cooperative of Community Domiciliary Care "
                               "Workers and Service Users of North and Mid Wales Limited",
                     services=services)
    content = render_certificate_pdf(view)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    text = pdf_text(content)
    assert "Service number 11 with a fairly long description" in text
    assert "31 December 2029" in text
    assert [code.text for code in scan_page(content)] == [URL]


# --- the QR helpers -------------------------------------------------------------------------------

def test_the_qr_code_is_a_full_qr_code_of_the_url_with_error_correction_m_or_better():
    qr = qr_code(URL)
    assert not qr.is_micro
    assert qr.error in ("M", "Q", "H")
    assert qr.matrix == segno.make_qr(URL, error=qr.error.lower(), boost_error=False).matrix
    with pytest.raises(ValueError):
        qr_code("")


def test_the_qr_png_decodes_to_exactly_the_url():
    png = qr_png(URL, 6)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    modules = qr_code(URL).symbol_size(scale=1, border=4)[0]
    assert image.size == (modules * 6, modules * 6)
    assert [code.text for code in zxingcpp.read_barcodes(image.convert("L"))] == [URL]


def test_the_qr_svg_is_segnos_inline_svg_of_the_same_code():
    svg = qr_svg(URL)
    assert svg == qr_code(URL).svg_inline(scale=4, border=4, light="#fff")
    assert svg.startswith("<svg")  # no XML declaration and no namespace: it goes inside HTML
    root = ET.fromstring(svg)
    modules = qr_code(URL).symbol_size(scale=1, border=4)[0]
    assert (root.tag, root.get("width"), root.get("height")) == ("svg", str(modules * 4), str(modules * 4))
    assert [path for path in root.iter("path") if path.get("class") == "qrline"]
    titled = ET.fromstring(qr_svg(URL, title="Check <this> certificate"))
    assert titled.find("title").text == "Check <this> certificate"


# --- the badge ------------------------------------------------------------------------------------

def badge(**changes) -> ET.Element:
    fields = {"coop_name": "Gofal Da Co-op", "award_name": "Care Quality Mark",
              "valid_until": date(2030, 1, 1), **changes}
    return ET.fromstring(render_badge_svg(make_view(**fields)))


def visible_text(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def test_the_badge_is_a_small_accessible_image_naming_the_award_state_and_co_op():
    root = badge()
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("240", "64", "0 0 240 64")
    assert root.get("role") == "img"
    label = "Care Quality Mark: valid until 1 January 2030 — Gofal Da Co-op"
    assert root.get("aria-label") == label
    assert root.find(f"{SVG}title").text == label
    assert visible_text(root) == ["Care Quality Mark", "Valid until 1 January 2030", "Gofal Da Co-op"]


@pytest.mark.parametrize("status, words, spoken", [
    ("valid", "Valid until 1 January 2030", "valid until 1 January 2030"),
    ("suspended", "Suspended", "suspended, not currently valid"),
    ("withdrawn", "Withdrawn", "withdrawn, not currently valid"),
    ("expired", "Expired", "expired (was valid until 1 January 2030)"),
    ("renewal_in_progress", "Renewal in progress", "renewal in progress (was valid until 1 January 2030)"),
])
def test_the_badge_gives_the_state_in_words_and_colour(status, words, spoken):
    root = badge(status=status)
    assert words in visible_text(root)
    assert root.get("aria-label") == f"Care Quality Mark: {spoken} — Gofal Da Co-op"
    assert root.find(f"{SVG}rect").get("fill") == BADGE_COLOURS[status]


def test_valid_suspended_and_no_longer_valid_badges_differ_in_colour():
    fills = {status: badge(status=status).find(f"{SVG}rect").get("fill")
             for status in ("valid", "suspended", "withdrawn", "expired", "renewal_in_progress")}
    assert fills == {"valid": "#1d6b2f", "suspended": "#8a5300", "withdrawn": "#4a4a4a", "expired": "#4a4a4a",
                     "renewal_in_progress": "#1f4e79"}
    assert len({fills["valid"], fills["suspended"], fills["withdrawn"]}) == 3


@pytest.mark.parametrize("status", ["valid", "suspended", "withdrawn", "expired", "renewal_in_progress"])
def test_badge_text_and_symbol_contrast_meet_wcag_aa(status):
    root = badge(status=status)
    background = root.find(f"{SVG}rect").get("fill")
    text_groups = [group for group in root.iter(f"{SVG}g") if group.find(f"{SVG}text") is not None]
    assert text_groups
    for group in text_groups:
        assert contrast(group.get("fill"), background) >= 4.5
    for group in root.iter(f"{SVG}g"):
        if group.get("stroke"):
            assert contrast(group.get("stroke"), background) >= 3  # non-text contrast


def test_a_hostile_co_op_name_cannot_break_or_script_the_badge():
    name = '<script>alert(1)</script>&"\'<!-- ]]>\x07'
    svg = render_badge_svg(make_view(coop_name=name))
    root = ET.fromstring(svg)  # still well-formed
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert "<script" not in svg
    cleaned = '<script>alert(1)</script>&"\'<!-- ]]>'  # the control character is dropped
    assert root.get("aria-label").endswith(f"— {cleaned}")
    assert root.find(f"{SVG}title").text.endswith(f"— {cleaned}")


def test_the_badge_is_self_contained():
    svg = render_badge_svg(make_view())
    for reference in ("href", "url(", "@import", "<image", "<script", "<style", "<foreignObject", "http://",
                      "https://"):
        if reference == "http://":
            assert svg.count(reference) == 1 and 'xmlns="http://www.w3.org/2000/svg"' in svg
        else:
            assert reference not in svg, reference


def test_long_names_are_fitted_inside_the_badge_and_given_in_full_to_assistive_technology():
    name = "The Very Long Named Cooperative of Community Care Workers of North and Mid Wales Limited"
    root = badge(coop_name=name, award_name="Care Quality Mark — Excellent (Domiciliary Care)")
    for text in root.iter(f"{SVG}text"):
        assert float(text.get("font-size")) >= 9
        if text.get("textLength"):
            assert float(text.get("x")) + float(text.get("textLength")) <= 240
    assert visible_text(root)[2].endswith("…")
    assert root.get("aria-label").endswith(name)
