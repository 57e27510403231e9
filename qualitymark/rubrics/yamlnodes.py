"""Read YAML into plain Python data *and* remember where every value came from.

PyYAML's loaders throw the positions away, so we compose the node tree with
``yaml.SafeLoader`` and build the data ourselves. That also lets us treat
duplicate mapping keys as errors (PyYAML silently keeps the last one), and
keep fields that must be text (``version: 1.0``) as the text the author typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Keys whose value is always text. An unquoted `version: 1.0` or `id: ON`
# would otherwise arrive as a float or a boolean and the author would be told
# about a type they never meant to write.
TEXT_ONLY_KEYS = frozenset({"scheme", "version", "id", "mandatory_ref"})

# Guard against alias bombs ("billion laughs"): a rubric has a few thousand values.
MAX_VALUES = 200_000

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class Position:
    """1-based line and column."""

    line: int
    column: int


@dataclass(frozen=True)
class Located:
    value: Position
    key: Position | None = None  # None for the document root and list items


@dataclass
class ParsedYaml:
    data: Any = None
    positions: dict[tuple[Any, ...], Located] = field(default_factory=dict)
    problems: list[tuple[Position, str]] = field(default_factory=list)
    empty: bool = False
    syntax_error: bool = False
    # Values that could not be read (reported already); later checks skip them.
    broken_paths: set[tuple[Any, ...]] = field(default_factory=set)


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _describe_syntax_error(error: yaml.MarkedYAMLError) -> tuple[Position, str]:
    problem = (error.problem or "invalid YAML").strip()
    mark = error.problem_mark or error.context_mark
    # An unclosed quote or bracket is only noticed at the end of the file;
    # the place worth pointing at is where it was opened.
    if "end of stream" in problem and error.context_mark is not None:
        mark = error.context_mark
        context = error.context or ""
        if "quoted scalar" in context:
            problem = "a quoted text starts here but its closing quote is missing"
        elif "flow" in context:
            problem = "a [ or { starts here but is never closed"
        else:
            problem = f"{context} that is never closed"
    hint = ""
    if "'\\t'" in problem:  # PyYAML shows the tab as '\t'
        hint = " — indent with spaces, not tabs"
    elif problem.startswith("mapping values are not allowed"):
        hint = ' — if a text contains ": ", put the whole text in quotes'
    elif problem.startswith("could not find expected ':'"):
        hint = " — check the indentation and that each key is followed by ':'"
    elif "single document" in (error.context or ""):
        problem = "a second YAML document starts here"
        hint = " — the file must hold exactly one rubric (remove the extra '---')"
    elif error.context and mark is error.problem_mark and error.context_mark is not None:
        hint = f" ({error.context} at line {error.context_mark.line + 1})"
    position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    return position, f"YAML syntax error: {problem}{hint}"


def _code_point(character: int | str | bytes) -> str:
    if isinstance(character, str):
        character = ord(character)
    elif isinstance(character, bytes):
        return f"byte 0x{character.hex()}"
    return f"U+{character:04X}"


def _position_of_offset(text: str, offset: int) -> Position:
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return Position(line, column)


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; problems are collected, never raised."""
    result = ParsedYaml()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        result.problems.append(_describe_syntax_error(error))
        result.syntax_error = True
        return result
    except yaml.reader.ReaderError as error:
        result.problems.append(
            (
                _position_of_offset(text, error.position),
                f"the file contains a character YAML does not allow ({_code_point(error.character)})"
                " — remove it, or retype the text around it",
            )
        )
        result.syntax_error = True
        return result
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL_TAG and root.value == ""):
        result.empty = True  # nothing, only comments, or a bare "---"
        return result
    builder = _Builder(result)
    result.data = builder.build(root, (), None, None)
    return result


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, result: ParsedYaml) -> None:
        self.result = result
        self.constructor = yaml.SafeLoader("")
        self.active: set[int] = set()  # nodes on the current path, to catch recursive aliases
        self.count = 0

    def problem(self, node: Node, message: str) -> None:
        self.result.problems.append((_position(node), message))

    def build(self, node: Node, path: tuple[Any, ...], key: Any, key_node: Node | None) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            if self.count == MAX_VALUES + 1:
                self.problem(node, "the file expands to too many values (check its YAML aliases)")
            return None
        value_position = _position(node)
        if (
            key_node is not None
            and isinstance(node, ScalarNode)
            and node.style is None
            and node.value == ""
        ):
            # An empty value has no text of its own; PyYAML marks it where the
            # next token starts, often the next line. Point at its key instead.
            value_position = _position(key_node)
        self.result.positions[path] = Located(
            value_position, _position(key_node) if key_node is not None else None
        )

        if isinstance(node, ScalarNode):
            problems_before = len(self.result.problems)
            value = self.scalar(node, key)
            if len(self.result.problems) > problems_before:
                self.result.broken_paths.add(path)
            return value
        if id(node) in self.active:
            self.problem(node, "a YAML alias refers to a value that contains it")
            self.result.broken_paths.add(path)
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, (*path, index), None, None) for index, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.problem(node, "unsupported YAML value")  # pragma: no cover - composer only makes the three kinds
        return None

    def mapping(self, node: MappingNode, path: tuple[Any, ...]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.problem(key_node, "YAML merge keys (<<) are not supported in rubric files — write the keys out")
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, "a key must be plain text, not a list or mapping")
                continue
            key = self.scalar(key_node, None)
            if key in seen:
                self.problem(
                    key_node,
                    f'duplicate key "{key}" (first at line {seen[key].start_mark.line + 1})'
                    " — each key may appear only once in a mapping",
                )
                continue
            seen[key] = key_node
            result[key] = self.build(value_node, (*path, key), key, key_node)
        return result

    def scalar(self, node: ScalarNode, key: Any) -> Any:
        if key in TEXT_ONLY_KEYS and node.style is None and node.tag not in (_STR_TAG, _NULL_TAG):
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self.problem(node, f'unsupported YAML tag "{node.tag}" — remove it ({error.problem})')
        except ValueError:
            if node.tag == _TIMESTAMP_TAG:
                self.problem(node, f'"{node.value}" is not a valid date')
            else:
                self.problem(node, f'cannot read the value "{node.value}"')
        return None
