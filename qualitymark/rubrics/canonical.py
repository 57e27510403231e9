"""The canonical content of a rubric, and its fingerprint.

Two YAML files that *mean* the same rubric — whatever their comments, key
order, quoting, ``1`` vs ``1.0``, ``{en: x}`` vs ``x``, or defaults written out
vs left out — give the same bytes and so the same SHA-256. Any change of
meaning changes them. The bytes follow RFC 8785 (JSON Canonicalization
Scheme), so anyone can recompute the hash with a standard JCS library from
the JSON.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from .models import Rubric


def canonical_data(rubric: Rubric) -> dict[str, Any]:
    """The rubric as plain JSON data in its canonical form."""
    return normalise(rubric.model_dump(mode="json"))


def normalise(value: Any) -> Any:
    """Canonical form of JSON data dumped from the models (see the module docstring)."""
    if isinstance(value, dict):
        cleaned = {key: normalise(item) for key, item in value.items() if item is not None}
        # A text with only English means the same as the plain string.
        if set(cleaned) == {"en"} and isinstance(cleaned["en"], str) and set(value) <= {"en", "cy"}:
            return cleaned["en"]
        return cleaned
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # weight 1.0 means weight 1
    return value


def canonical_json(rubric: Rubric) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace (RFC 8785)."""
    return rfc8785.dumps(canonical_data(rubric))


def content_hash(rubric: Rubric) -> str:
    """Hex SHA-256 of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(rubric)).hexdigest()


def rubric_from_canonical_json(data: bytes | str) -> Rubric:
    """Rebuild the model from canonical JSON (e.g. a copy stored with an award)."""
    return Rubric.model_validate_json(data)
