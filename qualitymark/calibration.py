"""Assessor calibration: do peer assessors read the rubric the same way?

Plain data in, plain data out (no Flask, no database). Two questions are answered:

* Agreement between assessors, per criterion and overall: Krippendorff's alpha for ordinal data,
  computed by the `krippendorff` package. The applications are the "units" and the assessors the
  "coders"; an application that only one assessor scored on a criterion tells us nothing about
  agreement and is left out.
* Drift of each assessor from the moderated levels: how far, and in which direction, their levels
  sit from what the moderator settled on.

Where alpha cannot be computed or is undefined (too few applications, or no variation at all) the
result carries `alpha=None` and a sentence saying why: never NaN, never an exception. Only caller
errors raise ValueError: a scale of fewer than two levels, a level not on the scale, or one assessor
giving two different levels for the same application and criterion (pass one round at a time).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

__all__ = [
    "ALL_CRITERIA",
    "AlphaResult",
    "DriftResult",
    "Moderated",
    "Rating",
    "alpha_by_criterion",
    "assessor_drift",
    "interpretation",
    "overall_alpha",
]

# The criterion_id of overall_alpha's result (rubric criterion ids match ^[A-Z][A-Z0-9-]*$).
ALL_CRITERIA = "*"

NOT_ENOUGH_DATA = "not enough data: needs at least two applications each rated by two or more assessors"
NOT_ENOUGH_DATA_OVERALL = ("not enough data: needs at least two criterion scores (application and criterion) "
                           "each given by two or more assessors")
NO_VARIATION = "everyone gave the same level, so agreement cannot be measured"
NOT_COMPUTABLE = "agreement could not be calculated from these ratings"

# Krippendorff's guidance (K. Krippendorff, "Content Analysis: An Introduction to Its Methodology",
# 2nd ed. 2004, p. 241; repeated in "Computing Krippendorff's Alpha-Reliability", 2011): rely on
# variables with alpha >= .800; consider variables with .667 <= alpha < .800 only for drawing
# tentative conclusions; below .667 the data are not reliable enough to draw conclusions from.
GOOD_AGREEMENT = 0.8
TENTATIVE_AGREEMENT = 0.667


@dataclass(frozen=True)
class Rating:
    """One assessor's level for one criterion of one application."""

    assessor_id: int
    application_id: int
    criterion_id: str
    level: int


@dataclass(frozen=True)
class Moderated:
    """The moderator's settled level for one criterion of one application."""

    application_id: int
    criterion_id: str
    level: int


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha (ordinal) for one criterion, or for all of them pooled.

    alpha: None when it cannot be computed; `note` then says why in plain words ("" otherwise).
    units: applications (or, overall, application-criterion pairs) with at least two ratings.
    pairable_values: the ratings in those units, i.e. the ones alpha is computed from.
    """

    criterion_id: str
    alpha: float | None
    units: int
    pairable_values: int
    note: str


@dataclass(frozen=True)
class DriftResult:
    """How one assessor's levels compare with the moderated levels.

    moderated_ratings: how many of their ratings have a moderated level (the others are ignored).
    mean_absolute_distance: mean of |their level - moderated level|.
    mean_signed_difference: mean of (their level - moderated level); positive means they score
        higher than moderation (lenient), negative lower (severe).
    largest_distances: up to three (criterion_id, mean absolute distance) pairs, largest first
        (ties by criterion id), only criteria where the distance is above zero.
    """

    assessor_id: int
    moderated_ratings: int
    mean_absolute_distance: float
    mean_signed_difference: float
    largest_distances: tuple[tuple[str, float], ...]

    @property
    def criteria(self) -> tuple[str, ...]:
        """The criteria of `largest_distances`, largest distance first."""
        return tuple(criterion_id for criterion_id, _ in self.largest_distances)


def interpretation(alpha: float | None) -> str:
    """Plain words for an alpha, on Krippendorff's thresholds (see GOOD_AGREEMENT above)."""
    if alpha is None or math.isnan(alpha):
        return "not enough data yet"
    if alpha >= GOOD_AGREEMENT:
        return "good agreement"
    if alpha >= TENTATIVE_AGREEMENT:
        return "tentative agreement (enough for some conclusions)"
    return "poor agreement: assessors read this criterion differently"


def alpha_by_criterion(ratings: Iterable[Rating], scale: Sequence[int]) -> dict[str, AlphaResult]:
    """Krippendorff's alpha (ordinal) per criterion, keyed and ordered by criterion id.

    Units are applications, coders are assessors. Every criterion that has a rating gets a result.
    """
    domain = _domain(scale)
    by_criterion: dict[str, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for (assessor_id, application_id, criterion_id), level in _index_ratings(ratings, domain).items():
        by_criterion[criterion_id][application_id][assessor_id] = level
    return {criterion_id: _alpha(criterion_id, by_criterion[criterion_id], domain, NOT_ENOUGH_DATA)
            for criterion_id in sorted(by_criterion)}


def overall_alpha(ratings: Iterable[Rating], scale: Sequence[int]) -> AlphaResult:
    """Krippendorff's alpha (ordinal) with every (application, criterion) pair as a unit.

    Its criterion_id is ALL_CRITERIA.
    """
    domain = _domain(scale)
    units: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for (assessor_id, application_id, criterion_id), level in _index_ratings(ratings, domain).items():
        units[(application_id, criterion_id)][assessor_id] = level
    return _alpha(ALL_CRITERIA, units, domain, NOT_ENOUGH_DATA_OVERALL)


def assessor_drift(ratings: Iterable[Rating], moderated: Iterable[Moderated]) -> dict[int, DriftResult]:
    """Each assessor's distance from the moderated levels, keyed and ordered by assessor id.

    Ratings whose application and criterion have no moderated level are ignored; an assessor none
    of whose ratings has one does not appear.
    """
    settled: dict[tuple[int, str], int] = {}
    for item in moderated:
        key = (item.application_id, item.criterion_id)
        if settled.setdefault(key, item.level) != item.level:
            raise ValueError(f"two different moderated levels for application {item.application_id}, "
                             f"criterion {item.criterion_id!r}: pass one round at a time")

    differences: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (assessor_id, application_id, criterion_id), level in _index_ratings(ratings, None).items():
        moderated_level = settled.get((application_id, criterion_id))
        if moderated_level is not None:
            differences[assessor_id][criterion_id].append(level - moderated_level)

    results: dict[int, DriftResult] = {}
    for assessor_id in sorted(differences):
        per_criterion = differences[assessor_id]
        every = [difference for diffs in per_criterion.values() for difference in diffs]
        distances = {criterion_id: sum(abs(d) for d in diffs) / len(diffs)
                     for criterion_id, diffs in per_criterion.items()}
        largest = sorted(((criterion_id, distance) for criterion_id, distance in distances.items() if distance > 0),
                         key=lambda pair: (-pair[1], pair[0]))[:3]
        results[assessor_id] = DriftResult(
            assessor_id=assessor_id,
            moderated_ratings=len(every),
            mean_absolute_distance=sum(abs(d) for d in every) / len(every),
            mean_signed_difference=sum(every) / len(every),
            largest_distances=tuple(largest),
        )
    return results


def _domain(scale: Sequence[int]) -> list[int]:
    domain = sorted(set(scale))
    if len(domain) < 2:
        raise ValueError(f"a scale needs at least two levels, got {list(scale)!r}")
    return domain


def _index_ratings(ratings: Iterable[Rating], domain: Sequence[int] | None) -> dict[tuple[int, int, str], int]:
    """(assessor, application, criterion) -> level; repeats of the same rating count once."""
    allowed = None if domain is None else frozenset(domain)
    index: dict[tuple[int, int, str], int] = {}
    for rating in ratings:
        if allowed is not None and rating.level not in allowed:
            raise ValueError(f"level {rating.level!r} is not on the scale {sorted(allowed)!r}: {rating!r}")
        key = (rating.assessor_id, rating.application_id, rating.criterion_id)
        if index.setdefault(key, rating.level) != rating.level:
            raise ValueError(f"assessor {rating.assessor_id} gave two different levels for application "
                             f"{rating.application_id}, criterion {rating.criterion_id!r}: "
                             "pass one round at a time")
    return index


def _alpha(criterion_id: str, units: Mapping[object, Mapping[int, int]], domain: Sequence[int],
           not_enough_data: str) -> AlphaResult:
    # A unit rated by a single assessor has no pair to compare, so it contributes nothing to alpha.
    pairable = [unit for unit in units.values() if len(unit) >= 2]
    pairable_values = sum(len(unit) for unit in pairable)

    def without_alpha(note: str) -> AlphaResult:
        return AlphaResult(criterion_id, None, len(pairable), pairable_values, note)

    if len(pairable) < 2:
        return without_alpha(not_enough_data)
    if len({level for unit in pairable for level in unit.values()}) < 2:
        return without_alpha(NO_VARIATION)

    # Reliability data: one row per coder (assessor), one column per unit, NaN where not rated.
    coders = sorted({assessor_id for unit in pairable for assessor_id in unit})
    row_of = {assessor_id: row for row, assessor_id in enumerate(coders)}
    data = np.full((len(coders), len(pairable)), np.nan)
    for column, unit in enumerate(pairable):
        for assessor_id, level in unit.items():
            data[row_of[assessor_id], column] = level

    try:
        # The whole scale as value_domain: it must be ordered for ordinal distances, and levels
        # nobody used are still part of the scale. errstate: an undefined alpha (0/0) is NaN,
        # caught below, rather than a RuntimeWarning.
        with np.errstate(all="ignore"):
            value = float(krippendorff.alpha(reliability_data=data, value_domain=list(domain),
                                             level_of_measurement="ordinal"))
    except (ValueError, ArithmeticError):
        return without_alpha(NOT_COMPUTABLE)
    if not math.isfinite(value):
        return without_alpha(NOT_COMPUTABLE)
    return AlphaResult(criterion_id, value, len(pairable), pairable_values, "")
