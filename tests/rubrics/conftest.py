"""Fixtures for the rubric core tests (pure: no app, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualitymark.rubrics import Rubric, load_rubric

SAMPLE_PATH = Path(__file__).resolve().parent / "sample-rubric.yaml"


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_rubric() -> Rubric:
    result = load_rubric(SAMPLE_PATH)
    assert result.ok, "\n".join(result.report())
    assert result.rubric is not None
    return result.rubric
