"""The positioned YAML and JSON loader: exact errors, exact positions, never a stray exception."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_rules.errors import CatalogYamlError, Diagnostic, RecordsError
from credit_rules.loader import Data, Positions, decode, load_json, load_yaml, read_file
from credit_rules.spans import Span

Outcome: TypeAlias = tuple[Positions | None, tuple[Diagnostic, ...]]


def problems(text: str, *, json: bool = False) -> list[tuple[str, str, int, int]]:
    """(code, message, line, column) of every diagnostic loading ``text`` raises."""
    with pytest.raises(CatalogYamlError) as caught:
        (load_json if json else load_yaml)(text, "x.yaml")
    found = []
    for d in caught.value.diagnostics:
        assert d.span is not None
        found.append((d.code, d.message, d.span.line, d.span.column))
    return found


# ---------------------------------------------------------------------------------------------
# YAML problems


def test_duplicate_key_is_reported_at_the_second_key_with_the_first_line() -> None:
    assert problems("a: 1\nb:\n  c: 1\n  c: 2\n") == [
        ("CR-E102", "duplicate key `c` (first at line 3)", 4, 3)
    ]


def test_every_duplicate_key_is_reported_at_once() -> None:
    assert problems("a: 1\na: 2\nb: 1\nb: 2\n") == [
        ("CR-E102", "duplicate key `a` (first at line 1)", 2, 1),
        ("CR-E102", "duplicate key `b` (first at line 3)", 4, 1),
    ]


def test_python_object_tag_is_refused_without_running_anything() -> None:
    with pytest.raises(CatalogYamlError) as caught:
        load_yaml("a: !!python/object:os.system echo\n", "x.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "CR-E103"
    assert diagnostic.message == "unsupported YAML tag `tag:yaml.org,2002:python/object:os.system`"
    assert diagnostic.span == Span("x.yaml", 3, 33, 1, 4, 1, 34)
    assert diagnostic.help == (
        "catalogs use plain YAML: mappings, lists, text, numbers, true/false, null"
    )


def test_local_tags_binary_and_sets_are_refused() -> None:
    assert problems("a: !custom 1\nb: !!binary aGVsbG8=\nc: !!set {x}\n") == [
        ("CR-E103", "unsupported YAML tag `!custom`", 1, 4),
        ("CR-E103", "unsupported YAML tag `tag:yaml.org,2002:binary`", 2, 4),
        ("CR-E103", "unsupported YAML tag `tag:yaml.org,2002:set`", 3, 4),
    ]


def test_syntax_error_has_the_parser_message_line_and_column() -> None:
    assert problems("a:\n  - b\n c: d\n") == [
        (
            "CR-E101",
            "invalid YAML: expected <block end>, but found '<block mapping start>' "
            "(while parsing a block mapping)",
            3,
            2,
        )
    ]


def test_unclosed_flow_sequence_points_at_the_end_of_the_text() -> None:
    assert problems("- [1, 2\n- 3\n") == [
        (
            "CR-E101",
            "invalid YAML: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence)",
            3,
            1,
        )
    ]


def test_mapping_value_in_plain_scalar() -> None:
    assert problems("a: b: c\n") == [
        ("CR-E101", "invalid YAML: mapping values are not allowed here", 1, 5)
    ]


def test_control_character_is_a_positioned_one_line_error() -> None:
    assert problems("a: 1\n\x07b: 2\n") == [
        ("CR-E101", "invalid YAML: character `#x0007` is not allowed in YAML text", 2, 1)
    ]


def test_second_document_is_refused() -> None:
    assert problems("a: 1\n---\nb: 2\n") == [
        (
            "CR-E101",
            "invalid YAML: but found another document (expected a single document in the stream)",
            2,
            1,
        )
    ]


def test_complex_and_merge_keys_are_refused() -> None:
    assert problems("? [a]\n: 1\n") == [("CR-E105", "mapping keys must be plain text", 1, 3)]
    assert problems("<<: {a: 1}\n") == [("CR-E105", "mapping keys must be plain text", 1, 1)]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert problems("[" * 5000 + "]" * 5000) == [
        ("CR-E101", "invalid YAML: nested too deeply", 1, 1)
    ]


def test_dates_and_look_alikes_stay_text_as_written() -> None:
    data, _ = load_yaml("a: 2023-02-30\nb: 2024-01-01\nc: 0o17\nd: yes\ne: ~\nf: 1.5\n", "x")
    assert data == {
        "a": "2023-02-30",
        "b": "2024-01-01",
        "c": "0o17",
        "d": True,
        "e": None,
        "f": 1.5,
    }


def test_empty_document_is_none() -> None:
    assert load_yaml("", "x")[0] is None
    assert load_yaml("# only a comment\n", "x")[0] is None


# ---------------------------------------------------------------------------------------------
# Bytes: encoding and byte order mark


def test_non_utf8_bytes_are_a_positioned_error() -> None:
    with pytest.raises(CatalogYamlError) as caught:
        decode(b"a: 1\nb: \xff\xfe\n", "x.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "CR-E100"
    assert diagnostic.message == "file is not UTF-8 text: byte 8 cannot be decoded"
    assert diagnostic.span == Span("x.yaml", 8, 9, 2, 4, 2, 5)


def test_non_utf8_file_through_read_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("名称: 测试\n".encode("gbk"))
    with pytest.raises(CatalogYamlError) as caught:
        read_file(str(path))
    assert [d.short() for d in caught.value.diagnostics] == [
        f"{path}:1:1: CR-E100: file is not UTF-8 text: byte 0 cannot be decoded"
    ]


def test_read_file_raises_the_requested_error_class(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RecordsError) as caught:
        read_file(str(missing), RecordsError)
    assert [d.short() for d in caught.value.diagnostics] == [
        f"{missing}:1:1: CR-E100: cannot read `{missing}`: no such file or directory"
    ]


def test_byte_order_mark_is_dropped_by_decode() -> None:
    assert decode(b"\xef\xbb\xbfa: 1\n", "x") == "a: 1\n"


def test_byte_order_mark_in_yaml_text_does_not_shift_lines() -> None:
    data, positions = load_yaml("\ufeffa: 1\nb: 2\n", "x")
    assert data == {"a": 1, "b": 2}
    assert (positions.at(("b",)).line, positions.at(("b",)).column) == (2, 4)


def test_byte_order_mark_in_json_text_is_ignored() -> None:
    data, positions = load_json('\ufeff{"a": 1}', "x")
    assert data == {"a": 1}
    assert positions.at(("a",)) == Span("x", 6, 7, 1, 7, 1, 8)


# ---------------------------------------------------------------------------------------------
# Positions


def test_value_and_key_spans() -> None:
    _, positions = load_yaml("catalog:\n  id: cn\nmeasures:\n  - id: m1\n", "c.yaml")
    assert positions.at(("catalog", "id")) == Span("c.yaml", 15, 17, 2, 7, 2, 9)
    assert positions.at(("catalog", "id"), key=True) == Span("c.yaml", 11, 13, 2, 3, 2, 5)
    assert positions.at(("measures", 0, "id")) == Span("c.yaml", 36, 38, 4, 9, 4, 11)
    # an absent path falls back to its nearest ancestor
    assert positions.at(("measures", 0, "title")) == Span("c.yaml", 32, 39, 4, 5, 5, 1)


def test_per_character_positions_of_a_plain_scalar() -> None:
    _, positions = load_yaml("when: a or b\n", "c")
    assert positions.char_positions(("when",)) == (
        (1, 7),
        (1, 8),
        (1, 9),
        (1, 10),
        (1, 11),
        (1, 12),
    )


def test_per_character_positions_of_a_multi_line_plain_scalar() -> None:
    _, positions = load_yaml("when: a\n  b\n", "c")
    # the line break folds to a space, which maps to the line end
    assert positions.char_positions(("when",)) == ((1, 7), (1, 8), (2, 3))


def test_per_character_positions_of_a_single_quoted_scalar() -> None:
    data, positions = load_yaml("w: 'it''s'\n", "c")
    assert data == {"w": "it's"}
    assert positions.char_positions(("w",)) == ((1, 5), (1, 6), (1, 7), (1, 9))


def test_per_character_positions_of_a_double_quoted_scalar_with_escapes() -> None:
    text = 'w: "x\\ny\\u4e2d\\\\z\\\n   w"\n'
    data, positions = load_yaml(text, "c")
    assert data == {"w": "x\ny中\\zw"}
    # escapes map to their backslash; an escaped line break produces no character
    assert positions.char_positions(("w",)) == (
        (1, 5),
        (1, 6),
        (1, 8),
        (1, 9),
        (1, 15),
        (1, 17),
        (2, 4),
    )


def test_per_character_positions_of_a_literal_block_scalar() -> None:
    data, positions = load_yaml("w: |\n  ab\n  c\n", "c")
    assert data == {"w": "ab\nc\n"}
    assert positions.char_positions(("w",)) == ((2, 3), (2, 4), (2, 5), (3, 3), (3, 4))


def test_per_character_positions_of_a_folded_block_scalar() -> None:
    data, positions = load_yaml("w: >\n  ab\n  c\n", "c")
    assert data == {"w": "ab c\n"}
    assert positions.char_positions(("w",)) == ((2, 3), (2, 4), (2, 5), (3, 3), (3, 4))


def test_positions_of_a_long_document_are_exact() -> None:
    # (regression: spans were computed by rescanning the whole text for every value)
    text = "".join(f"k{i}: [a, b]\n" for i in range(5000))
    _, positions = load_yaml(text, "big")
    end = len(text)
    assert positions.at(("k4999", 1)) == Span("big", end - 3, end - 2, 5000, 12, 5000, 13)


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_data_is_what_json_reads() -> None:
    data, _ = load_json('{"a": 1e5, "b": -0.5, "c": "\\ud83d\\ude00", "d": [true, null]}', "j")
    assert data == {"a": 100000.0, "b": -0.5, "c": "😀", "d": [True, None]}


def test_json_positions_of_values_and_keys() -> None:
    text = '{\n  "a": "x",\n  "b": [1, {"c": null}]\n}'
    _, positions = load_json(text, "j")
    assert positions.at(("a",)) == Span("j", 9, 12, 2, 8, 2, 11)
    assert positions.at(("b",), key=True) == Span("j", 16, 19, 3, 3, 3, 6)
    assert positions.at(("b", 1, "c")) == Span("j", 31, 35, 3, 18, 3, 22)
    assert positions.at(()) == Span("j", 0, 39, 1, 1, 4, 2)


def test_json_per_character_positions_with_escapes() -> None:
    _, positions = load_json('{"a": "x\\ty\\ud83d\\ude00z"}', "j")
    assert positions.char_positions(("a",)) == ((1, 8), (1, 9), (1, 11), (1, 12), (1, 24))


def test_json_duplicate_key() -> None:
    assert problems('{"a": 1,\n "a": {"b": 2}}', json=True) == [
        ("CR-E102", "duplicate key `a` (first at line 1)", 2, 2)
    ]


def test_json_syntax_error() -> None:
    assert problems('{"a": [1, 2,]}', json=True) == [
        ("CR-E101", "invalid JSON: expecting value", 1, 13)
    ]


def test_json_empty_text() -> None:
    assert problems("  ", json=True) == [("CR-E101", "invalid JSON: expecting value", 1, 3)]


def test_json_control_characters_in_strings_are_refused() -> None:
    assert problems('{"a": "x\ty"}', json=True) == [
        ("CR-E101", "invalid JSON: invalid control character at", 1, 9)
    ]


def test_json_deep_nesting_is_an_error_not_a_crash() -> None:
    expected = [("CR-E101", "invalid JSON: nested too deeply", 1, 1)]
    assert problems("[" * 5000 + "]" * 5000, json=True) == expected
    assert problems("[" * 700 + "]" * 700, json=True) == expected


def test_json_too_long_integer_is_an_error_not_a_crash() -> None:
    assert problems("1" * 5000, json=True) == [
        ("CR-E101", "invalid JSON: a number is too long", 1, 1)
    ]


def test_json_accepts_characters_yaml_refuses() -> None:
    data, _ = load_json('{"a": "\x7f\u0085", "' + "k" * 2000 + '": 1}', "j")
    assert data == {"a": "\x7f\u0085", "k" * 2000: 1}


# ---------------------------------------------------------------------------------------------
# Properties: data or positioned errors, nothing else


YAML_ALPHABET = st.sampled_from(
    [
        *"abc:-?[]{},#&*!|>'\"%@` \t\n\\0123456789.",
        *("\n  ", "- ", ": ", "!!str ", "!!python/object ", "&a ", "*a", "---\n", "\ufeff", "中"),
    ]
)


def attempt(load: Callable[[str, str], tuple[Data, Positions]], text: str) -> Outcome:
    """Loaded positions, or the diagnostics of the loader's error (any other exception fails)."""
    try:
        return load(text, "r.yaml")[1], ()
    except CatalogYamlError as exc:
        return None, exc.diagnostics


def assert_well_formed(outcome: Outcome) -> None:
    """Either positions of values, or positioned one-line diagnostics."""
    positions, diagnostics = outcome
    if positions is None:
        assert diagnostics
        for d in diagnostics:
            assert d.span is not None
            assert (d.span.source, d.span.line >= 1, d.span.column >= 1) == ("r.yaml", True, True)
            assert "\n" not in d.message
    else:
        assert all(s.line >= 1 and s.column >= 1 for s in positions.values.values())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_give_data_or_positioned_errors(raw: bytes) -> None:
    try:
        text = decode(raw, "r.yaml")
    except CatalogYamlError as exc:
        assert_well_formed((None, exc.diagnostics))
        return
    assert_well_formed(attempt(load_yaml, text))
    assert_well_formed(attempt(load_json, text))


@settings(max_examples=500, deadline=None)
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_random_yaml_text_gives_data_or_positioned_errors(text: str) -> None:
    assert_well_formed(attempt(load_yaml, text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[],:"\\ntrufalse0123456789.eE+- \n\tu', max_size=60))
def test_random_json_text_gives_data_or_positioned_errors(text: str) -> None:
    assert_well_formed(attempt(load_json, text))


def test_an_alias_is_refused_at_its_anchor() -> None:
    """Regression (issue 2): CR-E104 was documented but never emitted; aliases are refused."""
    with pytest.raises(CatalogYamlError) as caught:
        load_yaml("a: &x {b: 1}\nc: *x\nd: *x\n", "t.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.short() == (
        "t.yaml:1:4: CR-E104: anchors and aliases are not supported: "
        "this anchored value is used again through an alias"
    )
