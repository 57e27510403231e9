"""Turn pydantic's validation errors into messages a rubric author can act on.

Pydantic says ``sections.2.criteria.0.minimum_level: Input should be a valid
integer``; an author needs ``minimum_level in criterion C1: expected a whole
number, got "two"`` at the right line. This module does the wording; the loader
does the line numbers (from the returned path).
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .models import (
    LANGUAGE_NAMES,
    LANGUAGES,
    RULE_CLASSES,
    TAG_LOCALISED_TEXT,
    UNION_TAGS,
    Assessment,
    Award,
    Criterion,
    Rubric,
    ScaleLevel,
    Section,
)

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Translated:
    path: Path
    message: str
    anchor: str = "value"  # "value", "key" (the key's node) or "parent" (the enclosing mapping)
    # For a misspelt key: the path of the key we suggest instead. The loader
    # then drops the "missing key" error for that path, which says the same.
    suggested_path: Path | None = None
    missing_path: Path | None = None


# ----------------------------------------------------------------- describing values


def describe_value(value: Any) -> str:
    """How to show what the author wrote, in YAML terms."""
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime.datetime):
        return f"the date and time {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, Mapping):
        return "a mapping (key: value lines)"
    if isinstance(value, Sequence):
        return "a list"
    return repr(value)


def did_you_mean(word: Any, candidates: Sequence[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _quote_list(words: Sequence[str]) -> str:
    return ", ".join(f'"{word}"' for word in words)


# ----------------------------------------------------------------- where is it?


@dataclass(frozen=True)
class _Owner:
    kind: str  # "rubric", "assessment", "scale", "section", "criterion", "award", "rule"
    name: str  # e.g. "criterion A1"; "" for the top level
    length: int  # how many path elements name the owner
    data: Mapping[str, Any]


def _get(data: Any, key: Any) -> Any:
    if isinstance(data, Mapping):
        return data.get(key)
    if isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
        return data[key]
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id_of(item: Any) -> str | None:
    value = _get(item, "id")
    return value if isinstance(value, str) and value else None


def find_owner(path: Path, data: Any) -> _Owner:
    """The innermost rubric part (criterion, section, rule...) that ``path`` is in."""
    def is_index(position: int) -> bool:
        return len(path) > position and isinstance(path[position], int)

    first = path[0] if path else None
    if first == "sections" and is_index(1):
        section = _get(_get(data, "sections"), path[1])
        section_name = f"section {_id_of(section) or path[1] + 1}"
        if len(path) > 2 and path[2] == "criteria" and is_index(3):
            criterion = _get(_get(section, "criteria"), path[3])
            criterion_id = _id_of(criterion)
            name = f"criterion {criterion_id}" if criterion_id else f"criterion {path[3] + 1} of {section_name}"
            return _Owner("criterion", name, 4, _mapping(criterion))
        return _Owner("section", section_name, 2, _mapping(section))
    if first == "awards" and is_index(1):
        award = _get(_get(data, "awards"), path[1])
        award_id = _id_of(award)
        award_name = f'award "{award_id}"' if award_id else f"award {path[1] + 1}"
        if len(path) > 2 and path[2] == "rules" and is_index(3):
            rule = _get(_get(award, "rules"), path[3])
            return _Owner("rule", f"rule {path[3] + 1} of {award_name}", 4, _mapping(rule))
        return _Owner("award", award_name, 2, _mapping(award))
    if first == "scale" and is_index(1):
        entry = _get(_get(data, "scale"), path[1])
        level = _get(entry, "level")
        readable = isinstance(level, int) and not isinstance(level, bool)
        # When the level itself is wrong, naming the entry by it would confuse.
        about_level = len(path) > 2 and path[2] == "level"
        name = f"scale level {level}" if readable and not about_level else f"scale entry {path[1] + 1}"
        return _Owner("scale", name, 2, _mapping(entry))
    if first == "assessment":
        return _Owner("assessment", "assessment", 1, _mapping(_get(data, "assessment")))
    return _Owner("rubric", "", 0, _mapping(data))


def _owner_model(owner: _Owner) -> type[BaseModel] | None:
    if owner.kind == "rule":
        rule_type = owner.data.get("type")
        return RULE_CLASSES.get(rule_type) if isinstance(rule_type, str) else None
    return {
        "rubric": Rubric,
        "assessment": Assessment,
        "scale": ScaleLevel,
        "section": Section,
        "criterion": Criterion,
        "award": Award,
    }[owner.kind]


def field_label(parts: Path) -> str:
    """``("evidence", 1)`` -> "evidence item 2"; ``("title", "cy")`` -> "Welsh title"."""
    label = ""
    language = ""
    for index, part in enumerate(parts):
        if isinstance(part, int) and label == "descriptors":
            label = f"descriptor for level {part}"
        elif isinstance(part, int):
            label = f"{label} item {part + 1}" if label else f"item {part + 1}"
        elif part in LANGUAGES and index == len(parts) - 1 and label:
            language = LANGUAGE_NAMES[part]
        else:
            label = f"{label}.{part}" if label else str(part)
    return f"{language} {label}" if language else label


def _subject(field: str, owner: _Owner) -> str:
    """ "minimum_level of criterion A1", "validity_months", "criterion A1"."""
    if field and owner.name:
        return f"{field} of {owner.name}"
    return field or owner.name or "the rubric"


# ----------------------------------------------------------------- translation


_PATTERN_HINTS = {
    "version": "must be MAJOR.MINOR.PATCH (e.g. 1.0.0)",
    "scheme": "must be lowercase letters and digits joined by single hyphens (e.g. care-quality-mark)",
    ("section", "id"): "must be a capital letter followed by capitals or digits (e.g. A or B2)",
    ("criterion", "id"): "must be a capital letter followed by capitals, digits or hyphens (e.g. A1)",
    ("award", "id"): "must be lowercase letters, digits and hyphens (e.g. mark)",
    ("rule", "criteria"): "must be a criterion id: a capital letter followed by capitals, digits or hyphens (e.g. A1)",
    ("rule", "sections"): "must be a section id: a capital letter followed by capitals or digits (e.g. A)",
}

_TYPE_MESSAGES = {
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected an ordinary number",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list (lines starting with \"- \")",
    "tuple_type": "expected a list (lines starting with \"- \")",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "date_type": "expected a date like 2027-01-01",
    "date_parsing": "expected a date like 2027-01-01",
    "date_from_datetime_inexact": "expected a date without a time",
    "text_type": 'expected text (or a mapping with "en" and optional "cy")',
}

_BOUNDS = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def translate_error(error: Mapping[str, Any], data: Any) -> Translated:
    """One pydantic error (from ``ValidationError.errors()``) as a located, worded message."""
    raw_loc: Path = tuple(error["loc"])
    is_key = bool(raw_loc) and raw_loc[-1] == "[key]"
    in_localised_text = TAG_LOCALISED_TEXT in raw_loc
    path = tuple(part for part in raw_loc if part not in UNION_TAGS and part != "[key]")
    error_type = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}

    if error_type == "extra_forbidden":
        return _unknown_key(path, data, in_localised_text)
    if error_type == "missing":
        return _missing_key(path, data, in_localised_text)
    if error_type == "rule_type":
        return _bad_rule_type(path, data, value)

    owner = find_owner(path, data)
    parts = path[owner.length:]
    if is_key:
        key = parts[-1] if parts else value
        subject = _subject(field_label(parts[:-1]), owner)
        if error_type in ("int_type", "int_parsing"):
            return Translated(path, f"{subject}: levels must be whole numbers, got {describe_value(key)}", "key")
        problem = _problem(error_type, error, context)
        return Translated(path, f"{subject}: level {describe_value(key)}: {problem}", "key")

    subject = _subject(field_label(parts), owner)
    last = parts[-1] if parts else None

    if error_type in ("too_short", "string_too_short"):
        return Translated(path, _too_short(path, owner, parts, value, subject))
    if error_type == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(last) if owner.kind == "rubric" else None
        key = last if isinstance(last, str) else (parts[0] if parts else None)
        hint = hint or _PATTERN_HINTS.get((owner.kind, key), "does not have the expected form")
        if owner.kind == "rubric":
            return Translated(path, f"{subject} {hint}, got {describe_value(value)}")
        return Translated(path, f"{subject}: {hint}, got {describe_value(value)}")
    if error_type == "selector_type":
        return Translated(path, f"{subject}: {_selector_expectation(last)}, got {describe_value(value)}")
    if error_type == "literal_error":
        expected = ["mandatory", "all"] if last == "criteria" else ["all"]
        message = f"{subject}: {_selector_expectation(last)}, got {describe_value(value)}"
        suggestion = did_you_mean(value, expected)
        if suggestion:
            message += f' — did you mean "{suggestion}"?'
        return Translated(path, message)
    message = f"{subject}: {_problem(error_type, error, context)}, got {describe_value(value)}"
    if error_type in ("string_type", "text_type") and isinstance(value, (bool, int, float, datetime.date)):
        # YAML read the author's text as something else (yes -> true, 1.10 -> 1.1).
        message += " — put the text in quotes"
    return Translated(path, message)


def _problem(error_type: str, error: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    if error_type in _BOUNDS:
        return _BOUNDS[error_type].format(**{k: _number(v) for k, v in context.items()})
    if error_type == "date_type" and "without a time" in error.get("msg", ""):
        return "expected a date without a time"
    if error_type in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[error_type]
    return str(error.get("msg", "is not valid")).rstrip(".")


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _selector_expectation(field: Any) -> str:
    if field == "criteria":
        return 'expected "mandatory", "all" or a list of criterion ids'
    return 'expected "all" or a list of section ids'


def _unknown_key(path: Path, data: Any, in_localised_text: bool) -> Translated:
    key = path[-1]
    parent = path[:-1]
    owner = find_owner(parent, data)
    if in_localised_text:
        subject = _subject(field_label(parent[owner.length:]), owner)
        message = (
            f'unknown language "{key}" in {subject} — only "en" (English) and "cy" (Welsh) are allowed'
        )
        suggestion = did_you_mean(key, LANGUAGES)
        if suggestion:
            message += f'; did you mean "{suggestion}"?'
        return Translated(path, message, "key")

    where = f"in {owner.name}" if owner.name else "at the top level"
    model = _owner_model(owner)
    allowed = list(model.model_fields) if model else []
    present = set(owner.data) if isinstance(owner.data, Mapping) else set()
    candidates = [name for name in allowed if name not in present]
    suggestion = did_you_mean(key, candidates)
    message = f'unknown key "{key}" {where}'
    if suggestion:
        message += f' — did you mean "{suggestion}"?'
        return Translated(path, message, "key", suggested_path=(*parent, suggestion))
    elif owner.kind == "rule" and model is not None:
        message += f' — a {owner.data.get("type")} rule takes only: {", ".join(allowed)}'
    elif allowed:
        message += f" — the keys allowed here are: {', '.join(allowed)}"
    return Translated(path, message, "key")


def _missing_key(path: Path, data: Any, in_localised_text: bool) -> Translated:
    key = path[-1]
    parent = path[:-1]
    owner = find_owner(parent, data)
    if in_localised_text:
        subject = _subject(field_label(parent[owner.length:]), owner)
        return Translated(path, f'{subject} has no English text — add "en: ..." (English is required)', "parent")
    where = f"in {owner.name}" if owner.name else "at the top level"
    if owner.kind == "rule" and not parent[owner.length:]:
        where = f"in {owner.name} ({owner.data.get('type')})"
    field_part = field_label(parent[owner.length:])
    if field_part:
        where = f"in {field_part} of {owner.name}" if owner.name else f"in {field_part}"
    return Translated(path, f'missing key "{key}" {where}', "parent", missing_path=path)


def _bad_rule_type(path: Path, data: Any, value: Any) -> Translated:
    owner = find_owner(path, data)
    known = list(RULE_CLASSES)
    if not isinstance(value, Mapping):
        return Translated(
            path, f'{owner.name}: expected a rule (a mapping with a "type"), got {describe_value(value)}'
        )
    rule_type = value.get("type")
    if rule_type is None:
        return Translated(
            path, f'{owner.name} has no "type" — use one of: {", ".join(known)}', "value"
        )
    message = f"unknown rule type {describe_value(rule_type)} in {owner.name}"
    suggestion = did_you_mean(rule_type, known) if isinstance(rule_type, str) else None
    if suggestion:
        message += f' — did you mean "{suggestion}"?'
    else:
        message += f" — use one of: {', '.join(known)}"
    return Translated((*path, "type"), message)


def _too_short(path: Path, owner: _Owner, parts: Path, value: Any, subject: str) -> str:
    if isinstance(value, str):
        return f"{subject} is empty — write the text, or remove the key if it is optional"
    field = parts[-1] if parts else None
    if owner.kind == "section" and field == "criteria":
        section_id = _id_of(owner.data)
        name = f'section "{section_id}"' if section_id else owner.name
        return f"{name} has no criteria"
    if owner.kind == "criterion" and field == "evidence":
        return f"{owner.name} lists no evidence — give at least one item"
    if owner.kind == "award" and field == "rules":
        return f"{owner.name} has no rules"
    if owner.kind == "rubric" and field == "scale":
        return f"the scale needs at least 2 levels, got {len(value) if isinstance(value, list) else 0}"
    if owner.kind == "rubric" and field in ("sections", "awards"):
        return f"the rubric has no {field}"
    return f"{subject} is an empty list"
