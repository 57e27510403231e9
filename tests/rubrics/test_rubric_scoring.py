"""Scoring: example tests on the sample rubric, exactness, errors and speed."""

from __future__ import annotations

import json
import random
import time

import pytest

from qualitymark.rubrics import Rubric, Scorer, score
from qualitymark.rubrics.scoring import GATE

ALL_IDS = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"]


def levels(default: int, **overrides: int) -> dict[str, int]:
    result = {criterion_id: default for criterion_id in ALL_IDS}
    result.update(overrides)
    return result


def test_all_fours_is_excellent(sample_rubric):
    verdict = score(sample_rubric, levels(4))
    assert verdict.award == "excellent"
    assert verdict.award_name == "Sample Mark — Excellent"
    assert verdict.gate.passed and verdict.gate.failures == ()
    assert all(result.passed for result in verdict.explanation)
    assert verdict.summary() == "Awarded Sample Mark — Excellent: every rule is met."
    assert [outcome.achieved for outcome in verdict.awards] == [True, True]


def test_all_threes_is_the_mark_but_not_excellent(sample_rubric):
    verdict = score(sample_rubric, levels(3))
    assert verdict.award == "mark"
    count_rule = next(r for r in verdict.explanation if r.kind == "sections_mean_at_least_count")
    assert not count_rule.passed
    assert count_rule.figures == {
        "count": 0, "required_count": 2, "level": 4, "sections_meeting": [], "means": {"A": 3, "B": 3, "C": 3},
    }
    assert verdict.summary() == (
        "Awarded Sample Mark. Not yet Sample Mark — Excellent: "
        "At least 2 of all sections with a weighted average of 4 or more: 0 do."
    )
    assert verdict.summary("cy").startswith("Awarded Marc Enghreifftiol. Not yet Sample Mark — Excellent")
    assert verdict.award_name_in("cy") == "Marc Enghreifftiol"


def test_mandatory_shortfall_cannot_be_offset(sample_rubric):
    verdict = score(sample_rubric, levels(4, C1=2))
    assert verdict.award is None and verdict.award_name is None
    assert not verdict.gate.passed
    (failure,) = verdict.gate.failures
    assert (failure.criterion_id, failure.level, failure.minimum_level) == ("C1", 2, 3)
    gate = verdict.explanation[0]
    assert gate.kind == GATE and gate.award_id is None and not gate.passed
    assert gate.figures["failed"] == {"C1": {"level": 2, "minimum": 3}}
    # Every rule of every award is still evaluated and listed.
    assert len(verdict.explanation) == 10
    # "mark" also checks the mandatory criteria; "excellent"'s own rules pass,
    # yet it is not achieved: the gate and the lower award come first.
    assert not verdict.awards[0].rules_passed
    assert verdict.awards[1].rules_passed and not verdict.awards[1].achieved
    assert verdict.summary() == "No award: 1 mandatory criterion is below the minimum level (C1 is at 2, needs 3)."


def test_weighted_means(sample_rubric):
    verdict = score(sample_rubric, levels(2, A1=4, A2=1, A3=4, B3=4, C1=3))
    a, b, c = verdict.sections
    assert a.mean == pytest.approx((4 + 2 * 1 + 4) / 4)  # A2 weighs 2
    assert b.mean == pytest.approx((2 + 2 + 0.5 * 4) / 2.5)  # B3 weighs 0.5
    assert c.mean == 2.5
    assert verdict.overall_mean == pytest.approx((4 + 2 * 1 + 4 + 2 + 2 + 0.5 * 4 + 3 + 2) / 8.5)
    assert a.criteria == {"A1": 4, "A2": 1, "A3": 4}
    assert verdict.award == "mark"


def test_section_figures_round_for_display_only(sample_rubric):
    verdict = score(sample_rubric, levels(3, A1=2, A2=1))  # A: (2 + 2 + 3) / 4 = 1.75
    result = next(r for r in verdict.explanation if r.figures.get("section") == "A" and r.award_id == "mark")
    assert result.figures == {"section": "A", "mean": 1.75, "required": 2}
    assert not result.passed
    assert result.description == "Section A (Governance): weighted average 1.75, needs at least 2."


def test_missing_criteria_count_as_lowest_and_are_listed(sample_rubric):
    verdict = score(sample_rubric, {"A1": 4, "B2": 4, "C1": 4})
    assert verdict.not_scored == ("A2", "A3", "B1", "B3", "C2")
    assert verdict.levels["A2"] == 0
    assert verdict.sections[0].not_scored == ("A2", "A3")
    assert verdict.award is None
    section_a = next(r for r in verdict.explanation if r.figures.get("section") == "A")
    assert section_a.figures["not_scored"] == ["A2", "A3"]
    assert "A2, A3 not scored, counted as 0" in section_a.description
    assert "5 criteria were not scored" in verdict.summary()


def test_missing_mandatory_criterion_fails_the_gate(sample_rubric):
    del_levels = levels(4)
    del del_levels["C1"]
    verdict = score(sample_rubric, del_levels)
    assert verdict.award is None
    assert verdict.gate.failures[0].not_scored
    assert "C1" in verdict.explanation[0].figures["not_scored"]


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ({"Z9": 2}, 'unknown criterion id "Z9"'),
        ({"A1": 7}, "criterion A1: level 7 is not on the scale (0, 1, 2, 3, 4)"),
        ({"A1": "3"}, "criterion A1: level must be a whole number, got '3'"),
        ({"A1": True}, "criterion A1: level must be a whole number, got True"),
        ({"A1": 2.0}, "criterion A1: level must be a whole number, got 2.0"),
    ],
)
def test_bad_levels_raise(sample_rubric, bad, fragment):
    with pytest.raises(ValueError) as raised:
        score(sample_rubric, bad)
    assert fragment in str(raised.value)
    assert "sample-mark 1.0.0" in str(raised.value)


def test_all_bad_levels_are_named_at_once(sample_rubric):
    with pytest.raises(ValueError, match=r'unknown criterion id "Z9".*A1: level 9'):
        score(sample_rubric, {"Z9": 1, "A1": 9})


def test_verdict_to_dict_is_json(sample_rubric):
    verdict = score(sample_rubric, levels(3, B1=1))
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["award"] == "mark"
    assert data["sections"][1]["title"] == "Voice and control"
    assert data["awards"][0]["name"] == {"en": "Sample Mark", "cy": "Marc Enghreifftiol"}
    assert len(data["explanation"]) == len(verdict.explanation)


# --------------------------------------------------------------------------- exactness


def tiny_rubric(weights: list[float], rules: list[dict]) -> Rubric:
    return Rubric.model_validate(
        {
            "scheme": "tiny", "version": "1.0.0", "title": "T", "description": "T",
            "effective_date": "2027-01-01", "validity_months": 12, "renewal_window_months": 1,
            "assessment": {"assessors_per_application": 1, "divergence_threshold": 1},
            "scale": [{"level": level, "name": str(level), "descriptor": str(level)} for level in range(5)],
            "sections": [
                {
                    "id": "A", "title": "A",
                    "criteria": [
                        {"id": f"A{i}", "title": "t", "guidance": "g", "evidence": ["e"], "weight": weight}
                        for i, weight in enumerate(weights, 1)
                    ],
                }
            ],
            "awards": [{"id": "mark", "name": "Mark", "rules": rules}],
        }
    )


def test_boundary_is_compared_exactly():
    # In floating point (0.1*3 + 0.3*3) / (0.1 + 0.3) is 2.9999999999999996 < 3.
    assert (0.1 * 3 + 0.3 * 3) / (0.1 + 0.3) < 3
    rubric = tiny_rubric([0.1, 0.3], [{"type": "section_mean_at_least", "sections": "all", "level": 3}])
    assert score(rubric, {"A1": 3, "A2": 3}).award == "mark"
    rubric = tiny_rubric([0.1, 0.3], [{"type": "overall_mean_at_least", "level": 3}])
    assert score(rubric, {"A1": 3, "A2": 3}).award == "mark"


def test_display_rounding_does_not_pass_a_rule():
    rubric = tiny_rubric([0.01, 4.99], [{"type": "section_mean_at_least", "sections": "all", "level": 2}])
    verdict = score(rubric, {"A1": 1, "A2": 2})  # mean 1.998
    assert verdict.sections[0].mean_display == 2.0
    assert verdict.award is None
    assert verdict.explanation[1].figures["mean"] == 2


def test_criteria_list_rule():
    rubric = tiny_rubric([1, 1, 1], [{"type": "criteria_at_least", "criteria": ["A1", "A3"], "level": 3}])
    verdict = score(rubric, {"A1": 3, "A2": 0, "A3": 2})
    assert verdict.award is None
    result = verdict.explanation[1]
    assert result.figures["below"] == {"A3": {"level": 2, "required": 3}}
    assert result.description == "Criteria A1, A3 at level 3 or above: A3 is at 2."


# --------------------------------------------------------------------------- speed


def big_rubric() -> Rubric:
    sections = [
        {
            "id": letter, "title": f"Section {letter}",
            "criteria": [
                {
                    "id": f"{letter}{n}", "title": "t", "guidance": "g", "evidence": ["e"],
                    "weight": [1, 2, 0.5][n % 3],
                    **({"mandatory": True, "minimum_level": 2} if n == 1 and letter in "ABCDE" else {}),
                }
                for n in range(1, 6)
            ],
        }
        for letter in "ABCDEFG"
    ]
    data = tiny_rubric([1], [{"type": "overall_mean_at_least", "level": 1}]).model_dump()
    data["sections"] = sections
    data["awards"] = [
        {"id": "mark", "name": "Mark", "rules": [
            {"type": "criteria_at_least", "criteria": "mandatory"},
            {"type": "section_mean_at_least", "sections": "all", "level": 2},
        ]},
        {"id": "excellent", "name": "Excellent", "rules": [
            {"type": "section_mean_at_least", "sections": "all", "level": 3},
            {"type": "sections_mean_at_least_count", "count": 3, "level": 4},
            {"type": "overall_mean_at_least", "level": 3.2},
        ]},
    ]
    return Rubric.model_validate(data)


def test_scoring_ten_thousand_applications_is_fast():
    rubric = big_rubric()
    ids = [criterion.id for criterion in rubric.criteria()]
    assert len(ids) == 35
    randomiser = random.Random(7)
    applications = [{cid: randomiser.choice((1, 2, 3, 3, 4, 4)) for cid in ids} for _ in range(10_000)]
    started = time.perf_counter()
    scorer = Scorer(rubric)
    verdicts = [scorer.score(levels) for levels in applications]
    elapsed = time.perf_counter() - started
    assert len(verdicts) == 10_000
    assert {verdict.award for verdict in verdicts} >= {None, "mark"}
    assert elapsed < 3.0, f"scoring 10,000 applications took {elapsed:.2f}s"
