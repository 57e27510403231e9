"""Checks that need to look at more than one place in a rubric.

Each check yields an :class:`Issue` with the *path* of the offending value
(e.g. ``("sections", 1, "criteria", 0, "minimum_level")``); the loader turns
paths into line:column. Every problem is reported, never just the first.

The checks run on plain data — the mapping read from YAML, or a validated
:class:`~qualitymark.rubrics.models.Rubric` dumped to a dict — and are
deliberately forgiving about shapes: a value of the wrong type is skipped here,
because the model validation already reports it. That lets the loader report
shape errors and cross-reference errors from the same file in one go.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .models import CRITERION_ID_PATTERN, LEVEL_BOUND, SECTION_ID_PATTERN, Rubric

# Ids that are malformed are reported by the model validation; asking whether
# they exist as well would only repeat the problem.
_CRITERION_ID = re.compile(CRITERION_ID_PATTERN)
_SECTION_ID = re.compile(SECTION_ID_PATTERN)

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Issue:
    path: Path
    message: str
    # "key" points at the mapping key (e.g. a descriptor level), "value" at the value.
    anchor: str = "value"
    # For duplicates: where the first occurrence is, so the message can say so.
    first_path: Path | None = None

    def __str__(self) -> str:
        where = format_path(self.path) or "top level"
        first = f" (first at {format_path(self.first_path)})" if self.first_path is not None else ""
        return f"{where}: {self.message}{first}"


def format_path(path: Path | None) -> str:
    """``("sections", 1, "id")`` -> ``sections[1].id``."""
    out = ""
    for part in path or ():
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A usable number; inf, nan and huge values are reported by the model validation."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= LEVEL_BOUND
    )


def _is_unknown_id(value: Any, pattern: re.Pattern[str], known: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and bool(pattern.match(value)) and value not in known


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def format_levels(levels: tuple[int, ...] | list[int]) -> str:
    return "(" + ", ".join(str(level) for level in levels) + ")"


def format_number(value: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5" (people write levels as whole numbers)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def cross_check(rubric: Rubric | Mapping[str, Any]) -> Iterator[Issue]:
    """Yield every cross-reference problem in ``rubric``."""
    data = rubric.model_dump() if isinstance(rubric, Rubric) else _dict(rubric)
    yield from _check_validity(data)
    scale = yield from _check_scale(data)
    section_ids, criterion_ids, mandatory_ids = yield from _check_sections(data, scale)
    yield from _check_awards(data, scale, section_ids, criterion_ids, mandatory_ids)


def _check_validity(data: Mapping[str, Any]) -> Iterator[Issue]:
    validity = data.get("validity_months")
    window = data.get("renewal_window_months")
    if _is_int(validity) and _is_int(window) and window >= validity:
        yield Issue(
            ("renewal_window_months",),
            f"renewal_window_months ({window}) must be less than validity_months ({validity}): "
            "renewal opens that many months before the award expires",
        )


def _check_scale(data: Mapping[str, Any]) -> Iterator[Issue]:
    """Check the scale is strictly increasing; return its levels, or None when unusable."""
    entries = _list(data.get("scale"))
    levels: list[int] = []
    usable = bool(entries)
    for index, entry in enumerate(entries):
        level = _dict(entry).get("level")
        if not _is_int(level) or abs(level) > LEVEL_BOUND:
            usable = False  # reported by the model validation
            continue
        if levels and level <= levels[-1]:
            if level in levels:
                yield Issue(
                    ("scale", index, "level"),
                    f"scale level {level} is listed twice",
                    first_path=("scale", _index_of_level(entries, level), "level"),
                )
            else:
                yield Issue(
                    ("scale", index, "level"),
                    f"scale levels must increase down the list: level {level} comes after level {levels[-1]}",
                )
            usable = False
        levels.append(level)
    # Level checks elsewhere only make sense against a scale we could read.
    return tuple(sorted(set(levels))) if usable and len(levels) >= 2 else None


def _index_of_level(entries: list[Any], level: int) -> int:
    return next(i for i, entry in enumerate(entries) if _dict(entry).get("level") == level)


def _not_on_scale(level: int, scale: tuple[int, ...]) -> str:
    return f"level {level} is not on the scale {format_levels(scale)}"


def _check_sections(
    data: Mapping[str, Any], scale: tuple[int, ...] | None
) -> Iterator[Issue]:
    section_ids: dict[str, Path] = {}
    criterion_ids: dict[str, Path] = {}
    mandatory_ids: list[str] = []
    for s_index, section in enumerate(_list(data.get("sections"))):
        section = _dict(section)
        section_id = section.get("id")
        section_path: Path = ("sections", s_index)
        if isinstance(section_id, str):
            if section_id in section_ids:
                yield Issue(
                    (*section_path, "id"),
                    f'section id "{section_id}" is used twice',
                    first_path=section_ids[section_id],
                )
            else:
                section_ids[section_id] = (*section_path, "id")
        for c_index, criterion in enumerate(_list(section.get("criteria"))):
            criterion_path: Path = (*section_path, "criteria", c_index)
            criterion = _dict(criterion)
            criterion_id = criterion.get("id")
            if isinstance(criterion_id, str):
                if criterion_id in criterion_ids:
                    yield Issue(
                        (*criterion_path, "id"),
                        f'criterion id "{criterion_id}" is used twice',
                        first_path=criterion_ids[criterion_id],
                    )
                else:
                    criterion_ids[criterion_id] = (*criterion_path, "id")
            name = f"criterion {criterion_id}" if isinstance(criterion_id, str) else f"criterion {c_index + 1}"
            if criterion.get("mandatory") is True and isinstance(criterion_id, str):
                mandatory_ids.append(criterion_id)
            yield from _check_criterion(criterion, criterion_path, name, scale)
    return section_ids, criterion_ids, mandatory_ids


def _check_criterion(
    criterion: Mapping[str, Any], path: Path, name: str, scale: tuple[int, ...] | None
) -> Iterator[Issue]:
    mandatory = criterion.get("mandatory", False)
    minimum = criterion.get("minimum_level")
    if mandatory is True and minimum is None:
        yield Issue(
            (*path, "mandatory"),
            f"{name} is mandatory but has no minimum_level — add one, e.g. \"minimum_level: 2\"",
        )
    if mandatory is False and minimum is not None:
        yield Issue(
            (*path, "minimum_level"),
            f'{name} has a minimum_level but is not mandatory — remove minimum_level or set "mandatory: true"',
            anchor="key",
        )
    if mandatory is False and criterion.get("mandatory_ref") is not None:
        yield Issue(
            (*path, "mandatory_ref"),
            f'{name} has a mandatory_ref but is not mandatory — remove mandatory_ref or set "mandatory: true"',
            anchor="key",
        )
    if scale is None:
        return
    if _is_int(minimum) and minimum not in scale:
        yield Issue((*path, "minimum_level"), f"minimum_level of {name}: {_not_on_scale(minimum, scale)}")
    for level in _dict(criterion.get("descriptors")):
        if _is_int(level) and level not in scale:
            yield Issue(
                (*path, "descriptors", level),
                f"descriptors of {name}: {_not_on_scale(level, scale)}",
                anchor="key",
            )


def _check_awards(
    data: Mapping[str, Any],
    scale: tuple[int, ...] | None,
    section_ids: dict[str, Path],
    criterion_ids: dict[str, Path],
    mandatory_ids: list[str],
) -> Iterator[Issue]:
    award_ids: dict[str, Path] = {}
    for a_index, award in enumerate(_list(data.get("awards"))):
        award = _dict(award)
        award_id = award.get("id")
        award_path: Path = ("awards", a_index)
        if isinstance(award_id, str):
            if award_id in award_ids:
                yield Issue(
                    (*award_path, "id"), f'award id "{award_id}" is used twice', first_path=award_ids[award_id]
                )
            else:
                award_ids[award_id] = (*award_path, "id")
        award_name = f'award "{award_id}"' if isinstance(award_id, str) else f"award {a_index + 1}"
        for r_index, rule in enumerate(_list(award.get("rules"))):
            where = f"rule {r_index + 1} of {award_name}"
            yield from _check_rule(
                _dict(rule), (*award_path, "rules", r_index), where, scale, section_ids, criterion_ids, mandatory_ids
            )


def _check_rule(
    rule: Mapping[str, Any],
    path: Path,
    where: str,
    scale: tuple[int, ...] | None,
    section_ids: dict[str, Path],
    criterion_ids: dict[str, Path],
    mandatory_ids: list[str],
) -> Iterator[Issue]:
    rule_type = rule.get("type")
    level = rule.get("level")

    if rule_type == "criteria_at_least":
        selector = rule.get("criteria")
        if isinstance(selector, list):
            for index, criterion_id in enumerate(selector):
                if _is_unknown_id(criterion_id, _CRITERION_ID, criterion_ids):
                    yield Issue(
                        (*path, "criteria", index),
                        f'rule names criterion "{criterion_id}", which does not exist ({where})',
                    )
        if selector == "mandatory" and not mandatory_ids:
            yield Issue(
                (*path, "criteria"),
                f'{where}: the rule checks the mandatory criteria, but no criterion is mandatory',
            )
        if level is None and (selector == "all" or isinstance(selector, list)):
            yield Issue(
                path,
                f'{where}: a "level" is needed unless criteria is "mandatory" '
                "(which uses each criterion's own minimum_level)",
            )
        if scale is not None and _is_int(level) and level not in scale:
            yield Issue((*path, "level"), f"{where}: {_not_on_scale(level, scale)}")
        return

    if rule_type in ("section_mean_at_least", "sections_mean_at_least_count"):
        selector = rule.get("sections", "all")
        if isinstance(selector, list):
            for index, section_id in enumerate(selector):
                if _is_unknown_id(section_id, _SECTION_ID, section_ids):
                    yield Issue(
                        (*path, "sections", index),
                        f'rule names section "{section_id}", which does not exist ({where})',
                    )
        if rule_type == "sections_mean_at_least_count":
            count = rule.get("count")
            selected = len(section_ids) if selector == "all" else (
                len(set(selector)) if isinstance(selector, list) else None
            )
            if _is_int(count) and selected is not None and count > selected:
                yield Issue(
                    (*path, "count"),
                    f"{where}: count {count} is more than the {selected} "
                    f"section{'s' if selected != 1 else ''} selected, so the rule could never pass",
                )

    if rule_type in ("section_mean_at_least", "sections_mean_at_least_count", "overall_mean_at_least"):
        if scale is not None and _is_number(level) and not scale[0] <= level <= scale[-1]:
            yield Issue(
                (*path, "level"),
                f"{where}: level {format_number(level)} is outside the scale ({scale[0]} to {scale[-1]})",
            )
