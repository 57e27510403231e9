"""The loader: every malformed file gives the right message at the right line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualitymark.rubrics import load_rubric, load_rubric_text, validate_paths

# (Not imported from conftest: with several conftest.py files in the suite,
# "import conftest" may find another one.)
HERE = Path(__file__).resolve().parent
MALFORMED_DIR = HERE / "malformed"
SAMPLE_PATH = HERE / "sample-rubric.yaml"

# Each malformed file states what it must produce in its header:
#   # expect: LINE:COLUMN: message
# one line per error; the file must produce exactly those errors.
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")
MALFORMED = sorted(MALFORMED_DIR.glob("*.yaml"))


def expectations(path: Path) -> list[tuple[int, int, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT.match(line)
        if match:
            found.append((int(match[1]), int(match[2]), match[3]))
    return found


def test_there_are_enough_malformed_fixtures():
    assert len(MALFORMED) >= 15
    for path in MALFORMED:
        assert expectations(path), f"{path.name} has no '# expect:' header"


@pytest.mark.parametrize("path", MALFORMED, ids=[path.stem for path in MALFORMED])
def test_malformed_file_reports_expected_errors(path):
    result = load_rubric(path)
    assert result.rubric is None and not result.ok
    assert result.canonical_json is None and result.sha256 is None
    got = [(problem.line, problem.column, problem.message) for problem in result.errors]
    assert got == expectations(path), "\n".join(str(problem) for problem in result.errors)
    for problem in result.errors:
        assert str(problem) == f"{path}:{problem.line}:{problem.column}: {problem.message}"


# Spot checks that the messages say what the brief asks for, independently of
# the headers (which could drift together with the code).
KEY_FRAGMENTS = {
    "yaml-syntax-error": (34, "YAML syntax error"),
    "unknown-key-did-you-mean": (31, 'unknown key "guidence" in criterion A2 — did you mean "guidance"?'),
    "wrong-type-string-for-int": (28, 'expected a whole number, got "two"'),
    "duplicate-yaml-key": (31, 'duplicate key "title" (first at line 30)'),
    "duplicate-criterion-id": (36, 'criterion id "A2" is used twice (first at line 29)'),
    "duplicate-section-id": (33, 'section id "A" is used twice (first at line 20)'),
    "minimum-level-off-scale": (28, "level 7 is not on the scale (0, 1, 2, 3, 4)"),
    "descriptor-level-off-scale": (42, "level 5 is not on the scale (0, 1, 2, 3, 4)"),
    "rule-level-off-scale": (46, "level 7 is not on the scale (0, 1, 2, 3, 4)"),
    "rule-missing-criterion": (45, 'rule names criterion "Z9", which does not exist'),
    "rule-missing-section": (47, 'rule names section "C", which does not exist'),
    "empty-section": (35, 'section "B" has no criteria'),
    "missing-required-key": (29, 'missing key "guidance" in criterion A2'),
    "bad-version": (4, "version must be MAJOR.MINOR.PATCH"),
    "mandatory-without-minimum": (27, "criterion A1 is mandatory but has no minimum_level"),
    "minimum-level-not-mandatory": (33, "criterion A2 has a minimum_level but is not mandatory"),
    "count-larger-than-sections": (50, "count 3 is more than the 2 sections selected"),
    "unknown-language-key": (37, 'unknown language "fr"'),
    "renewal-window-too-long": (9, "renewal_window_months (36) must be less than validity_months (36)"),
    "top-level-not-mapping": (3, "the file must be a mapping"),
    "empty-file": (1, "the file is empty"),
    "unknown-rule-type": (46, 'did you mean "section_mean_at_least"?'),
    "tab-indentation": (32, "indent with spaces, not tabs"),
}


@pytest.mark.parametrize("name", sorted(KEY_FRAGMENTS))
def test_message_fragment_and_line(name):
    line, fragment = KEY_FRAGMENTS[name]
    result = load_rubric(MALFORMED_DIR / f"{name}.yaml")
    assert any(problem.line == line and fragment in problem.message for problem in result.errors), [
        str(problem) for problem in result.errors
    ]


def test_several_problems_are_all_reported_in_line_order():
    result = load_rubric(MALFORMED_DIR / "several-problems.yaml")
    assert len(result.errors) == 5
    positions = [(problem.line, problem.column) for problem in result.errors]
    assert positions == sorted(positions)
    kinds = " | ".join(problem.message for problem in result.errors)
    for fragment in ("renewal_window_months", "guidence", "used twice", '"Z9"', '"Q"'):
        assert fragment in kinds


# --------------------------------------------------------------------------- strings


MINI = SAMPLE_PATH.read_text(encoding="utf-8")


def test_truly_empty_text():
    for empty in ("", "\n\n", "---\n"):
        result = load_rubric_text(empty, "x.yaml")
        assert [str(problem) for problem in result.errors] == [
            'x.yaml:1:1: the file is empty — a rubric starts with "scheme:", "version:", "title:" ...'
        ]


def test_sample_is_valid_and_schema_comment_is_ignored():
    assert MINI.startswith("# yaml-language-server: $schema=")
    result = load_rubric_text(MINI, "sample.yaml")
    assert result.ok and result.errors == []
    assert result.sha256 and len(result.sha256) == 64
    assert result.info[0] == "sample-mark 1.0.0: 3 sections, 8 criteria (3 mandatory), 2 awards"
    assert result.info[1] == "Welsh: 6 of 48 text fields (13%)"


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINI.encode("utf-8"))
    assert load_rubric(path).ok


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINI.replace("Sample Mark", "Marc Caf\u00e9", 1).encode("latin-1", "replace"))
    result = load_rubric(path)
    assert len(result.errors) == 1
    assert result.errors[0].line == 7
    assert "not UTF-8" in result.errors[0].message


def test_missing_file(tmp_path):
    result = load_rubric(tmp_path / "nope.yaml")
    assert result.errors[0].message.startswith("cannot read the file")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)


def only_error(text: str) -> str:
    result = load_rubric_text(text, "t.yaml")
    assert len(result.errors) == 1, [str(problem) for problem in result.errors]
    return str(result.errors[0])


def test_unknown_top_level_key_suggests():
    text = replace_once(MINI, "validity_months: 36", "validty_months: 36")
    line = line_of(text, "validty_months")
    assert only_error(text) == f't.yaml:{line}:1: unknown key "validty_months" at the top level — did you mean "validity_months"?'


def test_unknown_key_without_near_miss_lists_allowed_keys():
    text = replace_once(MINI, "        weight: 2\n", "        weight: 2\n        colour: blue\n")
    message = only_error(text)
    assert 'unknown key "colour" in criterion A2 — the keys allowed here are: id, title, guidance' in message


def test_unknown_key_in_rule_names_the_rule_keys():
    text = replace_once(MINI, "      - type: overall_mean_at_least\n", "      - type: overall_mean_at_least\n        sections: all\n")
    assert 'unknown key "sections" in rule 3 of award "mark" — a overall_mean_at_least rule takes only: type, level' in only_error(text)


def test_level_written_as_text_is_rejected():
    text = replace_once(MINI, "    minimum_level: 3\n", '    minimum_level: "3"\n')
    assert 'minimum_level of criterion C1: expected a whole number, got "3"' in only_error(text)


def test_level_written_as_float_is_rejected():
    text = replace_once(MINI, "    minimum_level: 3\n", "    minimum_level: 3.0\n")
    assert "minimum_level of criterion C1: expected a whole number, got 3.0" in only_error(text)


def test_boolean_where_text_expected_suggests_quotes():
    text = replace_once(MINI, "    title: Safety\n", "    title: yes\n")
    assert only_error(text).endswith(
        'title of section C: expected text (or a mapping with "en" and optional "cy"), got true — put the text in quotes'
    )


def test_unquoted_id_that_yaml_reads_as_boolean_stays_text():
    text = replace_once(MINI, "  - id: C\n", "  - id: ON\n")
    assert load_rubric_text(text).ok


def test_integer_version_reports_semantic_version():
    text = replace_once(MINI, "version: 1.0.0", "version: 1")
    assert 'version must be MAJOR.MINOR.PATCH (e.g. 1.0.0), got "1"' in only_error(text)


def test_quoted_date_is_accepted_and_bad_date_reported():
    assert load_rubric_text(replace_once(MINI, "effective_date: 2027-01-01", 'effective_date: "2027-01-01"')).ok
    message = only_error(replace_once(MINI, "effective_date: 2027-01-01", "effective_date: 2027-02-30"))
    assert '"2027-02-30" is not a valid date' in message
    message = only_error(replace_once(MINI, "effective_date: 2027-01-01", "effective_date: 2027-01-01 10:00:00"))
    assert "effective_date: expected a date without a time" in message


def test_criteria_selector_typo_suggests_keyword():
    text = replace_once(MINI, "        criteria: mandatory\n", "        criteria: mandatry\n")
    assert 'expected "mandatory", "all" or a list of criterion ids, got "mandatry" — did you mean "mandatory"?' in only_error(text)


def test_rule_without_type():
    text = replace_once(MINI, "      - type: overall_mean_at_least\n        level: 2\n", "      - level: 2\n")
    assert 'rule 3 of award "mark" has no "type" — use one of: criteria_at_least' in only_error(text)


def test_criteria_rule_needs_level_unless_mandatory():
    text = replace_once(MINI, "        criteria: mandatory\n", "        criteria: all\n")
    assert 'a "level" is needed unless criteria is "mandatory"' in only_error(text)


def test_duplicate_key_at_top_level():
    text = MINI + "title: Again\n"
    line = line_of(MINI, "title: {en:")
    assert f'duplicate key "title" (first at line {line})' in only_error(text)


def test_merge_keys_and_recursive_aliases_are_rejected():
    text = replace_once(MINI, "assessment:\n", "assessment:\n  <<: {x: 1}\n")
    assert "merge keys (<<) are not supported" in only_error(text)
    text = replace_once(MINI, "sources:\n  - ICA Statement on the Co-operative Identity\n", "sources: &s [*s]\n")
    errors = [problem.message for problem in load_rubric_text(text).errors]
    assert any("alias" in message for message in errors)


def test_unknown_yaml_tag():
    text = replace_once(MINI, "validity_months: 36", "validity_months: !months 36")
    assert 'unsupported YAML tag "!months"' in only_error(text)


def test_empty_value_points_at_its_key():
    text = replace_once(MINI, "validity_months: 36", "validity_months:")
    line = line_of(text, "validity_months:")
    assert only_error(text) == f"t.yaml:{line}:1: validity_months: expected a whole number, got nothing (the value is empty)"


def test_duplicate_scale_level():
    text = replace_once(MINI, "  - level: 3\n", "  - level: 2\n")
    assert "scale level 2 is listed twice (first at line" in only_error(text)


def test_duplicate_award_id():
    text = replace_once(MINI, "  - id: excellent\n", "  - id: mark\n")
    assert 'award id "mark" is used twice' in only_error(text)


def test_mandatory_rule_without_mandatory_criteria():
    text = MINI.replace("        mandatory: true\n", "").replace("        minimum_level: 2\n", "")
    text = replace_once(text, "        minimum_level: 3\n", "")
    text = text.replace("        mandatory_ref: M1\n", "").replace("        mandatory_ref: M5\n", "")
    text = text.replace("        mandatory_ref: M4\n", "")
    assert "no criterion is mandatory" in only_error(text)


def test_descriptor_key_must_be_a_number():
    text = replace_once(MINI, "          0: No access to advocacy.\n", "          none: No access to advocacy.\n")
    line = line_of(text, "none: No access")
    assert only_error(text) == f't.yaml:{line}:11: descriptors of criterion B3: levels must be whole numbers, got "none"'


# --------------------------------------------------------------------------- paths


def write_rubric(root: Path, scheme: str, version: str, text: str) -> Path:
    path = root / "criteria" / scheme / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_paths_walks_a_directory(tmp_path):
    write_rubric(tmp_path, "sample-mark", "1.0.0", MINI)
    write_rubric(tmp_path, "sample-mark", "1.1.0", MINI.replace("version: 1.0.0", "version: 1.1.0"))
    results = validate_paths([tmp_path / "criteria"])
    assert [Path(result.path).name for result in results] == ["1.0.0.yaml", "1.1.0.yaml"]
    assert all(result.ok for result in results)


def test_scheme_and_version_must_match_the_path(tmp_path):
    path = write_rubric(tmp_path, "other-mark", "2.0.0", MINI)
    (result,) = validate_paths([tmp_path / "criteria"])
    assert not result.ok
    assert [str(problem) for problem in result.errors] == [
        f'{path}:5:9: scheme "sample-mark" does not match the folder "other-mark" '
        "— rubric files live at criteria/<scheme>/<version>.yaml",
        f'{path}:6:10: version "1.0.0" does not match the file name "2.0.0.yaml" '
        "— rubric files live at criteria/<scheme>/<version>.yaml",
    ]
    # An explicitly named file is checked the same way; load_rubric alone does not.
    assert not validate_paths([path])[0].ok
    assert load_rubric(path).ok


def test_validate_paths_empty_directory(tmp_path):
    (result,) = validate_paths([tmp_path])
    assert "no rubric files" in result.errors[0].message


def test_the_shipped_rubric_validates_where_it_lives():
    real = SAMPLE_PATH.parents[2] / "criteria" / "care-quality-mark" / "1.0.0.yaml"
    assert real.exists(), f"the shipped rubric is missing: {real}"
    (result,) = validate_paths([real])
    assert result.ok, "\n".join(result.report())


def test_two_documents_in_one_file():
    text = MINI + "---\nscheme: other\n"
    line = len(MINI.splitlines()) + 1
    assert only_error(text) == (
        f"t.yaml:{line}:1: YAML syntax error: a second YAML document starts here "
        "— the file must hold exactly one rubric (remove the extra '---')"
    )


def test_control_character():
    text = replace_once(MINI, "description: A small rubric for tests.", "description: A small\x07 rubric.")
    line = line_of(text, "description: A small")
    assert only_error(text) == (
        f"t.yaml:{line}:21: the file contains a character YAML does not allow (U+0007) "
        "— remove it, or retype the text around it"
    )
