"""The rubric core: models, loading and validation, scoring and diffs.

Plain functions on plain data — no web framework, no database — so the web
app, the CLI and the tests all share one implementation.
"""

from .canonical import canonical_json, content_hash, rubric_from_canonical_json
from .crosscheck import Issue, cross_check
from .diff import CriterionChange, FieldChange, ItemChange, RubricDiff, diff_rubrics
from .loader import LoadResult, Problem, load_rubric, load_rubric_text, validate_paths
from .models import (
    Assessment,
    Award,
    Criterion,
    LocalisedText,
    Rubric,
    ScaleLevel,
    Section,
    Text,
    text,
)
from .schema import rubric_json_schema
from .scoring import (
    AwardOutcome,
    GateResult,
    MandatoryFailure,
    RuleResult,
    Scorer,
    SectionResult,
    Verdict,
    score,
)
from .translation import Coverage, translation_coverage


__all__ = [
    "Assessment",
    "Award",
    "AwardOutcome",
    "Coverage",
    "Criterion",
    "CriterionChange",
    "FieldChange",
    "GateResult",
    "Issue",
    "ItemChange",
    "LoadResult",
    "LocalisedText",
    "MandatoryFailure",
    "Problem",
    "Rubric",
    "RubricDiff",
    "RuleResult",
    "ScaleLevel",
    "Scorer",
    "Section",
    "SectionResult",
    "Text",
    "Verdict",
    "canonical_json",
    "content_hash",
    "cross_check",
    "diff_rubrics",
    "load_rubric",
    "load_rubric_text",
    "rubric_from_canonical_json",
    "rubric_json_schema",
    "score",
    "text",
    "translation_coverage",
    "validate_paths",
]
