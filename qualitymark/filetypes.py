"""What an uploaded evidence file really is, judged by its content.

Co-ops upload from phones, shared office PCs and old laptops, so names and the browser's
Content-Type are routinely wrong (or deliberately misleading). `detect` looks only at the bytes:
signatures, and the structure of the containers that office documents live in. The original
name is used for one thing: telling the person when it disagrees with the content.

Magic numbers of images, and the description of what a refused file looks like, come from
`puremagic`; the legacy Office container is read with `olefile`. Neither needs a system library.

`sanitise_filename` and `ascii_fallback` turn a client-supplied name into something safe to
show, store as metadata and put in a Content-Disposition header.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import olefile
import puremagic
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

__all__ = [
    "KINDS",
    "Detected",
    "Kind",
    "Rejected",
    "ascii_fallback",
    "detect",
    "download_name",
    "sanitise_filename",
]


# --- kinds we accept ----------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    key: str
    mime_type: str
    label: str  # lazy: in the reader's language when shown
    extension: str  # with the dot; the one we use when serving the file
    also_known_as: frozenset[str] = frozenset()  # other extensions that do not count as a mismatch

    @property
    def extensions(self) -> frozenset[str]:
        return self.also_known_as | {self.extension}


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

KINDS: dict[str, Kind] = {k.key: k for k in [
    Kind("pdf", "application/pdf", _l("PDF document"), ".pdf"),
    Kind("png", "image/png", _l("PNG image"), ".png"),
    Kind("jpeg", "image/jpeg", _l("JPEG photo"), ".jpg", frozenset({".jpeg", ".jpe", ".jfif"})),
    Kind("gif", "image/gif", _l("GIF image"), ".gif"),
    Kind("webp", "image/webp", _l("WebP image"), ".webp"),
    Kind("heic", "image/heic", _l("HEIC photo"), ".heic", frozenset({".heif", ".hif"})),
    Kind("docx", _OOXML + "wordprocessingml.document", _l("Word document"), ".docx"),
    Kind("xlsx", _OOXML + "spreadsheetml.sheet", _l("Excel spreadsheet"), ".xlsx"),
    Kind("pptx", _OOXML + "presentationml.presentation", _l("PowerPoint presentation"), ".pptx",
         frozenset({".ppsx"})),
    Kind("odt", _ODF + "text", _l("OpenDocument text document"), ".odt"),
    Kind("ods", _ODF + "spreadsheet", _l("OpenDocument spreadsheet"), ".ods"),
    Kind("odp", _ODF + "presentation", _l("OpenDocument presentation"), ".odp"),
    Kind("doc", "application/msword", _l("Word 97-2003 document"), ".doc", frozenset({".dot"})),
    Kind("xls", "application/vnd.ms-excel", _l("Excel 97-2003 spreadsheet"), ".xls",
         frozenset({".xlt"})),
    Kind("ppt", "application/vnd.ms-powerpoint", _l("PowerPoint 97-2003 presentation"), ".ppt",
         frozenset({".pps", ".pot"})),
    # A one-column "CSV" has no delimiter and is detected as text, and Excel's "Text (Tab
    # delimited)" is saved as .txt: neither should be reported as a disguised file.
    Kind("csv", "text/csv", _l("CSV spreadsheet"), ".csv", frozenset({".txt", ".tsv", ".tab"})),
    Kind("text", "text/plain", _l("plain text file"), ".txt",
         frozenset({".text", ".csv", ".tsv", ".log"})),
]}


@dataclass(frozen=True)
class Detected:
    kind: str
    mime_type: str
    label: str
    extension: str
    extension_mismatch: bool = False
    charset: str | None = None  # text kinds only: "utf-8" or "windows-1252"

    @property
    def content_type(self) -> str:
        """The Content-Type header to serve the file with."""
        return f"{self.mime_type}; charset={self.charset}" if self.charset else self.mime_type


@dataclass(frozen=True)
class Rejected:
    reason: str  # stable code for logs and tests: empty, not_accepted, archive, macros, ...
    message: str  # shown to the person who uploaded the file
    looks_like: str | None = None


# --- messages -----------------------------------------------------------------------------
# Shown to the person who uploaded the file, in their language. A refusal is made while their
# upload request is handled and shown in that same request, so the functions below translate at
# once (gettext); what is built at import time (EMPTY_MESSAGE, the kinds' labels, the friendly
# names) is lazy, translated when it is used. Outside a request everything is English.

EMPTY_MESSAGE = _l("The file is empty (0 bytes). Choose the file again; if it is on a phone, "
                   "make sure it has finished downloading.")


def _not_accepted(looks_like: str) -> Rejected:
    return Rejected(
        "not_accepted",
        gettext("This file's content is not one we accept (it looks like: %(looks_like)s). "
                "Upload a PDF, a photo (JPEG, PNG), an office document or a CSV file.", looks_like=looks_like),
        looks_like,
    )


def _archive(looks_like: str | None = None) -> Rejected:
    looks_like = looks_like or gettext("a ZIP archive of other files")
    return Rejected(
        "archive",
        gettext("This file's content is not one we accept (it looks like: %(looks_like)s). Unzip it and "
                "upload the documents inside one at a time: a PDF, a photo (JPEG, PNG), an office document "
                "or a CSV file.", looks_like=looks_like),
        looks_like,
    )


def _macros(kind: Kind) -> Rejected:
    # One whole sentence per remedy, so that each can be translated as a sentence.
    if kind.key in ("docx", "doc"):
        message = gettext(
            "This %(kind)s contains macros, which we cannot accept because macros can run programs on the "
            "assessor's computer. To fix this, open it, choose Save As and save it as a Word Document (.docx), "
            "which cannot hold macros, then upload the new copy.", kind=kind.label)
    elif kind.key in ("xlsx", "xls"):
        message = gettext(
            "This %(kind)s contains macros, which we cannot accept because macros can run programs on the "
            "assessor's computer. To fix this, open it, choose Save As and save it as an Excel Workbook (.xlsx), "
            "which cannot hold macros, then upload the new copy.", kind=kind.label)
    elif kind.key in ("pptx", "ppt"):
        message = gettext(
            "This %(kind)s contains macros, which we cannot accept because macros can run programs on the "
            "assessor's computer. To fix this, open it, choose Save As and save it as a PowerPoint Presentation "
            "(.pptx), which cannot hold macros, then upload the new copy.", kind=kind.label)
    elif kind.key in ("odt", "ods", "odp"):
        message = gettext(
            "This %(kind)s contains macros, which we cannot accept because macros can run programs on the "
            "assessor's computer. To fix this, open it, delete the macros (Tools, Macros, Organise Macros) and "
            "save it again, or save it as a PDF, then upload the new copy.", kind=kind.label)
    else:
        message = gettext(
            "This %(kind)s contains macros, which we cannot accept because macros can run programs on the "
            "assessor's computer. To fix this, save it as a PDF, then upload the new copy.", kind=kind.label)
    return Rejected("macros", message, gettext("a file with macros (%(kind)s)", kind=kind.label))


def _password_protected() -> Rejected:
    return Rejected(
        "encrypted",
        gettext("This document is protected with a password, so the assessors could not open it. "
                "Open it, remove the password (in Microsoft Office: File, Info, Protect Document, "
                "Encrypt with Password, then clear the password), save it and upload it again."),
        gettext("a password-protected Office document"),
    )


def _damaged(what: str) -> Rejected:
    return Rejected(
        "damaged",
        gettext("This file looks like %(what)s, but it is damaged or incomplete and cannot be opened. "
                "Open it on your device to check it, save it again and upload the new copy.", what=what),
        gettext("a damaged file (%(what)s)", what=what),
    )


def _not_utf8(looks_like: str) -> Rejected:
    return Rejected(
        "text_encoding",
        gettext("This text file is saved in an older character encoding that we cannot read "
                "reliably. Open it and save it again choosing the UTF-8 encoding (in Notepad: Save "
                "As, Encoding: UTF-8), or save it as a PDF, then upload the new copy."),
        looks_like,
    )


# --- detection ----------------------------------------------------------------------------

_HEAD = 64 * 1024
_CHUNK = 64 * 1024
_PDF_WINDOW = 1024  # Acrobat tolerates junk before the header within the first kilobyte
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive


def detect(path_or_fileobj: str | os.PathLike[str] | BinaryIO, original_name: str) -> Detected | Rejected:
    """Decide what the file is from its content. A file object must be seekable; the whole
    file from offset 0 is examined and its position is restored afterwards."""
    with _opened(path_or_fileobj) as f:
        size = f.seek(0, io.SEEK_END)
        if size == 0:
            return Rejected("empty", str(EMPTY_MESSAGE), gettext("an empty file"))
        f.seek(0)
        head = f.read(_HEAD)
        f.seek(0)
        verdict = _identify(f, head)
    if isinstance(verdict, Kind):
        return _detected(verdict, original_name)
    if isinstance(verdict, tuple):
        kind, charset = verdict
        return _detected(kind, original_name, charset)
    return verdict


@contextmanager
def _opened(path_or_fileobj) -> Iterator[BinaryIO]:
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        with open(path_or_fileobj, "rb") as f:
            yield f
        return
    position = path_or_fileobj.tell()
    try:
        yield path_or_fileobj
    finally:
        path_or_fileobj.seek(position)


def _detected(kind: Kind, original_name: str, charset: str | None = None) -> Detected:
    stated = _extension_of(original_name)
    return Detected(
        kind=kind.key,
        mime_type=kind.mime_type,
        label=kind.label,
        extension=kind.extension,
        # No extension at all is not a disagreement, just a missing hint.
        extension_mismatch=bool(stated) and stated not in kind.extensions,
        charset=charset,
    )


def _extension_of(name: str) -> str:
    base = _basename(name or "")
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def _identify(f: BinaryIO, head: bytes) -> Kind | tuple[Kind, str] | Rejected:
    # Order matters: containers and signatures first, because any of them can happen to be
    # valid text in its first kilobytes (GIF89a, %PDF-), and text last.
    if b"%PDF-" in head[:_PDF_WINDOW]:
        return KINDS["pdf"]
    if head.startswith(_ZIP_SIGNATURES):
        return _identify_zip(f)
    if head.startswith(_OLE2_SIGNATURE):
        return _identify_ole2(f)
    signatures = _best_matches(f)
    image = _identify_image(signatures)
    if image is not None:
        return image
    text = _identify_text(f, head, signatures)
    if text is not None:
        return text
    return _refuse_binary(signatures)


# Images: puremagic knows the signatures, including the ISO-BMFF brands of HEIC.
_IMAGE_KINDS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heic",
}


def _magic_matches(f: BinaryIO) -> list:
    # No filename on purpose: puremagic would otherwise let the extension raise its confidence.
    try:
        return puremagic.magic_stream(f)
    except (puremagic.PureError, ValueError):
        return []
    finally:
        f.seek(0)


def _best_matches(f: BinaryIO) -> list:
    matches = _magic_matches(f)
    if not matches:
        return []
    best = max(m.confidence for m in matches)
    return [m for m in matches if m.confidence == best]


def _image_kind(match) -> str | None:
    kind = _IMAGE_KINDS.get(match.mime_type)
    # puremagic files JPEG 2000 under image/jpeg, calls any RIFF container a WebP at low
    # confidence and knows a two-byte JPEG opening: none of these is a photo we can serve.
    if match.extension == ".jp2" or len(match.byte_match) < 3:
        return None
    if kind == "webp" and b"WEBP" not in match.byte_match:
        return None
    return kind


def _identify_image(best: list) -> Kind | None:
    kinds = {_image_kind(m) for m in best}
    # Equal-confidence matches that disagree (say, a WebP and a video) mean we cannot be sure.
    if len(kinds) == 1 and None not in kinds:
        return KINDS[kinds.pop()]
    return None


_FRIENDLY_NAMES = [  # (substring of puremagic's mime type or name, what we tell a care worker)
    ("portable-executable", _l("a Windows program")),
    ("windows executable", _l("a Windows program")),
    ("ms-dos", _l("a Windows program")),
    ("elf executable", _l("a Linux program")),
    ("mach-o", _l("a Mac program")),
    ("shellscript", _l("a script, which is a kind of program")),
    ("text/x-python", _l("a script, which is a kind of program")),
    ("text/html", _l("an HTML web page")),
    ("image/svg", _l("an SVG drawing, which can contain scripts")),
]


def _describe(match) -> str:
    haystack = f"{match.mime_type} {match.name}".lower()
    for needle, friendly in _FRIENDLY_NAMES:
        if needle in haystack:
            return str(friendly)
    return " ".join(match.name.split())  # puremagic's own words: no article, it may be an acronym


_ARCHIVE_MIMES = {
    "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed",
    "application/gzip", "application/x-gzip", "application/x-tar", "application/x-bzip2",
    "application/x-xz", "application/zstd",
}


def _refuse_binary(best: list) -> Rejected:
    if best and best[0].confidence >= 0.3 and best[0].mime_type in _ARCHIVE_MIMES:
        return _archive(_describe(best[0]))
    # One- and two-byte signatures match random data by chance; naming a format from
    # them would only confuse the person.
    if best and best[0].confidence >= 0.4:
        return _not_accepted(_describe(best[0]))
    return _not_accepted(gettext("data we could not recognise"))


# --- ZIP-based office documents -------------------------------------------------------------

_ODF_MIMETYPES = {KINDS[k].mime_type: KINDS[k] for k in ("odt", "ods", "odp")}
_OOXML_MAIN_PARTS = {
    "word/document.xml": KINDS["docx"],
    "xl/workbook.xml": KINDS["xlsx"],
    "ppt/presentation.xml": KINDS["pptx"],
}
_SMALL_PART = 1024 * 1024  # read at most this much of any member: ZIP bombs expand on read


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with zf.open(info) as member:
        return member.read(limit)


def _identify_zip(f: BinaryIO) -> Kind | Rejected:
    # Third-party archives are hostile input: any of these means the archive is unreadable.
    try:
        with zipfile.ZipFile(f) as zf:
            return _identify_zip_members(zf)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            RuntimeError, NotImplementedError, ValueError):
        return _damaged(gettext("a ZIP file or an office document"))


def _identify_zip_members(zf: zipfile.ZipFile) -> Kind | Rejected:
    infos = zf.infolist()
    if not infos:
        return _archive(gettext("an empty ZIP archive"))
    by_lower_name = {info.filename.lower(): info for info in infos}

    # OpenDocument: the first member is an uncompressed "mimetype" naming the document type.
    if infos[0].filename == "mimetype":
        declared = _read_member(zf, infos[0], 200).decode("ascii", "replace").strip()
        declared = "".join(ch for ch in declared if ch.isprintable())
        kind = _ODF_MIMETYPES.get(declared)
        if kind is None:
            return _not_accepted(gettext("a document of a type we do not accept: %(type)s", type=declared[:80]))
        # LibreOffice stores Basic macros under Basic/ and other script languages under Scripts/.
        if any(name.startswith(("basic/", "scripts/")) for name in by_lower_name):
            return _macros(kind)
        return kind

    # Office Open XML (OPC): part names are case-insensitive, hence the lower-cased index.
    content_types = by_lower_name.get("[content_types].xml")
    if content_types is None:
        if "meta-inf/manifest.mf" in by_lower_name:
            return _not_accepted(gettext("a Java program"))
        if "androidmanifest.xml" in by_lower_name:
            return _not_accepted(gettext("an Android app"))
        return _archive()
    kind = next((k for part, k in _OOXML_MAIN_PARTS.items() if part in by_lower_name), None)
    declared = _read_member(zf, content_types, _SMALL_PART).lower()
    has_macros = (any(name.endswith("vbaproject.bin") for name in by_lower_name)
                  or b"macroenabled" in declared or b"vbaproject" in declared)
    if has_macros:
        return _macros(kind or KINDS["docx"])
    if kind is None:
        return _not_accepted(gettext("an Office file that is not a Word document, Excel workbook "
                                     "or PowerPoint presentation, such as .xlsb, .vsdx or .xps"))
    return kind


# --- legacy (OLE2 compound file) office documents -------------------------------------------

_OLE2_MAIN_STREAMS = {
    "worddocument": KINDS["doc"],
    "workbook": KINDS["xls"],
    "book": KINDS["xls"],  # Excel 5/95 workbooks, still produced by some exporters
    "powerpoint document": KINDS["ppt"],
}
# Where Word and Excel keep VBA projects. PowerPoint 97-2003 keeps them inside its main
# stream, which we do not parse: such macros are not detected.
_OLE2_MACRO_STORAGES = {"macros", "_vba_project_cur", "vba", "_vba_project"}


def _identify_ole2(f: BinaryIO) -> Kind | Rejected:
    try:
        with olefile.OleFileIO(f) as ole:
            entries = [[part.lower() for part in path]
                       for path in ole.listdir(streams=True, storages=True)]
    # olefile raises many exception types on malformed input; any of them means "damaged".
    except Exception:
        return _damaged(gettext("a Word, Excel or PowerPoint 97-2003 document"))
    top_level = {path[0] for path in entries if len(path) == 1}
    if {"encryptedpackage", "encryptioninfo"} & top_level:
        # A password-protected .docx/.xlsx/.pptx is wrapped in a compound file.
        return _password_protected()
    kind = next((k for name, k in _OLE2_MAIN_STREAMS.items() if name in top_level), None)
    if kind is None:
        return _not_accepted(gettext("a Microsoft file that is not a Word, Excel or PowerPoint "
                                     "document, such as an Outlook message or an installer"))
    if any(part in _OLE2_MACRO_STORAGES for path in entries for part in path):
        return _macros(kind)
    return kind


# --- text and CSV ---------------------------------------------------------------------------

# C0 controls other than tab, LF and CR, and DEL: real text never has them, binary data does.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEXT_SAMPLE = 64 * 1024  # characters examined for CSV structure
_SNIFF_SAMPLE = 8 * 1024  # csv.Sniffer's regular expressions get slow on large samples
_CSV_ROWS = 20
_CSV_DELIMITERS = ",;\t"
# Openings that browsers treat as markup (WHATWG MIME sniffing) plus XML processing
# instructions: HTML and SVG can carry scripts, and no evidence needs to be either.
_MARKUP = re.compile(r"<(!--|(\?xml|!doctype|html|head|body|script|iframe|svg|style|title|"
                     r"div|table|a|b|p|br|h1|font)[\s>/])", re.IGNORECASE)
_SCRIPT_OPENINGS = ("#!", "@echo off")
_RTF_OPENING = "{\\rtf"


def _identify_text(f: BinaryIO, head: bytes, signatures: list) -> tuple[Kind, str] | Rejected | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Notepad's "Unicode" and Excel's "Unicode Text" are UTF-16: full of NUL bytes.
        return _not_utf8(gettext("a UTF-16 text file"))
    sample = _decode_all(f, "utf-8-sig")
    charset = "utf-8"
    if sample is None:
        sample = _decode_all(f, "cp1252")
        charset = "windows-1252"
    if sample is None:
        return None
    refusal = _refuse_text(sample, signatures)
    if refusal is not None:
        return refusal
    if _looks_like_csv(sample):
        return KINDS["csv"], charset
    if charset != "utf-8":
        # Windows-1252 decodes almost any byte sequence, so outside the structure of a CSV
        # it is no evidence that the file is text at all.
        return _not_utf8(gettext("a text file in an older encoding"))
    return KINDS["text"], charset


def _decode_all(f: BinaryIO, encoding: str) -> str | None:
    """The first _TEXT_SAMPLE characters if the WHOLE file decodes as clean text, else None.
    Reads in chunks so that a large CSV is checked without holding it in memory."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    sample: list[str] = []
    kept = 0
    f.seek(0)
    try:
        while True:
            chunk = f.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if _CONTROL.search(text):
                return None
            if kept < _TEXT_SAMPLE:
                sample.append(text[: _TEXT_SAMPLE - kept])
                kept += len(sample[-1])
            if not chunk:
                break
    except UnicodeDecodeError:
        return None
    finally:
        f.seek(0)
    return "".join(sample)


def _refuse_text(sample: str, best: list) -> Rejected | None:
    opening = sample.lstrip()
    if opening.lower().startswith(_SCRIPT_OPENINGS):
        return _not_accepted(gettext("a script, which is a kind of program"))
    if opening.startswith(_RTF_OPENING):
        return _not_accepted(gettext("a Rich Text Format document"))
    if _MARKUP.match(opening):
        start = opening[:4096].lower()
        if "<svg" in start:
            return _not_accepted(gettext("an SVG drawing, which can contain scripts"))
        if start.startswith("<?xml"):
            return _not_accepted(gettext("XML data"))
        return _not_accepted(gettext("an HTML web page"))
    # Long ASCII signatures (PGP keys, Python source, playlists, ...) are specific enough to
    # trust even in text; shorter ones match ordinary words and are ignored.
    if best and best[0].confidence >= 0.6 and best[0].mime_type not in (
            "text/plain", "text/csv", "text/ascii"):
        return _not_accepted(_describe(best[0]))
    return None


def _looks_like_csv(sample: str) -> bool:
    complete = sample
    if len(sample) >= _TEXT_SAMPLE and "\n" in sample:
        complete = sample[: sample.rindex("\n") + 1]  # don't judge a cut-off last row
    sniff = complete[:_SNIFF_SAMPLE]
    if len(complete) > _SNIFF_SAMPLE and "\n" in sniff:
        sniff = sniff[: sniff.rindex("\n") + 1]
    try:
        sniffed = csv.Sniffer().sniff(sniff, delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    candidates = dict.fromkeys([sniffed, *_CSV_DELIMITERS])  # ordered, without duplicates
    candidates.pop(None, None)
    for delimiter in candidates:
        counts = _field_counts(complete, delimiter)
        if not counts:
            continue
        if len(counts) == 1:
            # A header-only file: only believe it when the sniffer agrees.
            if counts[0] >= 2 and delimiter == sniffed:
                return True
            continue
        width, rows = Counter(counts).most_common(1)[0]
        # Most rows the same width, allowing for a title line or a totals line.
        if width >= 2 and rows >= max(2, 0.8 * len(counts)):
            return True
    return False


def _field_counts(text: str, delimiter: str) -> list[int]:
    counts = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'):
            if any(field.strip() for field in row):
                counts.append(len(row))
                if len(counts) == _CSV_ROWS:
                    break
    except csv.Error:
        return []
    return counts


# --- file names -----------------------------------------------------------------------------

_MAX_NAME = 120
_MAX_EXTENSION = 16  # longer "extensions" are just dots in a name
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_DRIVE = re.compile(r"^[A-Za-z]:")
# Bidirectional overrides make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_KEEP_FORMAT_CHARS = {"\u200c", "\u200d"}  # joiners that some scripts and emoji need
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
FALLBACK_NAME = "evidence"


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext and len(ext) < _MAX_EXTENSION and " " not in ext:
        return stem, f".{ext}"
    return name, ""


def sanitise_filename(name: str | None) -> str:
    """A client-supplied file name made safe to display, keep and offer for download.

    Keeps the base name only, in NFC, without control or format characters, without the
    characters Windows, macOS or Linux refuse in names, at most 120 characters with its
    extension kept. Non-ASCII letters (Welsh, accents, CJK) are kept: they are not unsafe."""
    name = _DRIVE.sub("", _basename(unicodedata.normalize("NFC", name or "")))
    name = " ".join(name.split())  # tabs and line breaks become spaces before controls go
    name = "".join(
        ch for ch in name
        if ch in _KEEP_FORMAT_CHARS or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    # Removing characters can leave a combining mark next to a new base letter.
    name = unicodedata.normalize("NFC", _UNSAFE.sub("", name))
    name = " ".join(name.split())
    # Leading dots hide files (and ".." climbs); trailing dots and spaces vanish on Windows.
    name = name.lstrip(". ").rstrip(". ")
    stem, ext = _split_extension(name)
    stem = stem.rstrip(" ")
    if stem.lower() in _WINDOWS_RESERVED:
        stem += "_"
    if len(stem) + len(ext) > _MAX_NAME:
        stem = stem[: _MAX_NAME - len(ext)].rstrip(". ")
    return stem + ext if stem else FALLBACK_NAME


_ASCII_LOOKALIKES = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": "'", "\u201d": "'",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u00f0": "d", "\u00fe": "th",
})
# % would be taken for percent-encoding by some browsers; quotes and backslashes end or escape
# the quoted-string; the rest are unsafe in names anyway (NFKD turns fullwidth forms into them).
_ASCII_HAZARDS = re.compile(r"[%\"\\';<>:/|?*\x00-\x1f\x7f]")


def _to_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LOOKALIKES))
    plain = decomposed.encode("ascii", "ignore").decode("ascii")
    return " ".join(_ASCII_HAZARDS.sub("", plain).split())


def ascii_fallback(name: str | None) -> str:
    """An ASCII-only version of the name for Content-Disposition's filename= parameter (the
    full name goes in filename*=, RFC 6266). Accents are dropped (ŵ becomes w); what has no
    ASCII form is dropped, and "evidence" stands in when nothing of the name itself is left."""
    stem, ext = _split_extension(sanitise_filename(name))
    stem = _to_ascii(stem).lstrip(". ").rstrip(". ")
    ext = _to_ascii(ext)
    if not stem.strip(" -_'"):
        stem = FALLBACK_NAME
    if len(ext) < 2 or " " in ext:
        ext = ""
    return stem[: _MAX_NAME - len(ext)].rstrip(". ") + ext


def download_name(original_name: str | None, detected: Detected) -> str:
    """The sanitised name with the extension the content deserves, so that "report.pdf" that
    is really a Word document downloads as "report.docx" and opens in the right program."""
    safe = sanitise_filename(original_name)
    stem, ext = _split_extension(safe)
    if ext.lower() in KINDS[detected.kind].extensions:
        return safe
    if ext.lower() not in _KNOWN_EXTENSIONS:
        stem = safe  # "minutes.v2" keeps its ".v2" and gains the real extension
    return stem[: _MAX_NAME - len(detected.extension)].rstrip(". ") + detected.extension


_KNOWN_EXTENSIONS = frozenset().union(*(k.extensions for k in KINDS.values()))
