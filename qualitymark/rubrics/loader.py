"""Load and validate rubric files, reporting every problem as ``file:line:column: message``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .canonical import canonical_json as _canonical_json
from .canonical import content_hash
from .crosscheck import Issue, cross_check
from .messages import describe_value, translate_error
from .models import SCHEME_PATTERN, VERSION_PATTERN, Rubric
from .translation import translation_coverage
from .yamlnodes import Located, ParsedYaml, Position, parse_yaml

RUBRIC_SUFFIX = ".yaml"


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    column: int
    message: str
    file: str = field(default="<string>", compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class LoadResult:
    path: str
    rubric: Rubric | None = None
    errors: list[Problem] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    canonical_json: bytes | None = None
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.rubric is not None

    def report(self) -> list[str]:
        """Lines for a terminal: every error, or a one-line OK with the info."""
        if self.errors:
            return [str(problem) for problem in self.errors]
        return [f"{self.path}: OK ({self.sha256})", *(f"  {line}" for line in self.info)]


# ----------------------------------------------------------------- public entry points


def load_rubric(path: str | os.PathLike[str], *, check_location: bool = False) -> LoadResult:
    """Load one rubric file.

    With ``check_location`` the file must sit at ``<scheme>/<version>.yaml``
    and agree with the scheme and version written inside it.
    """
    filename = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        return LoadResult(filename, errors=[Problem(1, 1, f"cannot read the file: {error.strerror}", filename)])
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        message = f"the file is not UTF-8 text (cannot read byte 0x{raw[error.start]:02x}) — save it as UTF-8"
        return LoadResult(filename, errors=[Problem(line, column, message, filename)])
    expected = _expected_from_path(Path(path)) if check_location else None
    return _load(text, filename, expected)


def load_rubric_text(text: str, filename: str = "<string>") -> LoadResult:
    """Validate rubric YAML given as a string (``filename`` is only used in messages)."""
    return _load(text, filename, None)


def validate_paths(paths: Iterable[str | os.PathLike[str]]) -> list[LoadResult]:
    """Validate files and directories; a directory is searched for ``<scheme>/<version>.yaml``.

    Files found this way must agree with their location: the folder is the
    scheme and the file name the version.
    """
    results: list[LoadResult] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(path.rglob(f"*{RUBRIC_SUFFIX}"))
            if not found:
                results.append(
                    LoadResult(
                        str(path),
                        errors=[Problem(1, 1, f"no rubric files (*{RUBRIC_SUFFIX}) found in this folder", str(path))],
                    )
                )
            results.extend(load_rubric(file, check_location=True) for file in found)
        else:
            results.append(load_rubric(path, check_location=True))
    return results


# ----------------------------------------------------------------- the pipeline


def _expected_from_path(path: Path) -> tuple[str, str]:
    """(scheme, version) that criteria/<scheme>/<version>.yaml implies."""
    return path.parent.name, path.stem


class _Locator:
    """Turns a data path into the line:column of its YAML node."""

    def __init__(self, parsed: ParsedYaml) -> None:
        self.positions = parsed.positions

    def find(self, path: tuple[Any, ...], anchor: str = "value") -> Position:
        if anchor == "parent":
            path = path[:-1] if path else path
        for length in range(len(path), -1, -1):
            located = self._lookup(path[:length])
            if located is None:
                continue
            if anchor == "key" and length == len(path) and located.key is not None:
                return located.key
            return located.value
        return Position(1, 1)

    def _lookup(self, path: tuple[Any, ...]) -> Located | None:
        located = self.positions.get(path)
        if located is not None or not path:
            return located
        # pydantic may report a mapping key as text ("1") where YAML had a number.
        for candidate, position in self.positions.items():
            if len(candidate) == len(path) and candidate[:-1] == path[:-1] and str(candidate[-1]) == str(path[-1]):
                return position
        return None


def _load(text: str, filename: str, expected: tuple[str, str] | None) -> LoadResult:
    parsed = parse_yaml(text)
    problems: list[Problem] = [Problem(p.line, p.column, message, filename) for p, message in parsed.problems]
    result = LoadResult(filename)
    if parsed.syntax_error:
        result.errors = problems
        return result
    if parsed.empty:
        result.errors = [
            Problem(1, 1, 'the file is empty — a rubric starts with "scheme:", "version:", "title:" ...', filename)
        ]
        return result

    data = parsed.data
    locator = _Locator(parsed)

    def add(path: tuple[Any, ...], message: str, anchor: str = "value") -> None:
        position = locator.find(path, anchor)
        problems.append(Problem(position.line, position.column, message, filename))

    if not isinstance(data, dict):
        add((), f'the file must be a mapping of keys (scheme:, version:, title: ...), got {describe_value(data)}')
        result.errors = _sorted_unique(problems)
        return result

    rubric: Rubric | None = None
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        translated = [translate_error(detail, data) for detail in error.errors(include_url=False)]
        suggested = {item.suggested_path for item in translated if item.suggested_path}
        for item in translated:
            if item.missing_path in suggested:
                continue  # 'unknown key "guidence" — did you mean "guidance"?' already says it
            if any(item.path[: len(broken)] == broken for broken in parsed.broken_paths):
                continue  # the YAML reader already explained why this value is unreadable
            add(item.path, item.message, item.anchor)

    for issue in cross_check(data):
        add(issue.path, _with_first_line(issue, locator), issue.anchor)

    if expected is not None:
        for path, message in _location_mismatches(data, expected):
            add(path, message)

    result.errors = _sorted_unique(problems)
    if result.errors or rubric is None:
        return result
    result.rubric = rubric
    result.canonical_json = _canonical_json(rubric)
    result.sha256 = content_hash(rubric)
    result.info = _info(rubric)
    return result


def _with_first_line(issue: Issue, locator: _Locator) -> str:
    if issue.first_path is None:
        return issue.message
    return f"{issue.message} (first at line {locator.find(issue.first_path).line})"


def _location_mismatches(data: dict[Any, Any], expected: tuple[str, str]) -> list[tuple[tuple[str], str]]:
    folder, stem = expected
    mismatches = []
    scheme, version = data.get("scheme"), data.get("version")
    # A malformed scheme or version is reported on its own; comparing it with
    # the path as well would only say the same thing twice.
    if isinstance(scheme, str) and re.match(SCHEME_PATTERN, scheme) and scheme != folder:
        mismatches.append(
            (
                ("scheme",),
                f'scheme "{scheme}" does not match the folder "{folder}" '
                "— rubric files live at criteria/<scheme>/<version>.yaml",
            )
        )
    if isinstance(version, str) and re.match(VERSION_PATTERN, version) and version != stem:
        mismatches.append(
            (
                ("version",),
                f'version "{version}" does not match the file name "{stem}{RUBRIC_SUFFIX}" '
                "— rubric files live at criteria/<scheme>/<version>.yaml",
            )
        )
    return mismatches


def _sorted_unique(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems))


def _info(rubric: Rubric) -> list[str]:
    criteria = rubric.criteria()
    mandatory = sum(1 for criterion in criteria if criterion.mandatory)
    return [
        f"{rubric.scheme} {rubric.version}: {_count(len(rubric.sections), 'section')}, "
        f"{_count(len(criteria), 'criterion', 'criteria')} ({mandatory} mandatory), "
        f"{_count(len(rubric.awards), 'award')}",
        str(translation_coverage(rubric, "cy")),
    ]


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
