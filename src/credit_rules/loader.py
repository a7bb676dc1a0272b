"""Safe YAML and JSON reading with a source position for every value.

Input: text (or bytes) and a source name. Output: plain Python data (dicts, lists, str, int,
float, bool, None — dates stay text, as written) and a :class:`Positions` index from each
value's path to its span. Errors: :class:`~credit_rules.errors.CatalogYamlError` holding every
problem found (syntax, duplicate keys, unsupported tags, anchors), each at file:line:column.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any, TypeAlias

import attrs
import yaml

from credit_rules.errors import CatalogYamlError, CreditRulesError, Diagnostic, error
from credit_rules.spans import Span, line_starts, span_of

Path: TypeAlias = tuple[str | int, ...]
Data: TypeAlias = Any  # plain JSON-like data, the jsonschema validator's input

MAX_NODES = 500_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates and timestamps as text (we parse them ourselves)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@attrs.frozen(slots=True)
class Positions:
    """Where each value (and each mapping key) of a document stands in its source."""

    source: str
    text: str
    values: dict[Path, Span] = attrs.field(factory=dict, eq=False)
    keys: dict[Path, Span] = attrs.field(factory=dict, eq=False)
    #: per-character (line, column) of string scalars, for expressions inside YAML values
    chars: dict[Path, tuple[tuple[int, int], ...]] = attrs.field(factory=dict, eq=False)

    def at(self, path: Path, *, key: bool = False) -> Span:
        """The span of the value (or key) at ``path``, or of its nearest ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Span.point(self.source, 1, 1))

    def char_positions(self, path: Path) -> tuple[tuple[int, int], ...]:
        """Line and column of each character of the string scalar at ``path``."""
        return self.chars.get(tuple(path), ())


def decode(raw: bytes, source: str) -> str:
    """UTF-8 text of a file (a leading BOM is dropped); a positioned error otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        span = span_of(source, before + "?", len(before), len(before) + 1)
        raise CatalogYamlError(
            [error("CR-E100", f"file is not UTF-8 text: byte {exc.start} cannot be decoded", span)]
        ) from None


def read_file(path: str, error_class: type[CreditRulesError] = CatalogYamlError) -> str:
    """The text of a file, or one CR-E100 diagnostic saying why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise error_class(
            [error("CR-E100", f"cannot read `{path}`: {reason.lower()}", Span.point(path, 1, 1))]
        ) from None
    try:
        return decode(raw, path)
    except CatalogYamlError as exc:
        raise error_class(list(exc.diagnostics)) from None


def load_yaml(text: str, source: str) -> tuple[Data, Positions]:
    """Parse one YAML document into plain data and positions; every problem at once."""
    positions = Positions(source=source, text=text)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise CatalogYamlError([_syntax_diagnostic(exc, source, text)]) from None
    except yaml.reader.ReaderError as exc:
        raise CatalogYamlError([_reader_diagnostic(exc, source, text)]) from None
    except yaml.YAMLError as exc:
        raise CatalogYamlError(
            [error("CR-E101", f"invalid YAML: {exc}", Span.point(source, 1, 1))]
        ) from None
    except RecursionError:
        raise CatalogYamlError(
            [error("CR-E101", "invalid YAML: nested too deeply", Span.point(source, 1, 1))]
        ) from None
    if node is None:
        return None, positions
    builder = _Builder(source, text, positions)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise CatalogYamlError(
            [error("CR-E101", "invalid YAML: nested too deeply", Span.point(source, 1, 1))]
        ) from None
    if builder.problems:
        raise CatalogYamlError(builder.problems)
    return data, positions


def load_json(text: str, source: str) -> tuple[Data, Positions]:
    """Parse JSON with the same guarantees as :func:`load_yaml`.

    The data is exactly what :mod:`json` reads (numbers such as ``1e5`` stay numbers,
    surrogate pairs join); positions come from a walk over the text that :mod:`json` has
    accepted. A leading byte order mark is ignored.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        span = span_of(source, text + " ", exc.pos, exc.pos + 1)
        message = exc.msg[0].lower() + exc.msg[1:]
        raise CatalogYamlError([error("CR-E101", f"invalid JSON: {message}", span)]) from None
    except RecursionError:
        raise CatalogYamlError(
            [error("CR-E101", "invalid JSON: nested too deeply", Span.point(source, 1, 1))]
        ) from None
    except ValueError:  # an integer too long to convert
        raise CatalogYamlError(
            [error("CR-E101", "invalid JSON: a number is too long", Span.point(source, 1, 1))]
        ) from None
    positions = Positions(source=source, text=text)
    walker = _JsonWalker(source, text, positions)
    try:
        data, _ = walker.value(0, ())
    except RecursionError:
        raise CatalogYamlError(
            [error("CR-E101", "invalid JSON: nested too deeply", Span.point(source, 1, 1))]
        ) from None
    if walker.problems:
        raise CatalogYamlError(walker.problems)
    return data, positions


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()


class _JsonWalker:
    """Valid JSON text → data, recording the span of every value and key.

    INVARIANT: the text has been accepted by :func:`json.loads`, so no syntax check is needed.
    """

    def __init__(self, source: str, text: str, positions: Positions) -> None:
        self.source = source
        self.text = text
        self.positions = positions
        self.starts = line_starts(text)
        self.problems: list[Diagnostic] = []

    def skip(self, index: int) -> int:
        match = _JSON_SPACE.match(self.text, index)
        return match.end() if match is not None else index

    def value(self, index: int, path: Path) -> tuple[Data, int]:
        """The value starting at (or after white space from) ``index``, and its end."""
        index = self.skip(index)
        char = self.text[index]
        if char == "{":
            return self.mapping(index, path)
        if char == "[":
            return self.sequence(index, path)
        if char == '"':
            text, end = _JSON_DECODER.raw_decode(self.text, index)
            self.positions.values[path] = _span(self.source, self.starts, index, end)
            self.positions.chars[path] = self.string_chars(index, end, len(text))
            return text, end
        scalar, end = _JSON_DECODER.raw_decode(self.text, index)
        self.positions.values[path] = _span(self.source, self.starts, index, end)
        return scalar, end

    def mapping(self, start: int, path: Path) -> tuple[Data, int]:
        result: dict[str, Data] = {}
        index = self.skip(start + 1)
        while self.text[index] != "}":
            key, key_end = _JSON_DECODER.raw_decode(self.text, index)
            key_span = _span(self.source, self.starts, index, key_end)
            index = self.skip(key_end) + 1  # past the colon
            if key in result:
                first = self.positions.keys[(*path, key)]
                self.problems.append(
                    error(
                        "CR-E102", f"duplicate key `{key}` (first at line {first.line})", key_span
                    )
                )
                _, index = _JSON_DECODER.raw_decode(self.text, self.skip(index))
            else:
                self.positions.keys[(*path, key)] = key_span
                result[key], index = self.value(index, (*path, key))
            index = self.skip(index)
            if self.text[index] == ",":
                index = self.skip(index + 1)
        self.positions.values[path] = _span(self.source, self.starts, start, index + 1)
        return result, index + 1

    def sequence(self, start: int, path: Path) -> tuple[Data, int]:
        result: list[Data] = []
        index = self.skip(start + 1)
        while self.text[index] != "]":
            item, index = self.value(index, (*path, len(result)))
            result.append(item)
            index = self.skip(index)
            if self.text[index] == ",":
                index = self.skip(index + 1)
        self.positions.values[path] = _span(self.source, self.starts, start, index + 1)
        return result, index + 1

    def string_chars(self, start: int, end: int, length: int) -> tuple[tuple[int, int], ...]:
        """(line, column) of each character of the string literal ``text[start:end]``.

        An escape maps to its backslash; a surrogate pair of escapes is one character.
        """
        first = _span(self.source, self.starts, start + 1, start + 1)
        line, column = first.line, first.column
        text = self.text
        found: list[tuple[int, int]] = []
        index = start + 1
        while index < end - 1:
            found.append((line, column))
            step = 1
            if text[index] == "\\":
                step = 2
                if text[index + 1] == "u":
                    step = 6
                    high = int(text[index + 2 : index + 6], 16)
                    if 0xD800 <= high < 0xDC00 and text.startswith("\\u", index + 6):
                        low = int(text[index + 8 : index + 12], 16)
                        step = 12 if 0xDC00 <= low < 0xE000 else 6
            index += step
            column += step  # INVARIANT: JSON strings hold no raw line breaks
        return tuple(found[:length])


def _reader_diagnostic(exc: yaml.reader.ReaderError, source: str, text: str) -> Diagnostic:
    """A character YAML does not allow in a stream (control characters and the like)."""
    character = exc.character
    code = ord(character) if isinstance(character, str) else int(character)
    index = min(max(exc.position, 0), len(text))
    span = span_of(source, text + " ", index, index + 1)
    return error(
        "CR-E101",
        f"invalid YAML: character `#x{code:04x}` is not allowed in YAML text",
        span,
        help="remove the control character, or write it as an escape in a double-quoted string",
    )


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, source: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    message = problem if not context else f"{problem} ({context})"
    message = message.replace("\n", " ") or "invalid YAML"
    if mark is None:
        return error("CR-E101", f"invalid YAML: {message}", Span.point(source, 1, 1))
    index = min(mark.index, len(text))
    span = span_of(source, text + " ", index, index + 1)
    return error("CR-E101", f"invalid YAML: {message}", span)


class _Builder:
    """Node tree → plain data, recording spans and problems."""

    def __init__(self, source: str, text: str, positions: Positions) -> None:
        self.source = source
        self.text = text
        self.positions = positions
        self.problems: list[Diagnostic] = []
        self.count = 0
        self.starts = line_starts(text)
        #: ids of nodes already built: a node met twice was reached through an alias
        self.seen: set[int] = set()
        self.aliased: set[int] = set()

    def span(self, node: yaml.Node) -> Span:
        start = min(node.start_mark.index, len(self.text))
        end = max(start, min(node.end_mark.index, len(self.text)))
        return _span(self.source, self.starts, start, end)

    def build(self, node: yaml.Node, path: Path) -> Data:
        if id(node) in self.seen:
            if id(node) not in self.aliased:
                self.aliased.add(id(node))
                self.problems.append(
                    error(
                        "CR-E104",
                        "anchors and aliases are not supported: this anchored value is used "
                        "again through an alias",
                        self.span(node),
                        help="write the value out where it is needed; catalogs are read by "
                        "people and diffed line by line",
                    )
                )
            return None
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.problems.append(
                    error("CR-E101", f"document has more than {MAX_NODES} values", self.span(node))
                )
            return None
        self.positions.values[path] = self.span(node)
        builders: dict[type[yaml.Node], Callable[[Any, Path], Data]] = {
            yaml.MappingNode: self._mapping,
            yaml.SequenceNode: self._sequence,
            yaml.ScalarNode: self._scalar,
        }
        return builders[type(node)](node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> Data:
        if node.tag not in ("tag:yaml.org,2002:map",):
            self._bad_tag(node)
        result: dict[str, Data] = {}
        for key_node, value_node in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                self.problems.append(
                    error("CR-E105", "mapping keys must be plain text", self.span(key_node))
                )
                continue
            key = str(key_node.value)
            if key in result:
                first = self.positions.keys.get((*path, key))
                where = f" (first at line {first.line})" if first is not None else ""
                self.problems.append(
                    error("CR-E102", f"duplicate key `{key}`{where}", self.span(key_node))
                )
                continue
            self.positions.keys[(*path, key)] = self.span(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _sequence(self, node: yaml.SequenceNode, path: Path) -> Data:
        if node.tag != "tag:yaml.org,2002:seq":
            self._bad_tag(node)
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Data:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self._bad_tag(node)
            return str(node.value)
        if tag == "tag:yaml.org,2002:str":
            self.positions.chars[path] = _char_positions(node, self.text, self.span(node))
            return str(node.value)
        constructor = yaml.SafeLoader.yaml_constructors[tag]
        try:
            return constructor(_Loader(""), node)
        except (ValueError, yaml.YAMLError):
            return str(node.value)

    def _bad_tag(self, node: yaml.Node) -> None:
        self.problems.append(
            error(
                "CR-E103",
                f"unsupported YAML tag `{node.tag}`",
                self.span(node),
                help="catalogs use plain YAML: mappings, lists, text, numbers, true/false, null",
            )
        )


def _span(source: str, starts: tuple[int, ...], start: int, end: int) -> Span:
    """:func:`~credit_rules.spans.span_of` with the line starts computed once per text.

    (Computing them per value made loading quadratic in the size of the file.)
    """
    line = bisect.bisect_right(starts, start) - 1
    end_line = bisect.bisect_right(starts, end) - 1
    return Span(
        source,
        start,
        end,
        line + 1,
        start - starts[line] + 1,
        end_line + 1,
        end - starts[end_line] + 1,
    )


def _char_positions(node: yaml.ScalarNode, text: str, span: Span) -> tuple[tuple[int, int], ...]:
    """Align each character of a string scalar with its place in the source text.

    Works for plain, quoted and block scalars: folded line breaks map to the line end, escapes
    to their backslash. Where alignment fails, the last known position is repeated.
    """
    value = str(node.value)
    raw = text[node.start_mark.index : node.end_mark.index]
    line, column = span.line, span.column
    # (line, column) of each raw offset
    raw_positions: list[tuple[int, int]] = []
    for char in raw:
        raw_positions.append((line, column))
        if char == "\n":
            line, column = line + 1, 1
        else:
            column += 1
    result: list[tuple[int, int]] = []
    cursor = 0
    if node.style in ("|", ">"):
        first_break = raw.find("\n")
        cursor = first_break + 1 if first_break >= 0 else len(raw)
    elif node.style in ("'", '"'):
        cursor = 1
    last = raw_positions[min(cursor, len(raw_positions) - 1)] if raw_positions else (line, column)
    escapes = node.style == '"'
    for char in value:
        if escapes:
            cursor = _skip_escaped_breaks(raw, cursor)
            if raw.startswith("\\", cursor):
                last = raw_positions[cursor]
                cursor += _ESCAPE_LENGTHS.get(raw[cursor + 1 : cursor + 2], 2)
                result.append(last)
                continue
        probe = cursor
        limit = min(len(raw), cursor + 200)
        found = -1
        while probe < limit:
            candidate = raw[probe]
            if candidate == char or (char == " " and candidate == "\n"):
                found = probe
                break
            if char == "\n" and candidate == "\n":
                found = probe
                break
            probe += 1
        if found >= 0:
            last = raw_positions[found]
            cursor = found + 1
        result.append(last)
    return tuple(result)


#: length of a double-quoted escape by the character after the backslash (others: 2)
_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _skip_escaped_breaks(raw: str, cursor: int) -> int:
    """Past any escaped line breaks (backslash at a line end) and the indentation after them:
    they produce no character of the value."""
    while True:
        match = _ESCAPED_BREAK.match(raw, cursor)
        if match is None:
            return cursor
        cursor = match.end()


_ESCAPED_BREAK = re.compile(r"\\\r?\n[ \t]*")
