"""Certificate PDF, embeddable badge and QR codes for a certified co-operative.

Pure rendering: plain data in (`CertificateView`), bytes or text out. No Flask, no database.

- `render_certificate_pdf(view)`: an A4 portrait certificate to print and hang up. Real text in
  DejaVu Serif (vendored in ``fonts/``, embedded as a subset, so Welsh ŵ ŷ â ê î ô û ï print
  and copy correctly), a vector QR code that encodes exactly ``view.verification_url``, and a
  stamp across the top when the certificate was not valid at the time of rendering. The same
  view always gives the same bytes (reportlab's invariant mode), so a hash can key a cache.
- `render_badge_svg(view)`: a 240×64 SVG badge that states the state in words and colour.
- `qr_code(url)`, `qr_svg(url)`, `qr_png(url, scale)`: the QR code used everywhere.
"""
from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepInFrame, Paragraph, Spacer, Table, TableStyle

__all__ = [
    "BADGE_COLOURS",
    "STATUSES",
    "CertificateView",
    "format_date",
    "qr_code",
    "qr_png",
    "qr_svg",
    "render_badge_svg",
    "render_certificate_pdf",
]

# renewal_in_progress: expired, with a renewal submitted in time still being decided (the grace
# period the verification page and the badge show; the credential itself says it expired).
STATUSES = ("valid", "suspended", "withdrawn", "expired", "renewal_in_progress")

# Badge background per state; the text on every one of them is white (contrast ≥ 4.5:1, see the
# tests). Dark text would fail on the amber: #8a5300 against black is only about 3.3:1.
BADGE_COLOURS = {
    "valid": "#1d6b2f",
    "suspended": "#8a5300",
    "withdrawn": "#4a4a4a",
    "expired": "#4a4a4a",
    "renewal_in_progress": "#1f4e79",
}
BADGE_TEXT_COLOUR = "#ffffff"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def format_date(day: date) -> str:
    """'1 January 2027' — English month names whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _clean(text: object) -> str:
    """Text safe for XML and PDF: control characters (which XML 1.0 forbids and no font draws)
    and lone surrogates become spaces; runs of white space collapse."""
    chars = [" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in str(text)]
    return " ".join("".join(chars).split())


@dataclass(frozen=True)
class CertificateView:
    """What a certificate says, as plain data. ``services`` is stored as a tuple."""

    public_code: str
    verification_url: str
    coop_name: str
    coop_region: str
    award_name: str
    award_name_cy: str | None
    services: Sequence[str]
    rubric_title: str
    rubric_version: str
    rubric_url: str
    valid_from: date
    valid_until: date
    issuer_name: str
    status: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if not self.verification_url:
            raise ValueError("verification_url is required: the QR code encodes it")
        object.__setattr__(self, "services", tuple(self.services))


# --- QR codes -------------------------------------------------------------------------------------

def qr_code(url: str) -> segno.QRCode:
    """The QR code for ``url``: a full QR code (never a Micro QR), error correction M or higher
    (segno raises the level when that costs no extra size)."""
    if not url:
        raise ValueError("a QR code needs a URL")
    return segno.make_qr(url, error="m", boost_error=True)


def qr_svg(url: str, *, scale: int = 4, title: str | None = None) -> str:
    """segno's SVG for an HTML page: no XML declaration, a 4-module quiet zone, black on white."""
    return qr_code(url).svg_inline(scale=scale, border=4, light="#fff", title=title)


def qr_png(url: str, scale: int = 8) -> bytes:
    """A PNG of the QR code, ``scale`` pixels per module, with a 4-module quiet zone."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


# --- the PDF certificate ----------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SERIF = "CQM-DejaVuSerif"
SERIF_BOLD = "CQM-DejaVuSerif-Bold"
_fonts_lock = threading.Lock()
_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        pdfmetrics.registerFont(TTFont(SERIF, str(FONT_DIR / "DejaVuSerif.ttf")))
        pdfmetrics.registerFont(TTFont(SERIF_BOLD, str(FONT_DIR / "DejaVuSerif-Bold.ttf")))
        pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF,
                                      boldItalic=SERIF_BOLD)
        _fonts_ready = True


PAGE_WIDTH, PAGE_HEIGHT = A4
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#4d4d4d")
GREEN = colors.HexColor("#1d6b2f")
PALE_GREEN = colors.HexColor("#e8f0ea")
STAMP = colors.HexColor("#a31b1b")
STAMP_WATERMARK = colors.HexColor("#f7e1e1")

_STAMP_WORDS = {
    "suspended": ("SUSPENDED", "This certificate was suspended when this copy was made."),
    "withdrawn": ("WITHDRAWN", "This certificate had been withdrawn when this copy was made."),
    "expired": ("EXPIRED", "This certificate had expired when this copy was made."),
    "renewal_in_progress": ("EXPIRED", "This certificate had expired when this copy was made; its renewal was "
                                       "being decided."),
}

OUTER = 26.0   # outer border inset, points
INNER = 33.0   # inner border inset
MARGIN = 64.0  # text margin


def _style(name: str, size: float, *, font: str = SERIF, colour=INK, align=TA_CENTER,
           leading: float | None = None, before: float = 0, after: float = 0) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.25,
                          textColor=colour, alignment=align, spaceBefore=before, spaceAfter=after)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_clean(text)), style)


def _fit_size(text: str, font: str, size: float, width: float, minimum: float) -> float:
    """The largest size ≤ ``size`` (down to ``minimum``) at which ``text`` fits in ``width``."""
    actual = pdfmetrics.stringWidth(text, font, size)
    if actual <= width:
        return size
    return max(minimum, size * width / actual)


def _draw_frame(c: Canvas) -> None:
    c.setStrokeColor(GREEN)
    c.setLineWidth(0.8)
    c.rect(OUTER, OUTER, PAGE_WIDTH - 2 * OUTER, PAGE_HEIGHT - 2 * OUTER, stroke=1, fill=0)
    c.setLineWidth(2.2)
    c.rect(INNER, INNER, PAGE_WIDTH - 2 * INNER, PAGE_HEIGHT - 2 * INNER, stroke=1, fill=0)
    # small squares at the inner corners
    c.setFillColor(GREEN)
    for x in (INNER, PAGE_WIDTH - INNER):
        for y in (INNER, PAGE_HEIGHT - INNER):
            c.rect(x - 3.5, y - 3.5, 7, 7, stroke=0, fill=1)


def _draw_emblem(c: Canvas, cx: float, cy: float, r: float) -> None:
    """A plain seal: two rings and a tick."""
    c.saveState()
    c.setStrokeColor(GREEN)
    c.setFillColor(PALE_GREEN)
    c.setLineWidth(1.6)
    c.circle(cx, cy, r, stroke=1, fill=1)
    c.setLineWidth(0.7)
    c.circle(cx, cy, r - 4, stroke=1, fill=0)
    c.setLineWidth(3.2)
    c.setLineCap(1)
    c.setLineJoin(1)
    tick = c.beginPath()
    tick.moveTo(cx - r * 0.42, cy + r * 0.02)
    tick.lineTo(cx - r * 0.12, cy - r * 0.30)
    tick.lineTo(cx + r * 0.45, cy + r * 0.34)
    c.drawPath(tick, stroke=1, fill=0)
    c.restoreState()


def _draw_ornament(c: Canvas, cx: float, y: float, half_width: float) -> None:
    c.saveState()
    c.setStrokeColor(GREEN)
    c.setFillColor(GREEN)
    c.setLineWidth(0.8)
    c.line(cx - half_width, y, cx - 7, y)
    c.line(cx + 7, y, cx + half_width, y)
    diamond = c.beginPath()
    diamond.moveTo(cx, y + 3.5)
    diamond.lineTo(cx + 3.5, y)
    diamond.lineTo(cx, y - 3.5)
    diamond.lineTo(cx - 3.5, y)
    diamond.close()
    c.drawPath(diamond, stroke=0, fill=1)
    c.restoreState()


def _draw_watermark(c: Canvas, word: str) -> None:
    """The state word, large and pale, diagonally across the middle, under everything else."""
    c.saveState()
    c.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2 + 90)
    c.rotate(40)
    size = _fit_size(word, SERIF_BOLD, 110, 500, 40)
    c.setFont(SERIF_BOLD, size)
    c.setFillColor(STAMP_WATERMARK)
    c.drawCentredString(0, -size * 0.35, word)
    c.restoreState()


def _draw_stamp(c: Canvas, status: str, top: float) -> float:
    """A solid band across the top with the state in capitals; returns the y below it."""
    word, sentence = _STAMP_WORDS[status]
    height = 76.0
    left, width = INNER + 10, PAGE_WIDTH - 2 * (INNER + 10)
    bottom = top - height
    c.saveState()
    c.setFillColor(STAMP)
    c.rect(left, bottom, width, height, stroke=0, fill=1)
    c.setFillColor(colors.white)
    text = c.beginText()
    text.setFont(SERIF_BOLD, 28)
    text.setCharSpace(6)
    word_width = pdfmetrics.stringWidth(word, SERIF_BOLD, 28) + 6 * (len(word) - 1)
    text.setTextOrigin(PAGE_WIDTH / 2 - word_width / 2, bottom + 40)
    text.textOut(word)
    text.setCharSpace(0)  # Tc outlives the text object: reset it
    c.drawText(text)
    for y, line in ((bottom + 23, sentence), (bottom + 10, "Check its current status with the code below.")):
        c.setFont(SERIF, _fit_size(line, SERIF, 10.5, width - 20, 6))
        c.drawCentredString(PAGE_WIDTH / 2, y, line)
    c.restoreState()
    return bottom


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """A vector QR code (one filled path, so no hairline seams) with its quiet zone, whose outer
    square including the 4-module quiet zone is ``size`` points wide at (x, y) bottom-left."""
    qr = qr_code(url)
    matrix = qr.matrix
    count = len(matrix)
    module = size / (count + 8)
    c.saveState()
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(colors.black)
    path = c.beginPath()
    origin_x, origin_y = x + 4 * module, y + size - 4 * module
    for row_index, row in enumerate(matrix):
        column = 0
        while column < count:
            if row[column]:
                start = column
                while column < count and row[column]:
                    column += 1
                path.rect(origin_x + start * module, origin_y - (row_index + 1) * module,
                          (column - start) * module, module)
            else:
                column += 1
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def _draw_code(c: Canvas, code: str, x: float, y: float, width: float) -> None:
    """The public code, letter-spaced so it can be read aloud, as one run of real text."""
    size, spacing = 24.0, 5.0
    while size > 12:
        natural = pdfmetrics.stringWidth(code, SERIF_BOLD, size) + spacing * (len(code) - 1)
        if natural <= width:
            break
        size -= 1
        spacing = size * 0.2
    text = c.beginText()
    text.setFont(SERIF_BOLD, size)
    text.setCharSpace(spacing)
    text.setFillColor(INK)
    text.setTextOrigin(x, y)
    text.textOut(code)
    text.setCharSpace(0)  # Tc outlives the text object: reset it
    c.drawText(text)


def _middle_flowables(view: CertificateView, width: float) -> list:
    label = _style("label", 11.5, colour=MUTED, before=12, after=3)
    flow: list = [
        _p("Certificate", _style("title", 40, colour=GREEN, leading=46)),
        _p(view.award_name, _style("award", 21, font=SERIF_BOLD, leading=27, before=2)),
    ]
    if view.award_name_cy:
        flow.append(_p(view.award_name_cy, _style("award_cy", 15, colour=GREEN, leading=20, before=1)))
    flow += [
        Spacer(1, 12),
        _p("awarded to", label),
    ]
    name = _clean(view.coop_name)
    name_size = _fit_size(name, SERIF_BOLD, 30, width * 1.9, 20)  # may take two lines
    flow.append(_p(name, _style("coop", name_size, font=SERIF_BOLD, leading=name_size * 1.22)))
    if _clean(view.coop_region):
        flow.append(_p(view.coop_region, _style("region", 14, colour=MUTED, before=3)))
    services = [_clean(s) for s in view.services if _clean(s)]
    if services:
        flow.append(_p("for these services", label))
        service_style = _style("services", 13.5, leading=18)
        if len(services) <= 4:
            flow += [Paragraph(escape(s), service_style) for s in services]
        else:
            flow.append(Paragraph("  ·  ".join(escape(s) for s in services), service_style))
    flow += [
        _p("assessed against", label),
        _p(view.rubric_title, _style("rubric", 13.5, leading=18)),
        _p(f"version {_clean(view.rubric_version)}", _style("rubric_version", 12, colour=MUTED, before=1)),
    ]
    date_label = _style("date_label", 11, colour=MUTED, leading=14)
    date_value = _style("date_value", 15, font=SERIF_BOLD, leading=19)
    dates = Table(
        [[_p("Valid from", date_label), _p("Valid until", date_label)],
         [_p(format_date(view.valid_from), date_value), _p(format_date(view.valid_until), date_value)]],
        colWidths=[min(width / 2, 190)] * 2,
    )
    dates.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF),  # the cells' default is Helvetica, which we never embed
        ("LINEAFTER", (0, 0), (0, -1), 0.6, GREEN),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    flow += [Spacer(1, 16), dates]
    return flow


def render_certificate_pdf(view: CertificateView) -> bytes:
    """The certificate as an A4 portrait PDF (one page). Same view, same bytes."""
    _register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, lang="en-GB",
               initialFontName=SERIF, initialFontSize=12)
    coop, award = _clean(view.coop_name), _clean(view.award_name)
    c.setTitle(f"{award} certificate: {coop}")
    c.setAuthor(_clean(view.issuer_name))
    c.setSubject(f"{award} awarded to {coop}, valid from {format_date(view.valid_from)} "
                 f"until {format_date(view.valid_until)}; certificate {_clean(view.public_code)}")
    c.setKeywords([_clean(view.public_code), "Care Quality Mark", "certificate"])
    c.setCreator("Care Quality Mark")

    if view.status != "valid":
        _draw_watermark(c, _STAMP_WORDS[view.status][0])
    _draw_frame(c)

    content_width = PAGE_WIDTH - 2 * MARGIN
    top = PAGE_HEIGHT - INNER - 10
    if view.status != "valid":
        top = _draw_stamp(c, view.status, top) - 14
    else:
        top -= 22
        _draw_emblem(c, PAGE_WIDTH / 2, top - 26, 26)
        top -= 62

    bottom_block_top = INNER + 212

    # the middle: title, award, co-op, services, rubric, dates — shrunk to fit if need be
    available = top - bottom_block_top - 8
    middle = KeepInFrame(content_width, available, _middle_flowables(view, content_width),
                         mode="shrink", hAlign="CENTER", vAlign="MIDDLE")
    _, used = middle.wrapOn(c, content_width, available)
    middle.drawOn(c, MARGIN, bottom_block_top + 8 + (available - used) / 2)

    # bottom block: rule, QR code on the left, code and how to check on the right, issuer
    qr_size = 132.0
    qr_x, qr_y = MARGIN - 12, INNER + 58
    _draw_qr(c, view.verification_url, qr_x, qr_y, qr_size)
    _draw_ornament(c, PAGE_WIDTH / 2, bottom_block_top - 8, content_width / 2)

    right_x = qr_x + qr_size + 8
    right_width = PAGE_WIDTH - MARGIN - right_x
    c.setFillColor(MUTED)
    c.setFont(SERIF, 11)
    c.drawString(right_x, qr_y + qr_size - 26, "Certificate code")
    _draw_code(c, _clean(view.public_code), right_x, qr_y + qr_size - 54, right_width)
    c.setFillColor(INK)
    c.setFont(SERIF, 12)
    line_y = qr_y + qr_size - 76
    for line in ("Check this certificate is still valid:", "scan the code or visit"):
        c.drawString(right_x, line_y, line)
        line_y -= 16
    url = _clean(view.verification_url)
    url_size = _fit_size(url, SERIF_BOLD, 12, right_width, 6)
    c.setFont(SERIF_BOLD, url_size)
    c.setFillColor(GREEN)
    c.drawString(right_x, line_y - 2, url)

    c.setFillColor(INK)
    issuer_name = _clean(view.issuer_name)
    issuer = f"Issued by {'' if issuer_name.lower().startswith('the ') else 'the '}{issuer_name}"
    c.setFont(SERIF, _fit_size(issuer, SERIF, 11.5, content_width, 7))
    c.drawCentredString(PAGE_WIDTH / 2, INNER + 36, issuer)
    rubric_line = f"The criteria are published at {_clean(view.rubric_url)}"
    c.setFillColor(MUTED)
    c.setFont(SERIF, _fit_size(rubric_line, SERIF, 9, content_width, 6))
    c.drawCentredString(PAGE_WIDTH / 2, INNER + 20, rubric_line)

    c.showPage()
    c.save()
    return buffer.getvalue()


# --- the badge ----------------------------------------------------------------------------------------

BADGE_WIDTH, BADGE_HEIGHT = 240, 64
_BADGE_FONT = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, sans-serif"
_TEXT_X, _TEXT_RIGHT = 60, 232

_BADGE_ICONS = {
    # drawn in white inside a ring centred on (32, 32): tick, pause, cross, clock
    "valid": '<path d="M23 32.5l6 6 12-13" fill="none"/>',
    "suspended": '<path d="M28 24v16M36 24v16" fill="none"/>',
    "withdrawn": '<path d="M25 25l14 14M39 25l-14 14" fill="none"/>',
    "expired": '<path d="M32 22v10l7 5" fill="none"/>',
    "renewal_in_progress": '<path d="M41 27a10 10 0 1 0 1 8M41 20v7h-7" fill="none"/>',  # a turning arrow
}


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _badge_state_words(view: CertificateView) -> tuple[str, str]:
    """(visible line, words for the label) for the view's state."""
    until = format_date(view.valid_until)
    if view.status == "valid":
        return f"Valid until {until}", f"valid until {until}"
    if view.status == "expired":
        return "Expired", f"expired (was valid until {until})"
    if view.status == "renewal_in_progress":
        return "Renewal in progress", f"renewal in progress (was valid until {until})"
    return view.status.capitalize(), f"{view.status}, not currently valid"


def _estimate_width(text: str, size: float, bold: bool) -> float:
    """A generous estimate of the rendered width: Helvetica's metrics widened for the wider
    fonts a browser may pick (DejaVu Sans Bold runs up to about 1.24 times Helvetica Bold)."""
    if bold:
        return pdfmetrics.stringWidth(text, "Helvetica-Bold", size) * 1.3
    return pdfmetrics.stringWidth(text, "Helvetica", size) * 1.25


def _badge_text(text: str, y: float, size: float, *, bold: bool = False, minimum: float = 9) -> str:
    available = _TEXT_RIGHT - _TEXT_X
    estimate = _estimate_width(text, size, bold)
    if estimate > available:
        size = max(minimum, size * available / estimate)
        # still far too long at the smallest size: shorten with an ellipsis (the title and the
        # aria-label carry the whole text)
        if _estimate_width(text, size, bold) > available * 1.25:
            while len(text) > 4 and _estimate_width(text + "…", size, bold) > available * 1.25:
                text = text[:-1]
            text = text.rstrip() + "…"
    fit = ""
    if _estimate_width(text, size, bold) > available:
        fit = f' textLength="{available}" lengthAdjust="spacingAndGlyphs"'
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{_TEXT_X}" y="{y}" font-size="{size:.1f}"{weight}{fit}>{escape(text)}</text>'


def render_badge_svg(view: CertificateView) -> str:
    """A self-contained 240×64 SVG badge: award, state in words and colour, co-op name.
    Accessible name: "<award>: valid until 1 January 2030 — <co-op>"."""
    award, coop = _clean(view.award_name), _clean(view.coop_name)
    visible_state, spoken_state = _badge_state_words(view)
    label = f"{award}: {spoken_state} — {coop}"
    background = BADGE_COLOURS[view.status]
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BADGE_WIDTH}" height="{BADGE_HEIGHT}" '
        f'viewBox="0 0 {BADGE_WIDTH} {BADGE_HEIGHT}" role="img" aria-label="{_attr(label)}" '
        f'xml:lang="en" lang="en">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{BADGE_WIDTH}" height="{BADGE_HEIGHT}" rx="8" fill="{background}"/>',
        f'<g stroke="{BADGE_TEXT_COLOUR}" stroke-width="3" stroke-linecap="round" '
        f'stroke-linejoin="round" aria-hidden="true">',
        '<circle cx="32" cy="32" r="19" fill="none" stroke-width="2.5"/>',
        _BADGE_ICONS[view.status],
        "</g>",
        f'<g fill="{BADGE_TEXT_COLOUR}" font-family="{_attr(_BADGE_FONT)}" aria-hidden="true">',
        _badge_text(award, 22, 13.5, bold=True),
        _badge_text(visible_state, 39, 12.5, bold=True),
        _badge_text(coop, 55, 11.5),
        "</g>",
        "</svg>",
    ])
