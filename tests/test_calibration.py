"""Assessor calibration: Krippendorff's alpha per criterion and drift from moderation (pure unit tests)."""
from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitymark.calibration import (
    ALL_CRITERIA,
    NO_VARIATION,
    NOT_ENOUGH_DATA,
    NOT_ENOUGH_DATA_OVERALL,
    AlphaResult,
    DriftResult,
    Moderated,
    Rating,
    alpha_by_criterion,
    assessor_drift,
    interpretation,
    overall_alpha,
)

SCALE = [0, 1, 2, 3, 4]
POOR = "poor agreement: assessors read this criterion differently"

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the worked example with missing
# values: 4 observers (rows) x 12 units (columns), values 1..5, None where an observer gave none.
# Published results: alpha nominal 0.743, ordinal 0.815, interval 0.849. The same matrix is the
# example in the `krippendorff` package's own docstring (ordinal 0.815, nominal 0.743).
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def ratings_from_matrix(matrix, criterion_id="A1", first_application=1):
    """Rows are assessors 1.., columns applications first_application..; None is "not rated"."""
    return [Rating(assessor_id=row + 1, application_id=first_application + column, criterion_id=criterion_id,
                   level=level)
            for row, levels in enumerate(matrix)
            for column, level in enumerate(levels)
            if level is not None]


def test_the_transcribed_example_gives_krippendorffs_published_values():
    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011], dtype=float)
    for level, published in (("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)):
        computed = krippendorff.alpha(reliability_data=data, value_domain=[1, 2, 3, 4, 5], level_of_measurement=level)
        assert computed == pytest.approx(published, abs=0.001), level


def test_krippendorffs_worked_example_through_ratings():
    results = alpha_by_criterion(ratings_from_matrix(KRIPPENDORFF_2011), scale=[1, 2, 3, 4, 5])

    result = results["A1"]
    assert result.alpha == pytest.approx(0.815, abs=0.001)
    # Unit 12 has one value only: it is not pairable. Krippendorff's n.. is 40.
    assert (result.units, result.pairable_values, result.note) == (11, 40, "")
    assert interpretation(result.alpha) == "good agreement"


def test_the_whole_scale_is_accepted_even_where_some_levels_went_unused():
    # Levels 0 and 6 are on the scale but nobody used them; the coefficient is unchanged.
    wider = alpha_by_criterion(ratings_from_matrix(KRIPPENDORFF_2011), scale=range(7))["A1"]
    assert wider.alpha == pytest.approx(0.815, abs=0.001)


def test_overall_pools_application_criterion_pairs():
    # The example split into two criteria over the same applications: still 11 pairable units.
    left = [row[:6] for row in KRIPPENDORFF_2011]
    right = [row[6:] for row in KRIPPENDORFF_2011]
    ratings = ratings_from_matrix(left, "A1") + ratings_from_matrix(right, "B2", first_application=1)

    overall = overall_alpha(ratings, [1, 2, 3, 4, 5])

    assert overall.criterion_id == ALL_CRITERIA
    assert overall.alpha == pytest.approx(0.815, abs=0.001)
    assert (overall.units, overall.pairable_values) == (11, 40)
    per_criterion = alpha_by_criterion(ratings, [1, 2, 3, 4, 5])
    assert list(per_criterion) == ["A1", "B2"]
    assert sum(result.units for result in per_criterion.values()) == 11


def test_perfect_agreement_is_one():
    ratings = ratings_from_matrix([[0, 1, 2, 4], [0, 1, 2, 4], [0, 1, None, 4]])

    result = alpha_by_criterion(ratings, SCALE)["A1"]

    assert result == AlphaResult("A1", 1.0, units=4, pairable_values=11, note="")
    assert interpretation(result.alpha) == "good agreement"
    assert overall_alpha(ratings, SCALE).alpha == 1.0


def test_systematic_disagreement_is_poor():
    # One assessor's order is the reverse of the other's.
    ratings = ratings_from_matrix([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])

    result = alpha_by_criterion(ratings, SCALE)["A1"]

    assert result.alpha is not None and result.alpha < 0.667
    assert interpretation(result.alpha) == POOR


def test_a_criterion_with_one_application_has_no_alpha():
    ratings = ratings_from_matrix([[1], [3], [4]], "A1") + ratings_from_matrix([[0, 1], [0, 2]], "B2")

    results = alpha_by_criterion(ratings, SCALE)

    assert results["A1"] == AlphaResult("A1", None, units=1, pairable_values=3, note=NOT_ENOUGH_DATA)
    assert NOT_ENOUGH_DATA == "not enough data: needs at least two applications each rated by two or more assessors"
    assert interpretation(results["A1"].alpha) == "not enough data yet"
    assert results["B2"].alpha is not None


def test_applications_rated_by_one_assessor_each_give_no_alpha():
    ratings = ratings_from_matrix([[0, 1, None, None], [None, None, 3, 4]])

    result = alpha_by_criterion(ratings, SCALE)["A1"]

    assert (result.alpha, result.units, result.pairable_values, result.note) == (None, 0, 0, NOT_ENOUGH_DATA)
    assert overall_alpha(ratings, SCALE).note == NOT_ENOUGH_DATA_OVERALL
    assert overall_alpha([], SCALE).alpha is None
    assert alpha_by_criterion([], SCALE) == {}


def test_all_identical_levels_give_no_alpha_rather_than_nan():
    # The third application, rated by one assessor only, does not count as variation.
    ratings = ratings_from_matrix([[2, 2, 4], [2, 2, None], [None, 2, None]])

    result = alpha_by_criterion(ratings, SCALE)["A1"]

    assert result == AlphaResult("A1", None, units=2, pairable_values=5, note=NO_VARIATION)
    assert NO_VARIATION == "everyone gave the same level, so agreement cannot be measured"
    assert overall_alpha(ratings, SCALE).note == NO_VARIATION


def test_the_package_itself_cannot_measure_uniform_levels():
    # Why the check above exists: the package divides 0 by 0 (NaN, and a RuntimeWarning).
    with np.errstate(all="ignore"):
        assert math.isnan(krippendorff.alpha(reliability_data=[[2, 2], [2, 2]], value_domain=SCALE,
                                             level_of_measurement="ordinal"))


def test_a_level_off_the_scale_is_refused():
    with pytest.raises(ValueError, match="not on the scale"):
        alpha_by_criterion(ratings_from_matrix([[0, 5], [0, 4]]), SCALE)
    with pytest.raises(ValueError, match="at least two levels"):
        overall_alpha(ratings_from_matrix([[1, 1], [1, 1]]), [1])


def test_an_assessor_rating_the_same_thing_twice():
    ratings = ratings_from_matrix([[0, 1, 2], [0, 1, 2]])
    # The same rating repeated counts once...
    assert alpha_by_criterion(ratings + ratings[:2], SCALE)["A1"].pairable_values == 6
    # ...two different levels are two rounds mixed up.
    with pytest.raises(ValueError, match="two different levels"):
        alpha_by_criterion(ratings + [Rating(1, 1, "A1", 3)], SCALE)


@pytest.mark.parametrize(("alpha", "words"), [
    (1.0, "good agreement"),
    (0.8, "good agreement"),
    (0.79, "tentative agreement (enough for some conclusions)"),
    (0.667, "tentative agreement (enough for some conclusions)"),
    (0.666, POOR),
    (-0.5, POOR),
    (None, "not enough data yet"),
])
def test_interpretation(alpha, words):
    assert interpretation(alpha) == words


CRITERIA = ["A1", "B2", "C3"]


def test_drift_of_a_lenient_and_an_exact_assessor():
    moderated = [Moderated(application_id, criterion_id, level)
                 for application_id, levels in ((10, (2, 3, 1)), (11, (0, 2, 3)))
                 for criterion_id, level in zip(CRITERIA, levels)]
    exact = [Rating(2, m.application_id, m.criterion_id, m.level) for m in moderated]
    lenient = [Rating(1, m.application_id, m.criterion_id, m.level + 1) for m in moderated]
    # Application 12 has no moderated levels yet: these wild ratings are ignored.
    unmoderated = [Rating(assessor_id, 12, criterion_id, 4 if assessor_id == 1 else 0)
                   for assessor_id in (1, 2) for criterion_id in CRITERIA]
    # Assessor 3 only rated the unmoderated application.
    unmoderated.append(Rating(3, 12, "A1", 2))

    drift = assessor_drift(lenient + exact + unmoderated, moderated)

    assert drift == {
        1: DriftResult(1, moderated_ratings=6, mean_absolute_distance=1.0, mean_signed_difference=1.0,
                       largest_distances=(("A1", 1.0), ("B2", 1.0), ("C3", 1.0))),
        2: DriftResult(2, moderated_ratings=6, mean_absolute_distance=0.0, mean_signed_difference=0.0,
                       largest_distances=()),
    }
    assert drift[1].criteria == ("A1", "B2", "C3")


def test_drift_names_the_three_criteria_furthest_from_moderation():
    moderated = [Moderated(application_id, criterion_id, 2)
                 for application_id in (1, 2) for criterion_id in ("A1", "B2", "C3", "D4", "E5")]
    # Differences per criterion over the two applications: A1 0,0  B2 -1,-1  C3 +2,0  D4 -2,-2  E5 +1,-1
    levels = {"A1": (2, 2), "B2": (1, 1), "C3": (4, 2), "D4": (0, 0), "E5": (3, 1)}
    ratings = [Rating(7, application_id, criterion_id, pair[application_id - 1])
               for criterion_id, pair in levels.items() for application_id in (1, 2)]

    result = assessor_drift(ratings, moderated)[7]

    assert result.moderated_ratings == 10
    assert result.mean_absolute_distance == pytest.approx(10 / 10)
    assert result.mean_signed_difference == pytest.approx(-4 / 10)  # a little severe
    assert result.largest_distances == (("D4", 2.0), ("B2", 1.0), ("C3", 1.0))


def test_drift_with_no_moderation_is_empty():
    assert assessor_drift(ratings_from_matrix([[1, 2], [2, 3]]), []) == {}
    with pytest.raises(ValueError, match="two different moderated levels"):
        assessor_drift([], [Moderated(1, "A1", 2), Moderated(1, "A1", 3)])


# Each (assessor, application, criterion) is rated at most once, on a scale of at least two levels.
scales = st.lists(st.integers(-3, 8), min_size=2, max_size=6, unique=True)


@st.composite
def scale_and_ratings(draw):
    scale = draw(scales)
    # Every (assessor, application, criterion) is rated or not: sparse and dense data both come up.
    keys = [(a, p, c) for a in range(1, 5) for p in range(1, 5) for c in CRITERIA]
    levels = draw(st.lists(st.none() | st.sampled_from(scale), min_size=len(keys), max_size=len(keys)))
    return scale, [Rating(a, p, c, level) for (a, p, c), level in zip(keys, levels) if level is not None]


def assert_sound(result: AlphaResult):
    assert not any(isinstance(v, float) and math.isnan(v) for v in vars(result).values())
    assert result.units >= 0 and result.pairable_values >= 2 * result.units
    if result.alpha is None:
        assert result.note
    else:
        assert type(result.alpha) is float
        assert math.isfinite(result.alpha) and result.alpha <= 1.0
        assert result.note == "" and result.units >= 2


@given(scale_and_ratings())
def test_alpha_is_at_most_one_and_never_nan(drawn):
    scale, ratings = drawn
    results = alpha_by_criterion(ratings, scale)
    assert set(results) == {rating.criterion_id for rating in ratings}
    for result in results.values():
        assert_sound(result)
    assert_sound(overall_alpha(ratings, scale))


@given(scale_and_ratings(),
       st.dictionaries(st.tuples(st.integers(1, 6), st.sampled_from(CRITERIA)), st.integers(-3, 8)))
def test_drift_distance_is_at_least_the_signed_difference(drawn, settled):
    _, ratings = drawn
    moderated = [Moderated(application_id, criterion_id, level)
                 for (application_id, criterion_id), level in settled.items()]

    drift = assessor_drift(ratings, moderated)

    for assessor_id, result in drift.items():
        assert result.assessor_id == assessor_id
        assert result.moderated_ratings == sum(
            (r.application_id, r.criterion_id) in settled for r in ratings if r.assessor_id == assessor_id)
        assert result.mean_absolute_distance >= abs(result.mean_signed_difference)
        assert len(result.largest_distances) <= 3
        assert all(distance > 0 for _, distance in result.largest_distances)
        distances = [distance for _, distance in result.largest_distances]
        assert distances == sorted(distances, reverse=True)
