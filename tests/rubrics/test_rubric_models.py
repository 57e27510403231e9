"""Models, the text helper, cross-checks on plain data, translation coverage."""

from __future__ import annotations

import copy

import pytest
import yaml
from pydantic import ValidationError

from qualitymark.rubrics import LocalisedText, Rubric, cross_check, text, translation_coverage


def test_text_helper_falls_back_to_english():
    both = LocalisedText(en="Safety", cy="Diogelwch")
    english_only = LocalisedText(en="Safety")
    assert text(both, "cy") == "Diogelwch"
    assert text(both, "en") == "Safety"
    assert text(english_only, "cy") == "Safety"
    assert text("Safety", "cy") == "Safety"
    assert text(both, "fr") == "Safety"
    assert text(None) == ""


@pytest.fixture()
def sample_data(sample_text):
    return yaml.safe_load(sample_text)


def test_models_are_strict(sample_data):
    data = copy.deepcopy(sample_data)
    data["scale"][0]["level"] = "0"
    with pytest.raises(ValidationError):
        Rubric.model_validate(data)
    data = copy.deepcopy(sample_data)
    data["sections"][0]["criteria"][0]["mandatory"] = "true"
    with pytest.raises(ValidationError):
        Rubric.model_validate(data)
    data = copy.deepcopy(sample_data)
    data["sections"][0]["criteria"][0]["minimum_level"] = True  # bool is not a level
    with pytest.raises(ValidationError):
        Rubric.model_validate(data)


def test_model_accepts_sample_and_defaults(sample_rubric):
    a3 = sample_rubric.criteria()[2]
    assert (a3.id, a3.mandatory, a3.weight, a3.minimum_level, a3.descriptors) == ("A3", False, 1, None, {})
    assert sample_rubric.scale_levels() == (0, 1, 2, 3, 4)


def test_cross_check_on_a_valid_rubric_is_silent(sample_rubric):
    assert list(cross_check(sample_rubric)) == []


def test_cross_check_yields_every_problem_with_its_path(sample_data):
    data = copy.deepcopy(sample_data)
    data["renewal_window_months"] = 36
    data["sections"][1]["id"] = "A"
    data["sections"][2]["criteria"][1]["id"] = "A1"
    data["sections"][0]["criteria"][0]["minimum_level"] = 9
    data["sections"][1]["criteria"][2]["descriptors"][5] = "Beyond"
    data["awards"][0]["rules"][0] = {"type": "criteria_at_least", "criteria": ["A1", "Z9"], "level": 6}
    data["awards"][1]["rules"][1]["count"] = 4
    issues = list(cross_check(data))
    found = {(issue.path, issue.message.split(" (")[0]) for issue in issues}
    assert ("renewal_window_months",) in {path for path, _ in found}
    assert (("sections", 1, "id"), 'section id "A" is used twice') in found
    assert (("sections", 2, "criteria", 1, "id"), 'criterion id "A1" is used twice') in found
    assert any(path == ("sections", 0, "criteria", 0, "minimum_level") and "level 9" in m for path, m in found)
    assert any(path == ("sections", 1, "criteria", 2, "descriptors", 5) for path, _ in found)
    assert any(path == ("awards", 0, "rules", 0, "criteria", 1) and '"Z9"' in m for path, m in found)
    assert any(path == ("awards", 0, "rules", 0, "level") for path, _ in found)
    assert any(path == ("awards", 1, "rules", 1, "count") for path, _ in found)
    assert len(issues) == 8
    duplicate = next(issue for issue in issues if issue.path == ("sections", 1, "id"))
    assert duplicate.first_path == ("sections", 0, "id")
    assert str(duplicate) == 'sections[1].id: section id "A" is used twice (first at sections[0].id)'


def test_cross_check_tolerates_garbage():
    # Shapes are the models' business; the cross-check must simply not crash.
    for junk in ({}, {"sections": "x"}, {"sections": [None, {"criteria": [1, {"id": 3}]}]}, {"scale": [{"level": "a"}]},
                 {"awards": [{"rules": [None, {"type": "criteria_at_least", "criteria": 5}]}]}):
        list(cross_check(junk))


def test_translation_coverage(sample_rubric):
    coverage = translation_coverage(sample_rubric)
    assert (coverage.translated, coverage.total) == (6, 48)
    assert str(coverage) == "Welsh: 6 of 48 text fields (13%)"
    assert "criterion A1 guidance" in coverage.missing
    assert "criterion B1 guidance" not in coverage.missing


@pytest.mark.parametrize(
    "translated, total, percent",
    [(134, 160, 84), (0, 10, 0), (1, 1000, 1), (999, 1000, 99), (10, 10, 100), (1, 2, 50)],
)
def test_coverage_percent_never_overstates(translated, total, percent):
    from qualitymark.rubrics import Coverage

    assert Coverage("cy", translated, total, ()).percent == percent


def test_level_descriptor_falls_back_to_the_scale(sample_rubric):
    assert sample_rubric.level_descriptor("B3", 0) == "No access to advocacy."
    assert text(sample_rubric.level_descriptor("B3", 4), "cy") == "Mae eiriolaeth yn cael ei chyd-ddylunio."
    assert sample_rubric.level_descriptor("B3", 3) == "Consistent practice, shown by two kinds of evidence."
    with pytest.raises(ValueError):
        sample_rubric.level_descriptor("B3", 9)
    assert sample_rubric.criteria_by_id()["C1"].minimum_level == 3
