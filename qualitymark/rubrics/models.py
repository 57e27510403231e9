"""Pydantic models for a rubric file (see criteria/README.md for the format).

The models check the *shape* of each value on its own: types, patterns, ranges.
Anything that needs to look at two places at once (a rule naming a criterion,
a level that must be on the scale, duplicate ids...) lives in
:mod:`qualitymark.rubrics.crosscheck`, so that one pass can report every
problem instead of stopping at the first.

Types are strict on purpose: a level written as ``"2"`` is probably a typo for
something else, and silently turning it into ``2`` would hide it.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic_core import PydanticCustomError

# The languages a text field may carry. English is required everywhere; Welsh
# is optional and falls back to English when missing.
LANGUAGES = ("en", "cy")
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}

SCHEME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
VERSION_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
SECTION_ID_PATTERN = r"^[A-Z][A-Z0-9]*$"
CRITERION_ID_PATTERN = r"^[A-Z][A-Z0-9-]*$"
AWARD_ID_PATTERN = r"^[a-z0-9-]+$"

# Scale levels are free integers, but must fit the canonical JSON number range
# (RFC 8785 only allows integers up to 2**53). No real scale comes near this.
LEVEL_BOUND = 1000

# Tags used inside the discriminated unions below. They show up in pydantic's
# error locations; the loader strips them out again (see UNION_TAGS), so they
# are spelled in a way no YAML key will ever be.
TAG_PLAIN_TEXT = "<text>"
TAG_LOCALISED_TEXT = "<localised-text>"
TAG_SELECTOR_KEYWORD = "<selector-keyword>"
TAG_SELECTOR_LIST = "<selector-list>"
RULE_TAG_PREFIX = "<rule:"


def rule_tag(rule_type: str) -> str:
    return f"{RULE_TAG_PREFIX}{rule_type}>"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- text

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class LocalisedText(_Strict):
    """A text in English with an optional Welsh translation."""

    en: NonEmptyStr = Field(description="English text (required).")
    cy: NonEmptyStr | None = Field(
        default=None, description="Welsh text (optional; English is shown when missing)."
    )


def _text_branch(value: Any) -> str | None:
    if isinstance(value, str):
        return TAG_PLAIN_TEXT
    if isinstance(value, (dict, LocalisedText)):
        return TAG_LOCALISED_TEXT
    return None  # pydantic then raises the custom "text_type" error below


Text = Annotated[
    Union[
        Annotated[NonEmptyStr, Tag(TAG_PLAIN_TEXT)],
        Annotated[LocalisedText, Tag(TAG_LOCALISED_TEXT)],
    ],
    Discriminator(
        _text_branch,
        custom_error_type="text_type",
        custom_error_message='expected text (or a mapping with "en" and optional "cy")',
    ),
]


def text(value: str | LocalisedText | None, lang: str = "en") -> str:
    """The string to show for ``value`` in ``lang``, falling back to English."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    translated = getattr(value, lang, None) if lang in LANGUAGES else None
    return translated or value.en


# --------------------------------------------------------------------------- scalars

Level = Annotated[int, Field(ge=-LEVEL_BOUND, le=LEVEL_BOUND)]


def _date_from_iso_text(value: Any) -> Any:
    # YAML turns an unquoted 2027-01-01 into a date already; accept the quoted
    # form too, since it obviously means the same thing.
    if isinstance(value, datetime.datetime):
        raise PydanticCustomError("date_type", "expected a date without a time")
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_type", "expected a date") from None
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_date_from_iso_text)]

Scheme = Annotated[str, StringConstraints(pattern=SCHEME_PATTERN)]
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN)]
SectionId = Annotated[str, StringConstraints(pattern=SECTION_ID_PATTERN)]
CriterionId = Annotated[str, StringConstraints(pattern=CRITERION_ID_PATTERN)]
AwardId = Annotated[str, StringConstraints(pattern=AWARD_ID_PATTERN)]

# A threshold on a weighted mean may be fractional (2.5); int is accepted too.
MeanLevel = Annotated[float, Field(ge=-LEVEL_BOUND, le=LEVEL_BOUND, allow_inf_nan=False)]


# --------------------------------------------------------------------------- structure


class Assessment(_Strict):
    assessors_per_application: int = Field(
        ge=1, le=10, description="How many assessors score each application independently."
    )
    divergence_threshold: int = Field(
        ge=1,
        description="Spread (highest minus lowest) of the assessors' levels that flags a criterion for moderation.",
    )


class ScaleLevel(_Strict):
    level: Level = Field(description="The level's number; levels increase strictly down the list.")
    name: Text = Field(description="Short name of the level, e.g. Good.")
    descriptor: Text = Field(description="What this level looks like, for every criterion.")


class Criterion(_Strict):
    id: CriterionId = Field(description="Unique across the rubric, e.g. A1.")
    title: Text
    guidance: Text = Field(description="What the criterion means and what assessors look for.")
    evidence: list[Text] = Field(min_length=1, description="The evidence expected (at least one item).")
    mandatory: bool = Field(
        default=False, description="Mandatory criteria must reach minimum_level or no award is made."
    )
    minimum_level: Level | None = Field(
        default=None, description="Required, and only allowed, when mandatory is true. Must be on the scale."
    )
    weight: float = Field(
        default=1,
        gt=0,
        le=10,
        allow_inf_nan=False,
        description="Weight in the section and overall means (default 1).",
    )
    mandatory_ref: NonEmptyStr | None = Field(
        default=None, description="For mandatory criteria: the outline's label, e.g. M1."
    )
    descriptors: dict[Level, Text] = Field(
        default_factory=dict,
        description="Criterion-specific descriptor per scale level; a level left out uses the scale's descriptor.",
        json_schema_extra={"propertyNames": {"pattern": r"^-?[0-9]+$"}},
    )


class Section(_Strict):
    id: SectionId = Field(description="Unique section id, e.g. A.")
    title: Text
    description: Text | None = None
    sources: list[Text] = Field(default_factory=list, description="Where this section's standard comes from.")
    criteria: list[Criterion] = Field(min_length=1)


# --------------------------------------------------------------------------- rules

SelectorKeyword = Literal["mandatory", "all"]


def _selector_branch(value: Any) -> str | None:
    if isinstance(value, str):
        return TAG_SELECTOR_KEYWORD
    if isinstance(value, (list, tuple)):
        return TAG_SELECTOR_LIST
    return None


def _selector(item_type: Any, keywords: Any, noun: str) -> Any:
    return Annotated[
        Union[
            Annotated[keywords, Tag(TAG_SELECTOR_KEYWORD)],
            Annotated[list[item_type], Field(min_length=1), Tag(TAG_SELECTOR_LIST)],
        ],
        Discriminator(
            _selector_branch,
            custom_error_type="selector_type",
            custom_error_message=f"expected a keyword or a list of {noun} ids",
        ),
    ]


CriteriaSelector = _selector(CriterionId, SelectorKeyword, "criterion")
SectionSelector = _selector(SectionId, Literal["all"], "section")


class CriteriaAtLeast(_Strict):
    """Each selected criterion's level is at least ``level``."""

    type: Literal["criteria_at_least"]
    criteria: CriteriaSelector = Field(description='"mandatory", "all" or a list of criterion ids.')
    level: Level | None = Field(
        default=None,
        description="A level on the scale. May be left out only with criteria: mandatory "
        "(each criterion's own minimum_level is used).",
    )


class SectionMeanAtLeast(_Strict):
    """Each selected section's weighted mean is at least ``level``."""

    type: Literal["section_mean_at_least"]
    sections: SectionSelector = Field(description='"all" or a list of section ids.')
    level: MeanLevel = Field(description="A number between the scale's lowest and highest level.")


class SectionsMeanAtLeastCount(_Strict):
    """At least ``count`` of the selected sections have a weighted mean of at least ``level``."""

    type: Literal["sections_mean_at_least_count"]
    count: int = Field(ge=1, description="How many of the selected sections must reach the level.")
    level: MeanLevel = Field(description="A number between the scale's lowest and highest level.")
    sections: SectionSelector = Field(default="all", description='"all" (default) or a list of section ids.')


class OverallMeanAtLeast(_Strict):
    """The weighted mean over all criteria is at least ``level``."""

    type: Literal["overall_mean_at_least"]
    level: MeanLevel = Field(description="A number between the scale's lowest and highest level.")


RULE_CLASSES: dict[str, type[_Strict]] = {
    "criteria_at_least": CriteriaAtLeast,
    "section_mean_at_least": SectionMeanAtLeast,
    "sections_mean_at_least_count": SectionsMeanAtLeastCount,
    "overall_mean_at_least": OverallMeanAtLeast,
}


def _rule_branch(value: Any) -> str | None:
    rule_type = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if isinstance(rule_type, str) and rule_type in RULE_CLASSES:
        return rule_tag(rule_type)
    return None


Rule = Annotated[
    Union[tuple(Annotated[cls, Tag(rule_tag(name))] for name, cls in RULE_CLASSES.items())],  # type: ignore[misc]
    Discriminator(
        _rule_branch,
        custom_error_type="rule_type",
        custom_error_message="unknown rule type",
    ),
]


class Award(_Strict):
    id: AwardId = Field(description="Unique award id, e.g. mark.")
    name: Text
    description: Text | None = None
    rules: list[Rule] = Field(min_length=1, description="All must pass (and those of every lower award).")


# --------------------------------------------------------------------------- rubric


class Rubric(_Strict):
    scheme: Scheme = Field(description="The scheme's slug; must match the folder name, e.g. care-quality-mark.")
    version: Version = Field(description="MAJOR.MINOR.PATCH; must match the file name, e.g. 1.0.0.")
    title: Text
    description: Text
    effective_date: IsoDate = Field(description="The date from which this version applies (YYYY-MM-DD).")
    validity_months: int = Field(ge=1, le=120, description="How long an award lasts.")
    renewal_window_months: int = Field(
        ge=0, description="How long before expiry renewal opens; less than validity_months."
    )
    sources: list[Text] = Field(default_factory=list, description="Where the standard comes from.")
    assessment: Assessment
    scale: list[ScaleLevel] = Field(min_length=2, description="At least two levels, strictly increasing.")
    sections: list[Section] = Field(min_length=1)
    awards: list[Award] = Field(min_length=1, description="Ordered lowest to highest.")

    def criteria(self) -> list[Criterion]:
        """Every criterion, in file order."""
        return [criterion for section in self.sections for criterion in section.criteria]

    def criteria_by_id(self) -> dict[str, Criterion]:
        return {criterion.id: criterion for criterion in self.criteria()}

    def scale_levels(self) -> tuple[int, ...]:
        return tuple(entry.level for entry in self.scale)

    def level_descriptor(self, criterion_id: str, level: int) -> str | LocalisedText:
        """What ``level`` means for a criterion: its own descriptor, else the scale's."""
        criterion = self.criteria_by_id()[criterion_id]
        if level in criterion.descriptors:
            return criterion.descriptors[level]
        for entry in self.scale:
            if entry.level == level:
                return entry.descriptor
        raise ValueError(f"level {level} is not on the scale {self.scale_levels()}")


# Keys each kind of mapping accepts, for "did you mean" suggestions.
def allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


UNION_TAGS = frozenset(
    {TAG_PLAIN_TEXT, TAG_LOCALISED_TEXT, TAG_SELECTOR_KEYWORD, TAG_SELECTOR_LIST}
    | {rule_tag(name) for name in RULE_CLASSES}
)
