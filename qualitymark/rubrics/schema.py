"""JSON Schema for rubric files, generated from the same models the loader uses.

The committed copy lives at ``criteria/rubric.schema.json`` so editors can
check rubric YAML as it is typed. Regenerate it after changing the models::

    .venv/bin/python -m qualitymark.rubrics schema

(a test fails while the committed copy differs from the models).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import Rubric

SCHEMA_ID = "urn:qualitymark:rubric:1"
SCHEMA_TITLE = "Care Quality Mark rubric"
SCHEMA_FILE = Path("criteria") / "rubric.schema.json"


def rubric_json_schema() -> dict[str, Any]:
    schema = Rubric.model_json_schema(mode="validation")
    header = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": SCHEMA_TITLE,
        "description": (
            "A rubric file: criteria/<scheme>/<version>.yaml. Documentation: criteria/README.md. "
            "Checks that span several places (ids named by rules, levels on the scale, duplicate ids) "
            "are made by the rubric validator, not by this schema."
        ),
    }
    # Header first and definitions last, so the file reads top-down.
    body = {key: value for key, value in schema.items() if key not in header and key != "$defs"}
    return {**header, **body, "$defs": schema["$defs"]}


def schema_text() -> str:
    """The exact text of the committed schema file."""
    return json.dumps(rubric_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | Path = SCHEMA_FILE) -> Path:
    path = Path(path)
    path.write_text(schema_text(), encoding="utf-8")
    return path

