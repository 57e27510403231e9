"""Apply a rubric to one application's levels and explain the result.

Semantics (criteria/README.md, "How an award is decided"):

* a criterion left out of the input counts as the lowest level of the scale,
  and is listed as "not scored";
* a section's result is the weighted mean of its criteria, the overall result
  the weighted mean of all criteria;
* built-in gate: every mandatory criterion must reach its own minimum_level,
  otherwise there is no award at all, whatever else (no offsetting);
* the award is the highest one (in file order) whose rules pass *and* whose
  lower awards' rules all pass too.

``Scorer`` does all the rubric-dependent work once, so scoring many
applications is a few integer sums each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .crosscheck import format_levels, format_number
from .models import (
    CriteriaAtLeast,
    LocalisedText,
    OverallMeanAtLeast,
    Rubric,
    SectionMeanAtLeast,
    SectionsMeanAtLeastCount,
    text,
)

GATE = "mandatory_gate"

TextValue = str | LocalisedText


# ----------------------------------------------------------------- results


# Not frozen: a frozen dataclass is ~4x slower to build, and a batch of
# 10,000 applications builds ~200,000 of these. Treat them as read-only.
@dataclass(slots=True)
class RuleResult:
    """One check behind the verdict: the mandatory gate, or (part of) an award rule."""

    award_id: str | None  # None for the built-in mandatory gate
    rule_index: int | None  # position of the rule in its award (0-based); None for the gate
    kind: str  # GATE or the rule's type
    description: str  # plain English, with the numbers
    passed: bool
    figures: dict[str, Any]


@dataclass(slots=True)  # not frozen, for speed: see RuleResult
class SectionResult:
    id: str
    title: TextValue
    mean: float  # unrounded; rules compare exactly
    criteria: dict[str, int]  # criterion id -> level used
    not_scored: tuple[str, ...]

    @property
    def mean_display(self) -> float:
        return round(self.mean, 2)


@dataclass(frozen=True, slots=True)
class MandatoryFailure:
    criterion_id: str
    level: int
    minimum_level: int
    not_scored: bool


@dataclass(frozen=True, slots=True)
class GateResult:
    passed: bool
    failures: tuple[MandatoryFailure, ...]


@dataclass(frozen=True, slots=True)
class AwardOutcome:
    id: str
    name: TextValue
    rules_passed: bool  # this award's own rules, ignoring the gate and lower awards
    achieved: bool  # gate passed and the rules of this and every lower award passed


@dataclass(frozen=True, slots=True)
class Verdict:
    award: str | None
    award_name: str | None  # English; see award_name_in()
    awards: tuple[AwardOutcome, ...]
    gate: GateResult
    sections: tuple[SectionResult, ...]
    overall_mean: float
    levels: dict[str, int]  # every criterion -> the level used
    not_scored: tuple[str, ...]
    explanation: tuple[RuleResult, ...]

    @property
    def overall_mean_display(self) -> float:
        return round(self.overall_mean, 2)

    def award_name_in(self, lang: str = "en") -> str | None:
        for outcome in self.awards:
            if outcome.id == self.award:
                return text(outcome.name, lang)
        return None

    def summary(self, lang: str = "en") -> str:
        """One or two short sentences for people, e.g. on a dashboard.

        Award names follow ``lang``; the sentence itself is English until a
        translator supplies Welsh wording.
        """
        if not self.gate.passed:
            failures = [
                f"{failure.criterion_id} is at {failure.level}, needs {failure.minimum_level}"
                + (" (not scored)" if failure.not_scored else "")
                for failure in self.gate.failures
            ]
            count = len(failures)
            noun = "criterion is" if count == 1 else "criteria are"
            return f"No award: {count} mandatory {noun} below the minimum level ({_first_few(failures)})."
        achieved = [outcome for outcome in self.awards if outcome.achieved]
        next_award = next((outcome for outcome in self.awards if not outcome.achieved), None)
        if next_award is None:
            sentence = f"Awarded {text(achieved[-1].name, lang)}: every rule is met."
        else:
            # The next award fails on its own rules or a lower award's; list those.
            shortfalls = [
                result.description.rstrip(".")
                for result in self.explanation
                if result.award_id is not None
                and not result.passed
                and self._at_or_below(result.award_id, next_award.id)
            ]
            if achieved:
                sentence = f"Awarded {text(achieved[-1].name, lang)}. Not yet {text(next_award.name, lang)}: "
            else:
                sentence = f"No award. {text(next_award.name, lang)} needs: "
            sentence += f"{_first_few(shortfalls)}."
        if self.not_scored:
            count = len(self.not_scored)
            sentence += (
                f" {count} {'criterion was' if count == 1 else 'criteria were'} not scored"
                " and counted at the lowest level."
            )
        return sentence

    def _at_or_below(self, award_id: str, limit: str) -> bool:
        for outcome in self.awards:
            if outcome.id == award_id:
                return True
            if outcome.id == limit:
                return False
        return False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (e.g. to store with an assessment)."""
        def text_data(value: TextValue) -> Any:
            return value if isinstance(value, str) else value.model_dump(exclude_none=True)

        return {
            "award": self.award,
            "award_name": self.award_name,
            "awards": [
                {"id": o.id, "name": text_data(o.name), "rules_passed": o.rules_passed, "achieved": o.achieved}
                for o in self.awards
            ],
            "gate": {
                "passed": self.gate.passed,
                "failures": [
                    {
                        "criterion_id": f.criterion_id,
                        "level": f.level,
                        "minimum_level": f.minimum_level,
                        "not_scored": f.not_scored,
                    }
                    for f in self.gate.failures
                ],
            },
            "sections": [
                {
                    "id": s.id,
                    "title": text_data(s.title),
                    "mean": s.mean,
                    "mean_display": s.mean_display,
                    "criteria": dict(s.criteria),
                    "not_scored": list(s.not_scored),
                }
                for s in self.sections
            ],
            "overall_mean": self.overall_mean,
            "overall_mean_display": self.overall_mean_display,
            "levels": dict(self.levels),
            "not_scored": list(self.not_scored),
            "explanation": [
                {
                    "award_id": r.award_id,
                    "rule_index": r.rule_index,
                    "kind": r.kind,
                    "description": r.description,
                    "passed": r.passed,
                    "figures": r.figures,
                }
                for r in self.explanation
            ],
        }


def _first_few(items: list[str], limit: int = 3) -> str:
    shown = "; ".join(items[:limit])
    if len(items) > limit:
        shown += f"; and {len(items) - limit} more"
    return shown


# ----------------------------------------------------------------- exact arithmetic


def _exact(number: float | int) -> Fraction:
    # repr() gives the shortest decimal that round-trips, i.e. what the author
    # wrote (0.1, 2.5). Working from it keeps 3 == 3 instead of
    # 2.9999999999999996 < 3, which would wrongly fail a boundary case.
    return Fraction(repr(number)) if isinstance(number, float) else Fraction(number)


def _display(value: float) -> float | int:
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded


# ----------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class _CriteriaRule:
    award_id: str
    rule_index: int
    selector: Any  # "mandatory" | "all" | list of ids, as written
    indices: tuple[int, ...]
    required: tuple[int, ...]  # per selected criterion
    level: int | None  # None: each criterion's own minimum_level
    statement: str  # e.g. "Every criterion at level 2 or above"


@dataclass(frozen=True, slots=True)
class _SectionMeanRule:
    award_id: str
    rule_index: int
    sections: tuple[int, ...]
    level_exact: Fraction
    required: int | float  # for display: 2 rather than 2.0


@dataclass(frozen=True, slots=True)
class _CountRule:
    award_id: str
    rule_index: int
    sections: tuple[int, ...]
    count: int
    level_exact: Fraction
    required: int | float
    statement: str


@dataclass(frozen=True, slots=True)
class _OverallRule:
    award_id: str
    rule_index: int
    level_exact: Fraction
    required: int | float


class Scorer:
    """Scores applications against one rubric. Build once, call :meth:`score` many times."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self.scale: tuple[int, ...] = rubric.scale_levels()
        self._scale_set = frozenset(self.scale)
        self._lowest = min(self.scale)

        criteria = rubric.criteria()
        self._ids: tuple[str, ...] = tuple(criterion.id for criterion in criteria)
        self._index: dict[str, int] = {cid: i for i, cid in enumerate(self._ids)}

        # Integer weights with a common denominator, so means compare exactly.
        exact_weights = [_exact(criterion.weight) for criterion in criteria]
        denominator = math.lcm(*(weight.denominator for weight in exact_weights))
        self._weights: tuple[int, ...] = tuple(int(weight * denominator) for weight in exact_weights)

        self._section_ids: tuple[str, ...] = tuple(section.id for section in rubric.sections)
        self._section_titles = tuple(section.title for section in rubric.sections)
        self._section_members: list[tuple[int, ...]] = []
        start = 0
        for section in rubric.sections:
            self._section_members.append(tuple(range(start, start + len(section.criteria))))
            start += len(section.criteria)
        self._section_weight = tuple(sum(self._weights[i] for i in members) for members in self._section_members)
        self._total_weight = sum(self._weights)
        self._section_index = {sid: i for i, sid in enumerate(self._section_ids)}

        self._mandatory: tuple[tuple[int, int], ...] = tuple(
            (self._index[criterion.id], criterion.minimum_level)
            for criterion in criteria
            if criterion.mandatory and criterion.minimum_level is not None
        )
        self._minimum_of = {index: minimum for index, minimum in self._mandatory}

        self._award_ids = tuple(award.id for award in rubric.awards)
        self._award_names = tuple(award.name for award in rubric.awards)
        self._award_names_en = tuple(text(award.name, "en") for award in rubric.awards)
        self._section_labels = tuple(
            f"Section {section.id} ({text(section.title, 'en')})" for section in rubric.sections
        )
        self._rules = [
            self._compile(award.id, index, rule) for award in rubric.awards for index, rule in enumerate(award.rules)
        ]

    # ------------------------------------------------------------- setup

    def _select_sections(self, selector: Any) -> tuple[int, ...]:
        if selector == "all":
            return tuple(range(len(self._section_ids)))
        return tuple(self._section_index[sid] for sid in dict.fromkeys(selector))

    def _compile(self, award_id: str, index: int, rule: Any) -> Any:
        if isinstance(rule, CriteriaAtLeast):
            if rule.criteria == "mandatory":
                indices = tuple(i for i, _ in self._mandatory)
                chosen = "Every mandatory criterion"
            elif rule.criteria == "all":
                indices = tuple(range(len(self._ids)))
                chosen = "Every criterion"
            else:
                indices = tuple(self._index[cid] for cid in dict.fromkeys(rule.criteria))
                chosen = "Criteria " + ", ".join(self._ids[i] for i in indices)
            if rule.level is None:
                # Only valid for "mandatory": each criterion's own minimum.
                required = tuple(self._minimum_of.get(i, self._lowest) for i in indices)
                needed = "its own minimum level"
            else:
                required = tuple(rule.level for _ in indices)
                needed = f"level {rule.level}"
            statement = f"{chosen} at {needed} or above"
            return _CriteriaRule(award_id, index, rule.criteria, indices, required, rule.level, statement)
        if isinstance(rule, SectionMeanAtLeast):
            return _SectionMeanRule(
                award_id, index, self._select_sections(rule.sections), _exact(rule.level), _number(rule.level)
            )
        if isinstance(rule, SectionsMeanAtLeastCount):
            sections = self._select_sections(rule.sections)
            pool = "all sections" if rule.sections == "all" else "sections " + ", ".join(
                self._section_ids[s] for s in sections
            )
            level = format_number(rule.level)
            statement = f"At least {rule.count} of {pool} with a weighted average of {level} or more"
            return _CountRule(
                award_id, index, sections, rule.count, _exact(rule.level), _number(rule.level), statement
            )
        if isinstance(rule, OverallMeanAtLeast):
            return _OverallRule(award_id, index, _exact(rule.level), _number(rule.level))
        raise TypeError(f"unknown rule {rule!r}")  # pragma: no cover - the model allows no others

    # ------------------------------------------------------------- scoring

    def _read_levels(self, levels: Mapping[str, int]) -> list[int | None]:
        values: list[int | None] = [None] * len(self._ids)
        problems: list[str] = []
        for criterion_id, level in levels.items():
            index = self._index.get(criterion_id)
            if index is None:
                problems.append(f'unknown criterion id "{criterion_id}"')
            elif isinstance(level, bool) or not isinstance(level, int):
                problems.append(f"criterion {criterion_id}: level must be a whole number, got {level!r}")
            elif level not in self._scale_set:
                problems.append(
                    f"criterion {criterion_id}: level {level} is not on the scale {format_levels(self.scale)}"
                )
            else:
                values[index] = level
        if problems:
            raise ValueError(
                f"cannot score against {self.rubric.scheme} {self.rubric.version}: " + "; ".join(problems)
            )
        return values

    def score(self, levels: Mapping[str, int]) -> Verdict:
        tally = self._tally(self._read_levels(levels))

        explanation: list[RuleResult] = [self._gate(tally)]
        gate = explanation[0]
        for rule in self._rules:
            if isinstance(rule, _CriteriaRule):
                explanation.append(self._criteria_result(rule, tally))
            elif isinstance(rule, _SectionMeanRule):
                explanation.extend(self._section_results(rule, tally))
            elif isinstance(rule, _CountRule):
                explanation.append(self._count_result(rule, tally))
            else:
                explanation.append(self._overall_result(rule, tally))

        rules_passed = dict.fromkeys(self._award_ids, True)
        for result in explanation[1:]:
            if not result.passed:
                rules_passed[result.award_id] = False  # type: ignore[index]
        outcomes = []
        still_achieving = gate.passed
        award_index: int | None = None
        for index, award_id in enumerate(self._award_ids):
            still_achieving = still_achieving and rules_passed[award_id]
            if still_achieving:
                award_index = index
            outcomes.append(AwardOutcome(award_id, self._award_names[index], rules_passed[award_id], still_achieving))

        values, ids = tally.values, self._ids
        sections = tuple(
            SectionResult(
                self._section_ids[s],
                self._section_titles[s],
                tally.section_means[s],
                {ids[i]: values[i] for i in members},
                tally.section_unscored[s],
            )
            for s, members in enumerate(self._section_members)
        )
        failures = tuple(
            MandatoryFailure(ids[i], values[i], minimum, ids[i] in tally.unscored)
            for i, minimum in self._mandatory
            if values[i] < minimum
        )
        return Verdict(
            award=self._award_ids[award_index] if award_index is not None else None,
            award_name=self._award_names_en[award_index] if award_index is not None else None,
            awards=tuple(outcomes),
            gate=GateResult(not failures, failures),
            sections=sections,
            overall_mean=tally.overall_mean,
            levels=dict(zip(ids, values)),
            not_scored=tally.not_scored,
            explanation=tuple(explanation),
        )

    def _tally(self, given: list[int | None]) -> _Tally:
        lowest = self._lowest
        values = [lowest if level is None else level for level in given]
        not_scored = tuple(self._ids[i] for i, level in enumerate(given) if level is None)
        weights = self._weights
        # Weighted sums as integers: mean = sum / weight, compared exactly.
        section_sums = [sum(weights[i] * values[i] for i in members) for members in self._section_members]
        section_means = [total / weight for total, weight in zip(section_sums, self._section_weight)]
        overall_sum = sum(section_sums)
        overall_mean = overall_sum / self._total_weight
        unscored = frozenset(not_scored)
        if unscored:
            section_unscored = [
                tuple(self._ids[i] for i in members if self._ids[i] in unscored) for members in self._section_members
            ]
        else:
            section_unscored = [()] * len(self._section_members)
        return _Tally(
            values=values,
            unscored=unscored,
            not_scored=not_scored,
            section_sums=section_sums,
            section_means=section_means,
            section_display=[_display(mean) for mean in section_means],
            section_unscored=section_unscored,
            overall_sum=overall_sum,
            overall_mean=overall_mean,
        )

    # ------------------------------------------------------------- explanations

    def _gate(self, tally: _Tally) -> RuleResult:
        values, unscored = tally.values, tally.unscored
        failed = {
            self._ids[i]: {"level": values[i], "minimum": minimum}
            for i, minimum in self._mandatory
            if values[i] < minimum
        }
        checked = len(self._mandatory)
        if not checked:
            description = "There are no mandatory criteria."
        elif not failed:
            description = f"All {checked} mandatory criteria reach their minimum level."
        else:
            details = ", ".join(
                f"{cid} is at {f['level']} (needs {f['minimum']}{', not scored' if cid in unscored else ''})"
                for cid, f in failed.items()
            )
            description = f"Mandatory criteria below their minimum level, so no award can be made: {details}."
        figures: dict[str, Any] = {"checked": checked, "failed": failed}
        if unscored:
            not_scored = [self._ids[i] for i, _ in self._mandatory if self._ids[i] in unscored]
            if not_scored:
                figures["not_scored"] = not_scored
        return RuleResult(None, None, GATE, description, not failed, figures)

    def _criteria_result(self, rule: _CriteriaRule, tally: _Tally) -> RuleResult:
        values = tally.values
        below = {
            self._ids[i]: {"level": values[i], "required": required}
            for i, required in zip(rule.indices, rule.required)
            if values[i] < required
        }
        description = rule.statement
        if below:
            description += ": " + ", ".join(f"{cid} is at {b['level']}" for cid, b in below.items())
        description += "."
        figures: dict[str, Any] = {
            "criteria": rule.selector if isinstance(rule.selector, str) else list(rule.selector),
            "required": rule.level if rule.level is not None else "minimum_level",
            "checked": len(rule.indices),
            "below": below,
        }
        if tally.unscored:
            not_scored = [self._ids[i] for i in rule.indices if self._ids[i] in tally.unscored]
            if not_scored:
                figures["not_scored"] = not_scored
        return RuleResult(rule.award_id, rule.rule_index, "criteria_at_least", description, not below, figures)

    def _section_results(self, rule: _SectionMeanRule, tally: _Tally) -> list[RuleResult]:
        results = []
        level = rule.level_exact
        for s in rule.sections:
            # mean >= p/q  <=>  sum * q >= p * weight: integers, so exact.
            passed = tally.section_sums[s] * level.denominator >= level.numerator * self._section_weight[s]
            shown = tally.section_display[s]
            not_scored = tally.section_unscored[s]
            figures: dict[str, Any] = {"section": self._section_ids[s], "mean": shown, "required": rule.required}
            if not_scored:
                figures["not_scored"] = list(not_scored)
                unscored_note = f" ({', '.join(not_scored)} not scored, counted as {self._lowest})"
            else:
                unscored_note = ""
            description = (
                f"{self._section_labels[s]}: weighted average {shown}, "
                f"needs at least {rule.required}{unscored_note}."
            )
            results.append(
                RuleResult(rule.award_id, rule.rule_index, "section_mean_at_least", description, passed, figures)
            )
        return results

    def _count_result(self, rule: _CountRule, tally: _Tally) -> RuleResult:
        level = rule.level_exact
        meeting = [
            self._section_ids[s]
            for s in rule.sections
            if tally.section_sums[s] * level.denominator >= level.numerator * self._section_weight[s]
        ]
        passed = len(meeting) >= rule.count
        description = (
            f"{rule.statement}: {len(meeting)} {'does' if len(meeting) == 1 else 'do'}"
            + (f" ({', '.join(meeting)})." if meeting else ".")
        )
        figures = {
            "count": len(meeting),
            "required_count": rule.count,
            "level": rule.required,
            "sections_meeting": meeting,
            "means": {self._section_ids[s]: tally.section_display[s] for s in rule.sections},
        }
        return RuleResult(rule.award_id, rule.rule_index, "sections_mean_at_least_count", description, passed, figures)

    def _overall_result(self, rule: _OverallRule, tally: _Tally) -> RuleResult:
        level = rule.level_exact
        passed = tally.overall_sum * level.denominator >= level.numerator * self._total_weight
        shown = _display(tally.overall_mean)
        figures: dict[str, Any] = {"mean": shown, "required": rule.required}
        unscored_note = ""
        if tally.not_scored:
            figures["not_scored"] = list(tally.not_scored)
            unscored_note = f" ({len(tally.not_scored)} not scored, counted as {self._lowest})"
        description = f"Overall weighted average {shown}, needs at least {rule.required}{unscored_note}."
        return RuleResult(rule.award_id, rule.rule_index, "overall_mean_at_least", description, passed, figures)


@dataclass(slots=True)
class _Tally:
    """Per-application numbers shared by the rule checks."""

    values: list[int]
    unscored: frozenset[str]
    not_scored: tuple[str, ...]
    section_sums: list[int]
    section_means: list[float]
    section_display: list[float | int]
    section_unscored: list[tuple[str, ...]]
    overall_sum: int
    overall_mean: float


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def score(rubric: Rubric, levels: Mapping[str, int]) -> Verdict:
    """Score one application. For many, build a :class:`Scorer` once and reuse it."""
    return Scorer(rubric).score(levels)
