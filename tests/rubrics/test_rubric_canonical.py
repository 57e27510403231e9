"""Canonical JSON: same meaning, same hash; different meaning, different hash."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from qualitymark.rubrics import canonical_json, content_hash, load_rubric_text, rubric_from_canonical_json


def digest(text: str) -> str:
    result = load_rubric_text(text, "t.yaml")
    assert result.ok, "\n".join(result.report())
    return result.sha256


def reformatted(text: str) -> str:
    """The same data, written by a YAML dumper: no comments, flow styles gone, keys sorted."""
    return yaml.safe_dump(yaml.safe_load(text), sort_keys=True, allow_unicode=True, width=60)


def test_load_result_carries_canonical_bytes_and_their_hash(sample_text, sample_rubric):
    result = load_rubric_text(sample_text)
    assert result.canonical_json == canonical_json(sample_rubric)
    assert result.sha256 == hashlib.sha256(result.canonical_json).hexdigest() == content_hash(sample_rubric)


def test_canonical_bytes_are_compact_sorted_utf8(sample_rubric):
    data = canonical_json(sample_rubric)
    text = data.decode("utf-8")
    parsed = json.loads(text)
    assert json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == data
    assert parsed["effective_date"] == "2027-01-01"
    assert "Sample Mark — Excellent" in text  # UTF-8, not \u escapes
    # weight 1 (a default) and weight 0.5 are numbers; 1.0 is written 1.
    weights = [c["weight"] for s in parsed["sections"] for c in s["criteria"]]
    assert weights == [1, 2, 1, 1, 1, 0.5, 1, 1]
    assert '"weight":1.0' not in text


def test_round_trip_through_canonical_json(sample_rubric):
    rebuilt = rubric_from_canonical_json(canonical_json(sample_rubric))
    assert rebuilt == sample_rubric
    assert canonical_json(rebuilt) == canonical_json(sample_rubric)


@pytest.mark.parametrize(
    "old, new",
    [
        ("# A small hand-written rubric", "# A different comment about the rubric"),
        ("validity_months: 36\nrenewal_window_months: 6\n", "renewal_window_months: 6\nvalidity_months: 36\n"),
        ("        weight: 2\n", "        weight: 2.0\n"),
        ("        weight: 0.5\n", "        weight: 5.0e-1\n"),
        ("    title: Safety\n", '    title: {en: "Safety"}\n'),
        ("    title: Safety\n", "    title: {en: Safety, cy: null}\n"),
        ("        criteria: mandatory\n", "        criteria:   'mandatory'   # the gate again\n"),
        ("      - id: A3\n", "      - mandatory: false\n        id: A3\n"),
        ("      - id: A3\n", "      - weight: 1\n        id: A3\n"),
        ("version: 1.0.0", 'version: "1.0.0"'),
        ("effective_date: 2027-01-01", "effective_date: '2027-01-01'"),
        ("        evidence: [AGM minutes]\n", "        evidence:\n          - AGM minutes\n"),
    ],
)
def test_hash_ignores_formatting(sample_text, old, new):
    assert sample_text.count(old) == 1
    assert digest(sample_text.replace(old, new)) == digest(sample_text)


def test_hash_ignores_a_full_reformat(sample_text):
    assert digest(reformatted(sample_text)) == digest(sample_text)


@pytest.mark.parametrize(
    "old, new",
    [
        ("        weight: 2\n", "        weight: 3\n"),
        ("        minimum_level: 3\n", "        minimum_level: 2\n"),
        ("    title: Safety\n", "    title: Safety first\n"),
        ("    title: Safety\n", "    title: {en: Safety, cy: Diogelwch}\n"),
        ("cy: Llywodraethu}", "cy: Llywodraeth}"),
        ("        level: 3\n", "        level: 2.5\n"),
        ("validity_months: 36", "validity_months: 24"),
        ("effective_date: 2027-01-01", "effective_date: 2027-01-02"),
        ("        evidence: [AGM minutes]\n", "        evidence: [AGM minutes, Board papers]\n"),
        ("          0: No access to advocacy.\n", "          1: No access to advocacy.\n"),
        ("version: 1.0.0", "version: 1.0.1"),
    ],
)
def test_hash_changes_with_meaning(sample_text, old, new):
    assert sample_text.count(old) == 1
    assert digest(sample_text.replace(old, new)) != digest(sample_text)


def test_hash_changes_when_criteria_are_reordered(sample_text):
    # Order is meaning here: it is the order people read the rubric in.
    a2_start = sample_text.index("      - id: A2\n")
    a3_start = sample_text.index("      - id: A3\n")
    b_start = sample_text.index("  - id: B\n")
    a2, a3 = sample_text[a2_start:a3_start], sample_text[a3_start:b_start]
    assert digest(sample_text.replace(a2 + a3, a3 + a2)) != digest(sample_text)
