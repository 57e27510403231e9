"""The committed JSON Schema is exactly what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from qualitymark.rubrics import rubric_json_schema
from qualitymark.rubrics.schema import SCHEMA_ID, schema_text

REPO = Path(__file__).resolve().parents[2]

COMMITTED = REPO / "criteria" / "rubric.schema.json"


def test_committed_schema_matches_the_models():
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "criteria/rubric.schema.json is out of date: regenerate it with "
        ".venv/bin/python -m qualitymark.rubrics schema"
    )


def test_schema_header_and_strictness():
    schema = rubric_json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "Care Quality Mark rubric"
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "scheme", "version", "title", "description", "effective_date", "validity_months",
        "renewal_window_months", "assessment", "scale", "sections", "awards",
    }
    definitions = schema["$defs"]
    for name in ("Criterion", "Section", "ScaleLevel", "Award", "LocalisedText", "CriteriaAtLeast"):
        assert definitions[name]["additionalProperties"] is False, name
    assert definitions["LocalisedText"]["required"] == ["en"]
    # A level must be a whole number, a weight any number in (0, 10].
    assert definitions["ScaleLevel"]["properties"]["level"]["type"] == "integer"
    weight = definitions["Criterion"]["properties"]["weight"]
    assert (weight["type"], weight["exclusiveMinimum"], weight["maximum"]) == ("number", 0, 10)
    # The schema is plain JSON.
    assert json.loads(schema_text()) == schema


def test_readme_explains_how_to_use_the_schema():
    readme = (REPO / "criteria" / "README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../rubric.schema.json" in readme
