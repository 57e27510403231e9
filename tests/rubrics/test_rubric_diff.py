"""diff_rubrics: what changed in meaning between two versions."""

from __future__ import annotations

import pytest

from qualitymark.rubrics import diff_rubrics, load_rubric_text


def rubric(text: str):
    result = load_rubric_text(text)
    assert result.ok, "\n".join(result.report())
    return result.rubric


def edited(sample_text: str, *changes: tuple[str, str]):
    text = sample_text
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return rubric(text)


@pytest.fixture()
def old(sample_rubric):
    return sample_rubric


def test_no_change_in_meaning(sample_text, old):
    new = edited(sample_text, ("# A small hand-written", "# A re-worded comment:"), ("        weight: 2\n", "        weight: 2.0\n"))
    difference = diff_rubrics(old, new)
    assert not difference
    assert difference.lines() == ["sample-mark 1.0.0 → sample-mark 1.0.0", "  no changes in meaning"]
    assert difference.for_criterion("A1") is None


@pytest.mark.parametrize(
    "change, described",
    [
        (("        guidance: The co-op is controlled by its members.\n",
          "        guidance: The co-op is controlled by its members alone.\n"), "changed: guidance (wording)"),
        (("        guidance: The co-op is controlled by its members.\n",
          "        guidance: {en: The co-op is controlled by its members., cy: Aelodau sy'n rheoli.}\n"),
         "changed: guidance (Welsh added)"),
        (("        evidence: [Board composition]\n", "        evidence: [Board composition, Minutes]\n"),
         "changed: evidence (1 → 2 items)"),
        (("        title: Independence\n", "        title: Independence and autonomy\n"), "changed: title (wording)"),
        (("      - id: A3\n", "      - id: A3\n        weight: 2\n"), "changed: weight 1 → 2"),
        (("      - id: A3\n", "      - id: A3\n        mandatory: true\n        minimum_level: 2\n"),
         "changed: mandatory false → true; minimum_level none → 2"),
    ],
)
def test_criterion_field_changes(sample_text, old, change, described):
    difference = diff_rubrics(old, edited(sample_text, change))
    a3 = difference.for_criterion("A3")
    assert a3 is not None and a3.status == "changed"
    assert a3.describe() == described
    assert [c.id for c in difference.criteria] == ["A3"]


def test_welsh_only_change(sample_text, old):
    new = edited(sample_text, ("cy: Mae cynlluniau'n cael eu hysgrifennu gyda phobl.", "cy: Caiff cynlluniau eu hysgrifennu gyda phobl."))
    assert diff_rubrics(old, new).for_criterion("B1").describe() == "changed: guidance (Welsh only)"


def test_descriptor_and_minimum_changes(sample_text, old):
    new = edited(
        sample_text,
        ("          4: {en: Advocacy is co-designed with people.", "          3: Advocacy is offered.\n          4: {en: Advocacy is co-designed with the people who use it."),
        ("        minimum_level: 3\n", "        minimum_level: 2\n"),
    )
    difference = diff_rubrics(old, new)
    assert difference.for_criterion("B3").describe() == "changed: descriptors (level 3, 4)"
    c1 = difference.for_criterion("C1")
    assert c1.changes[0].old == 3 and c1.changes[0].new == 2
    assert c1.describe() == "changed: minimum_level 3 → 2"


def test_added_removed_and_moved_criteria(sample_text, old):
    c2 = "      - id: C2\n        title: Learning from incidents\n        guidance: Lessons are recorded and acted on.\n        evidence: [Incident reviews]\n"
    a3 = "      - id: A3\n        title: Independence\n        guidance: The co-op is controlled by its members.\n        evidence: [Board composition]\n"
    new = edited(
        sample_text,
        (c2, c2.replace("C2", "C3").replace("Learning from incidents", "Duty of candour")),
        (a3, ""),
        ("  - id: B\n    title: Voice and control\n    criteria:\n", "  - id: B\n    title: Voice and control\n    criteria:\n" + a3),
        ("      - id: B2\n", "      - id: B4\n"),
    )
    difference = diff_rubrics(old, new)
    assert difference.for_criterion("A3").describe() == "changed: moved from section A to B"
    assert difference.for_criterion("A3").changed_fields == ("section",)
    assert difference.for_criterion("C3").status == "added"
    assert difference.for_criterion("C2").status == "removed"
    assert difference.for_criterion("B4").describe() == "new in this version (section B)"
    assert difference.for_criterion("B2").describe() == "removed in this version (was in section B)"
    assert [c.id for c in difference.criteria_with("added")] == ["B4", "C3"]


def test_sections_scale_awards_and_metadata(sample_text, old):
    new = edited(
        sample_text,
        ("validity_months: 36", "validity_months: 24"),
        ("    descriptor: Consistent practice, shown by two kinds of evidence.", "    descriptor: Consistent practice, shown by at least two kinds of evidence."),
        ("  - id: C\n    title: Safety\n", "  - id: C\n    title: Safety and regulation\n"),
        ("        sections: all\n        level: 3\n", "        sections: all\n        level: 2.5\n"),
        ("      - type: sections_mean_at_least_count\n        count: 2\n", "      - type: sections_mean_at_least_count\n        count: 1\n"),
    )
    difference = diff_rubrics(old, new)
    assert [change.describe() for change in difference.metadata] == ["validity_months 36 → 24"]
    assert [change.line() for change in difference.scale] == ['~ scale level 3 "Good": descriptor (wording)']
    assert [change.line() for change in difference.sections] == ['~ section C "Safety and regulation": title (wording)']
    (award,) = difference.awards
    assert award.rules_removed == (
        "every section averages at least 3",
        "at least 2 of all sections average 4 or more",
    )
    assert award.rules_added == (
        "every section averages at least 2.5",
        "at least 1 of all sections average 4 or more",
    )
    assert str(difference).splitlines() == [
        "sample-mark 1.0.0 → sample-mark 1.0.0",
        "Rubric:",
        "  ~ validity_months 36 → 24",
        "Scale:",
        '  ~ scale level 3 "Good": descriptor (wording)',
        "Sections:",
        '  ~ section C "Safety and regulation": title (wording)',
        "Awards:",
        '  ~ award excellent "Sample Mark — Excellent": '
        "rule removed: every section averages at least 3; "
        "rule removed: at least 2 of all sections average 4 or more; "
        "rule added: every section averages at least 2.5; "
        "rule added: at least 1 of all sections average 4 or more",
    ]


def test_rule_order_does_not_matter_but_award_order_does(sample_text, old):
    swapped_rules = edited(
        sample_text,
        ("      - type: section_mean_at_least\n        sections: all\n        level: 2\n      - type: overall_mean_at_least\n        level: 2\n",
         "      - type: overall_mean_at_least\n        level: 2\n      - type: section_mean_at_least\n        sections: all\n        level: 2\n"),
    )
    assert not diff_rubrics(old, swapped_rules)
    start = sample_text.index("  - id: mark\n")
    middle = sample_text.index("  - id: excellent\n")
    swapped_awards = rubric(sample_text[:start] + sample_text[middle:] + sample_text[start:middle])
    difference = diff_rubrics(old, swapped_awards)
    assert [change.describe() for change in difference.metadata] == ["award order: mark, excellent → excellent, mark"]


def test_added_and_removed_sections(sample_text, old):
    section_c = sample_text[sample_text.index("  - id: C\n"):sample_text.index("awards:\n")]
    new = rubric(sample_text.replace(section_c, section_c.replace("id: C\n", "id: D\n", 1)))
    difference = diff_rubrics(old, new)
    assert [change.line() for change in difference.sections] == ['+ section D "Safety"', '- section C "Safety"']
    # The criteria themselves only moved.
    assert difference.for_criterion("C1").describe() == "changed: moved from section C to D"
    assert difference.for_criterion("C1").line() == '~ C1 "Safeguarding in practice": changed: moved from section C to D'
