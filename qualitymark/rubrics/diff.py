"""What changed in meaning between two versions of a rubric.

Values are compared in their canonical form (see :mod:`.canonical`), so a
re-formatted file, ``1`` vs ``1.0`` or ``x`` vs ``{en: x}`` is not a change.
Award rules are compared as a set: their order does not change the result.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .canonical import normalise
from .crosscheck import format_number
from .models import LocalisedText, Rubric, text

CRITERION_FIELDS = (
    "title",
    "guidance",
    "evidence",
    "mandatory",
    "minimum_level",
    "weight",
    "mandatory_ref",
    "descriptors",
)
SECTION_FIELDS = ("title", "description", "sources")
SCALE_FIELDS = ("name", "descriptor")
AWARD_FIELDS = ("name", "description")
RUBRIC_FIELDS = (
    "title",
    "description",
    "effective_date",
    "validity_months",
    "renewal_window_months",
    "sources",
    "assessment",
)


def _canonical(model: Any) -> Any:
    return normalise(model.model_dump(mode="json"))


def _languages(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and "en" in value:
        return {lang: item for lang, item in value.items() if isinstance(item, str)}
    return {}


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value)


TEXT_FIELDS = frozenset({"title", "description", "guidance", "name", "descriptor"})
TEXT_LIST_FIELDS = frozenset({"evidence", "sources"})
MAPPING_FIELDS = frozenset({"descriptors", "assessment"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any  # canonical JSON values; None when absent
    new: Any

    def describe(self) -> str:
        """E.g. "guidance (Welsh only)", "weight 1 → 2", "descriptors (level 0, 4)"."""
        old, new = self.old, self.new
        if self.field in TEXT_FIELDS:
            if old is None:
                return f"{self.field} added"
            if new is None:
                return f"{self.field} removed"
            before, after = _languages(old), _languages(new)
            if before.get("en") == after.get("en"):
                return f"{self.field} (Welsh only)" if before.get("cy") else f"{self.field} (Welsh added)"
            return f"{self.field} (wording)"
        if self.field in TEXT_LIST_FIELDS:
            before_list, after_list = old or [], new or []
            if len(before_list) != len(after_list):
                return f"{self.field} ({len(before_list)} → {len(after_list)} items)"
            return f"{self.field} (wording)"
        if self.field in MAPPING_FIELDS:
            before_map, after_map = old or {}, new or {}
            keys = [key for key in _sorted_keys({*before_map, *after_map}) if before_map.get(key) != after_map.get(key)]
            if self.field == "descriptors":
                return f"descriptors (level {', '.join(keys)})"
            return "; ".join(f"{key} {_show(before_map.get(key))} → {_show(after_map.get(key))}" for key in keys)
        if isinstance(old, list) or isinstance(new, list):
            return f"{self.field}: {', '.join(map(_show, old or []))} → {', '.join(map(_show, new or []))}"
        return f"{self.field} {_show(old)} → {_show(new)}"


def _sorted_keys(keys: set[str]) -> list[str]:
    # Descriptor keys are levels written as text ("10" after "9"); sort them as numbers.
    def order(key: str) -> tuple[int, float, str]:
        try:
            return (0, float(key), key)
        except ValueError:
            return (1, 0.0, key)

    return sorted(keys, key=order)


def _field_changes(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, old.get(name), new.get(name)) for name in fields if old.get(name) != new.get(name)
    )


@dataclass(frozen=True)
class CriterionChange:
    id: str
    status: str  # "added", "removed" or "changed"
    title: Any  # the new title (the old one when removed)
    old_section: str | None
    new_section: str | None
    changes: tuple[FieldChange, ...] = ()

    @property
    def moved(self) -> bool:
        return self.status == "changed" and self.old_section != self.new_section

    @property
    def changed_fields(self) -> tuple[str, ...]:
        return tuple(change.field for change in self.changes) + (("section",) if self.moved else ())

    def describe(self) -> str:
        """E.g. "changed: guidance (wording); minimum_level 2 → 3; moved from section A to B"."""
        if self.status == "added":
            return f"new in this version (section {self.new_section})"
        if self.status == "removed":
            return f"removed in this version (was in section {self.old_section})"
        parts = [change.describe() for change in self.changes]
        if self.moved:
            parts.append(f"moved from section {self.old_section} to {self.new_section}")
        return "changed: " + "; ".join(parts)

    def line(self, lang: str = "en") -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.status]
        return f'{mark} {self.id} "{text(_as_text(self.title), lang)}": {self.describe()}'


def _as_text(value: Any) -> Any:
    return LocalisedText(**value) if isinstance(value, dict) else value


@dataclass(frozen=True)
class ItemChange:
    """A section, scale level or award that was added, removed or changed."""

    kind: str  # "section", "scale level", "award"
    id: str
    status: str
    label: Any  # title / name (text)
    changes: tuple[FieldChange, ...] = ()
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()

    def line(self, lang: str = "en") -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.status]
        head = f'{mark} {self.kind} {self.id} "{text(_as_text(self.label), lang)}"'
        if self.status != "changed":
            return head
        parts = [change.describe() for change in self.changes]
        parts += [f"rule removed: {rule}" for rule in self.rules_removed]
        parts += [f"rule added: {rule}" for rule in self.rules_added]
        return f"{head}: " + "; ".join(parts)


@dataclass(frozen=True)
class RubricDiff:
    old_label: str  # "care-quality-mark 1.0.0"
    new_label: str
    metadata: tuple[FieldChange, ...] = ()
    scale: tuple[ItemChange, ...] = ()
    sections: tuple[ItemChange, ...] = ()
    criteria: tuple[CriterionChange, ...] = ()
    awards: tuple[ItemChange, ...] = ()
    _by_criterion: dict[str, CriterionChange] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_criterion", {change.id: change for change in self.criteria})

    def __bool__(self) -> bool:
        return bool(self.metadata or self.scale or self.sections or self.criteria or self.awards)

    def for_criterion(self, criterion_id: str) -> CriterionChange | None:
        """What changed for one criterion, or None if it is unchanged."""
        return self._by_criterion.get(criterion_id)

    def criteria_with(self, status: str) -> tuple[CriterionChange, ...]:
        return tuple(change for change in self.criteria if change.status == status)

    def lines(self, lang: str = "en") -> list[str]:
        out = [f"{self.old_label} → {self.new_label}"]
        if not self:
            out.append("  no changes in meaning")
            return out
        groups: list[tuple[str, list[str]]] = [
            ("Rubric", [f"  ~ {change.describe()}" for change in self.metadata]),
            ("Scale", [f"  {change.line(lang)}" for change in self.scale]),
            ("Sections", [f"  {change.line(lang)}" for change in self.sections]),
            ("Criteria", [f"  {change.line(lang)}" for change in self.criteria]),
            ("Awards", [f"  {change.line(lang)}" for change in self.awards]),
        ]
        for heading, lines in groups:
            if lines:
                out.append(f"{heading}:")
                out.extend(lines)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


# ----------------------------------------------------------------- rules in words


def describe_rule(rule: Any) -> str:
    """A rule (model or its JSON dump) in plain English, e.g. "every section averages at least 2"."""
    if hasattr(rule, "model_dump"):
        rule = normalise(rule.model_dump(mode="json"))
    rule_type = rule.get("type")
    level = rule.get("level")
    if rule_type == "criteria_at_least":
        selector = rule.get("criteria")
        who = {"mandatory": "every mandatory criterion", "all": "every criterion"}.get(
            selector if isinstance(selector, str) else "", None
        ) or "criteria " + ", ".join(selector)
        needed = "its own minimum level" if level is None else f"level {format_number(level)}"
        return f"{who} at {needed} or above"
    sections = rule.get("sections", "all")
    which = "every section" if sections == "all" else "sections " + ", ".join(sections)
    if rule_type == "section_mean_at_least":
        return f"{which} averages at least {format_number(level)}"
    if rule_type == "sections_mean_at_least_count":
        pool = "all sections" if sections == "all" else "sections " + ", ".join(sections)
        return f"at least {rule.get('count')} of {pool} average {format_number(level)} or more"
    if rule_type == "overall_mean_at_least":
        return f"the overall average is at least {format_number(level)}"
    return str(rule)  # pragma: no cover - the model allows no other types


def _rule_key(rule: dict[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


# ----------------------------------------------------------------- the diff


def diff_rubrics(old: Rubric, new: Rubric) -> RubricDiff:
    old_data, new_data = _canonical(old), _canonical(new)

    metadata = _field_changes(old_data, new_data, RUBRIC_FIELDS)

    scale = _items(
        "scale level",
        {str(entry["level"]): entry for entry in old_data["scale"]},
        {str(entry["level"]): entry for entry in new_data["scale"]},
        SCALE_FIELDS,
        "name",
    )
    sections = _items(
        "section",
        {section["id"]: section for section in old_data["sections"]},
        {section["id"]: section for section in new_data["sections"]},
        SECTION_FIELDS,
        "title",
    )

    def criteria_of(data: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
        return {c["id"]: (s["id"], c) for s in data["sections"] for c in s["criteria"]}

    old_criteria, new_criteria = criteria_of(old_data), criteria_of(new_data)
    criteria: list[CriterionChange] = []
    for criterion_id, (section_id, criterion) in new_criteria.items():
        if criterion_id not in old_criteria:
            criteria.append(CriterionChange(criterion_id, "added", criterion["title"], None, section_id))
            continue
        old_section, old_criterion = old_criteria[criterion_id]
        changes = _field_changes(old_criterion, criterion, CRITERION_FIELDS)
        if changes or old_section != section_id:
            criteria.append(
                CriterionChange(criterion_id, "changed", criterion["title"], old_section, section_id, changes)
            )
    for criterion_id, (section_id, criterion) in old_criteria.items():
        if criterion_id not in new_criteria:
            criteria.append(CriterionChange(criterion_id, "removed", criterion["title"], section_id, None))

    awards = _items(
        "award",
        {award["id"]: award for award in old_data["awards"]},
        {award["id"]: award for award in new_data["awards"]},
        AWARD_FIELDS,
        "name",
        compare_rules=True,
    )
    # Awards are ordered lowest to highest; a reordering changes results.
    old_order = [a["id"] for a in old_data["awards"] if a["id"] in {b["id"] for b in new_data["awards"]}]
    new_order = [a["id"] for a in new_data["awards"] if a["id"] in set(old_order)]
    if old_order != new_order:
        metadata += (FieldChange("award order", old_order, new_order),)

    return RubricDiff(
        old_label=f"{old.scheme} {old.version}",
        new_label=f"{new.scheme} {new.version}",
        metadata=metadata,
        scale=scale,
        sections=sections,
        criteria=tuple(criteria),
        awards=awards,
    )


def _items(
    kind: str,
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
    fields: tuple[str, ...],
    label_field: str,
    compare_rules: bool = False,
) -> tuple[ItemChange, ...]:
    changes: list[ItemChange] = []
    for key, item in new.items():
        if key not in old:
            changes.append(ItemChange(kind, key, "added", item[label_field]))
            continue
        field_changes = _field_changes(old[key], item, fields)
        added: tuple[str, ...] = ()
        removed: tuple[str, ...] = ()
        if compare_rules:
            removed = _rules_only_in(old[key]["rules"], item["rules"])
            added = _rules_only_in(item["rules"], old[key]["rules"])
        if field_changes or added or removed:
            changes.append(ItemChange(kind, key, "changed", item[label_field], field_changes, added, removed))
    for key, item in old.items():
        if key not in new:
            changes.append(ItemChange(kind, key, "removed", item[label_field]))
    return tuple(changes)


def _rules_only_in(rules: list[dict[str, Any]], others: list[dict[str, Any]]) -> tuple[str, ...]:
    """Rules in ``rules`` and not in ``others``, counting repeats (order does not matter)."""
    surplus = Counter(_rule_key(rule) for rule in rules) - Counter(_rule_key(rule) for rule in others)
    described = []
    for rule in rules:
        key = _rule_key(rule)
        if surplus[key] > 0:
            surplus[key] -= 1
            described.append(describe_rule(rule))
    return tuple(described)
