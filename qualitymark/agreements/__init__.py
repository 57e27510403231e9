"""The scheme agreement (ISO/IEC 17065 clause 4.1.2). A new text is a new file and version;
acceptances record the version and the SHA-256 of the exact text accepted."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CURRENT_VERSION = "2026-1"


@dataclass(frozen=True)
class Agreement:
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def agreement(version: str = CURRENT_VERSION) -> Agreement:
    text = resources.files(__package__).joinpath(f"scheme-agreement-{version}.md").read_text(encoding="utf-8")
    return Agreement(version, text)
