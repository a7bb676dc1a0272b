"""JSON Schema validation of loaded YAML/JSON, with errors placed at file:line:column.

Input: plain data and its :class:`~credit_rules.loader.Positions`. Output: diagnostics, every
schema violation at once, sorted. The schemas are package data (``schemas/*.json``) so YAML
editors can use them too (``credit-rules schema catalog``).
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from credit_rules.errors import Diagnostic, error
from credit_rules.loader import Data, Positions

SCHEMA_NAMES = ("catalog", "records", "cases", "decision")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema named ``catalog``, ``records`` or ``cases``."""
    text = (
        resources.files("credit_rules")
        .joinpath("schemas", f"{name}.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    # (``extend`` has no annotations in types-jsonschema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})  # type: ignore[no-untyped-call]
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=FORMATS)
    return validator


def _pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``pattern`` as JSON Schema (ECMA 262) means it, not as Python's ``re`` does.

    ``\\d`` matches ASCII digits only, and a final ``$`` does not match before a trailing line
    break, so ``"cn-national\\n"`` is not a valid id.
    """
    if not validator.is_type(instance, "string"):
        return
    match = re.search(pattern, instance, re.ASCII)
    if match is None or (pattern.endswith("$") and match.end() != len(instance)):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    """A real calendar date written YYYY-MM-DD."""
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        raise ValueError(f"`{value}` is not a date written YYYY-MM-DD")
    datetime.date.fromisoformat(value)
    return True


@FORMATS.checks("period", raises=ValueError)
def _is_period(value: object) -> bool:
    """An ISO 8601 period of years, months and days (P3Y, P6M, P1Y6M, P30D)."""
    if not isinstance(value, str):
        return True
    if not _PERIOD.match(value) or value == "P":
        raise ValueError(f"`{value}` is not a period such as `P3Y`, `P6M` or `P1Y6M`")
    return True


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PERIOD = re.compile(r"^P(\d+Y)?(\d+M)?(\d+D)?$")


def validate(data: Data, positions: Positions, schema: str) -> list[Diagnostic]:
    """Every violation of the named schema, one diagnostic per location and cause."""
    found: list[Diagnostic] = []
    for err in _validator(schema).iter_errors(data):
        found.extend(_diagnostics(err, positions))
    # A date or period of the wrong form also fails the editor-facing ``pattern``; the format
    # error says more, so it alone is kept.
    formats = {d.catalog_path for d in found if d.code in ("CR-E113", "CR-E114")}
    return [d for d in found if d.code != "CR-E112" or d.catalog_path not in formats]


def _schema_of(err: ValidationError) -> dict[str, Any]:
    schema: Any = err.schema
    return schema if isinstance(schema, dict) else {}


def _instance_keys(err: ValidationError) -> set[str]:
    instance: Any = err.instance
    return set(instance) if isinstance(instance, dict) else set()


def _value_of(err: ValidationError) -> Any:
    value: Any = err.validator_value
    return value


def _diagnostics(err: ValidationError, positions: Positions) -> Iterable[Diagnostic]:
    path = tuple(err.absolute_path)
    where = _path_text(path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(_schema_of(err).get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        for key in extra:
            suggestion = difflib.get_close_matches(key, allowed, n=1)
            yield error(
                "CR-E110",
                f"unknown field `{_escaped(str(key))}`" + (f" in `{where}`" if where else ""),
                positions.at((*path, key), key=True),
                help=f"did you mean `{suggestion[0]}`?"
                if suggestion
                else "allowed fields: " + ", ".join(allowed),
                catalog_path=_path_text((*path, key)),
            )
        return
    if err.validator == "propertyNames":
        key = str(err.instance)
        yield error(
            "CR-E112",
            f"name `{_escaped(key)}` in `{where}` must be lower-case snake_case",
            positions.at((*path, key), key=True),
            catalog_path=_path_text((*path, key)),
        )
        return
    if err.validator == "required":
        missing = [name for name in _value_of(err) if name not in (_instance_keys(err))]
        for name in missing:
            yield error(
                "CR-E111",
                f"missing required field `{name}`" + (f" in `{where}`" if where else ""),
                positions.at(path),
                catalog_path=where or None,
            )
        return
    if err.validator == "format":
        code = "CR-E113" if _value_of(err) == "date" else "CR-E114"
        cause = str(err.cause) if err.cause is not None else f"{_short(err.instance)} is not valid"
        if code == "CR-E113" and "YYYY" not in cause:
            cause = f"{_short(err.instance)} is not a real date"
        yield error(code, f"`{where}`: {cause}", positions.at(path), catalog_path=where or None)
        return
    if err.validator in ("oneOf", "anyOf") and _schema_of(err).get("description"):
        yield error(
            "CR-E112",
            f"`{where}`: {_short(err.instance)} is not {_schema_of(err)['description']}",
            positions.at(path),
            catalog_path=where or None,
        )
        return
    if err.validator in ("oneOf", "anyOf") and err.context:
        # The alternatives whose type fits the value say what is wrong with it.
        fitting = [e for e in err.context if e.validator != "type"]
        best = jsonschema.exceptions.best_match(fitting) if fitting else None
        if best is not None:
            yield from _diagnostics(best, positions)
            return
    yield error(
        "CR-E112",
        f"`{where or 'document'}`: {_message(err)}",
        positions.at(path),
        catalog_path=where or None,
    )


def _message(err: ValidationError) -> str:
    value = err.instance
    shown = _short(value)
    validator = err.validator
    if validator == "enum":
        choices = ", ".join(f"`{c}`" for c in _value_of(err))
        suggestion = difflib.get_close_matches(str(value), [str(c) for c in _value_of(err)], n=1)
        hint = f" (did you mean `{suggestion[0]}`?)" if suggestion else ""
        return f"{shown} is not one of {choices}{hint}"
    if validator == "type":
        expected = _value_of(err)
        words = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"expected {_type_words(words)}, got {shown}"
    if validator == "pattern":
        description = _schema_of(err).get("description")
        return f"{shown} is not {description}" if description else f"{shown} has the wrong form"
    if validator == "minItems":
        return f"needs at least {_value_of(err)} item(s)"
    if validator == "minLength":
        return "must not be empty"
    if validator == "uniqueItems":
        return "items must not repeat"
    if validator == "minProperties":
        return "must not be empty"
    if validator in ("oneOf", "anyOf"):
        description = _schema_of(err).get("description")
        return f"{shown} is not allowed here" + (f": expected {description}" if description else "")
    return err.message.replace("\n", " ")


def _type_words(words: str) -> str:
    return (
        words.replace("object", "a mapping")
        .replace("array", "a list")
        .replace("string", "text")
        .replace("boolean", "true or false")
        .replace("integer", "a whole number")
        .replace("number", "a number")
        .replace("null", "null")
    )


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    text = _escaped(str(value))
    if len(text) > 40:
        text = text[:37] + "..."
    return f"`{text}`"


def _path_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{_escaped(str(part))}" if text else _escaped(str(part))
    return text


def _escaped(text: str) -> str:
    """User text fit for a one-line message: line breaks and other controls as escapes."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
