"""The Welsh catalogue, for the tests: where it is, and the .mo built from it.

`make` builds the .mo (it is not in git); a test run started with plain `pytest` right after
the .po changed would otherwise test the old translations, so the tests build it too when it is
missing or older than the .po."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO / "qualitymark" / "translations"
PO = TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# %(name)s-style placeholders, and the escaped percent sign.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%%")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def read_catalogue():
    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        return read_po(handle, locale="cy")


def ensure_compiled() -> None:
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    from babel.messages.mofile import write_mo

    catalogue = read_catalogue()
    temporary = MO.with_suffix(".mo.tmp")
    with temporary.open("wb") as handle:
        write_mo(handle, catalogue)
    temporary.replace(MO)  # atomic: a parallel run never reads half a file
