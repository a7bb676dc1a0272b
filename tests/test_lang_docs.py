"""Every example in docs/language.md: parsed, checked, evaluated, with its stated result."""

from __future__ import annotations

import datetime
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from credit_rules.check import check
from credit_rules.compile import compile_condition, make_env
from credit_rules.errors import CreditRulesError
from credit_rules.facts import build_facts
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    LenienceAction,
    LenienceFacts,
    ListDef,
    ListKind,
    Period,
    Policy,
    PublicationPeriod,
    RatingScheme,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
    Vocabulary,
)
from credit_rules.parser import grammar_text, parse
from reference_interpreter import evaluate

DOC = (Path(__file__).parent.parent / "docs" / "language.md").read_text("utf-8")
BLOCKS = [
    (match.group(1).strip(), match.group(2))
    for match in re.finditer(r"^```([^\n`]*)\n(.*?)^```$", DOC, re.MULTILINE | re.DOTALL)
]


def _blocks(info: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == info]


def _pairs(second: str) -> list[tuple[str, str]]:
    """(condition, the block of kind ``second`` right after it)."""
    pairs = []
    for (kind, body), (next_kind, next_body) in itertools.pairwise(BLOCKS):
        if kind == "condition" and next_kind == second:
            pairs.append((body.strip(), next_body))
    return pairs


def _vocabulary_and_policy() -> tuple[Vocabulary, Policy]:
    (text,) = _blocks("yaml vocabulary")
    data = yaml.safe_load(text)
    words = data["vocabulary"]
    vocabulary = Vocabulary(
        lists={
            name: ListDef(
                name,
                spec["title"],
                ListKind(spec["kind"]),
                Severity(spec["gravity"]) if "gravity" in spec else None,
                spec.get("category"),
            )
            for name, spec in words["lists"].items()
        },
        domains=words["domains"],
        ratings={
            name: RatingScheme(name, spec["title"], tuple(spec["grades"]))
            for name, spec in words["ratings"].items()
        },
        tags=words["tags"],
    )
    policy_data = data["policy"]
    policy = Policy(
        publication={
            Severity(severity): PublicationPeriod(Period.parse(p["min"]), Period.parse(p["max"]))
            for severity, p in policy_data["publication"].items()
        },
        lenience={fact: LenienceAction(action) for fact, action in policy_data["lenience"].items()},
    )
    return vocabulary, policy


VOCABULARY, POLICY = _vocabulary_and_policy()
EXAMPLES = _pairs("yaml example")
ERRORS = _pairs("text error")


def test_the_doc_has_every_example() -> None:
    assert len(_blocks("condition")) == 23
    assert (len(EXAMPLES), len(ERRORS)) == (18, 5)


def test_the_grammar_in_the_doc_is_the_shipped_grammar() -> None:
    (lark_text,) = _blocks("lark")
    assert lark_text == grammar_text()


def test_the_opening_examples_check() -> None:
    opening = _blocks("text")[0].strip().splitlines()
    assert len(opening) == 6
    for line in opening:
        check(parse(line), VOCABULARY)


def _date(value: Any) -> datetime.date | None:
    assert value is None or isinstance(value, datetime.date)
    return value


def _subject(data: dict[str, Any]) -> Subject:
    return Subject(
        id=data["id"],
        kind=SubjectKind(data["kind"]),
        region=data.get("region"),
        state_owned=data.get("state_owned", False),
        birth_date=_date(data.get("birth_date")),
    )


def _record(data: dict[str, Any], subject_id: str) -> Record:
    known = {
        "id", "kind", "decided_on", "domain", "severity", "document", "authority", "status",
        "status_since", "tags", "list", "exit_on", "category", "scheme", "grade", "valid_until",
        "expires_on", "dishonest", "lenience",
    }  # fmt: skip
    assert set(data) <= known, set(data) - known
    return Record(
        id=data["id"],
        subject_id=subject_id,
        kind=RecordKind(data["kind"]),
        decided_on=data["decided_on"],
        domain=data.get("domain"),
        severity=Severity(data["severity"]) if "severity" in data else None,
        document=EffectiveDocument(data["document"]) if "document" in data else None,
        authority=data.get("authority"),
        status=RecordStatus(data.get("status", "active")),
        status_since=_date(data.get("status_since")),
        tags=frozenset(data.get("tags", ())),
        lenience=LenienceFacts(**data.get("lenience", {})),
        list_name=data.get("list"),
        exit_on=_date(data.get("exit_on")),
        category=data.get("category"),
        scheme=data.get("scheme"),
        grade=data.get("grade"),
        valid_until=_date(data.get("valid_until")),
        expires_on=_date(data.get("expires_on")),
        dishonest=data.get("dishonest"),
    )


def _dossier(data: dict[str, Any]) -> Dossier:
    subject = _subject(data["subject"])
    related = tuple(
        Related(
            role=Role(item["role"]),
            subject=_subject(item["subject"]),
            records=tuple(_record(r, item["subject"]["id"]) for r in item.get("records", ())),
            since=_date(item.get("since")),
            until=_date(item.get("until")),
        )
        for item in data.get("related", ())
    )
    records = tuple(_record(r, subject.id) for r in data["records"])
    return Dossier(subject, records, related)


def _ids(witnesses: tuple[Record, ...] | None) -> list[str] | bool:
    return False if witnesses is None else [record.id for record in witnesses]


@pytest.mark.parametrize(("condition", "example"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_example(condition: str, example: str) -> None:
    data = yaml.safe_load(example)
    expected = {False: data["expect"], True: data.get("expect_with_pending", data["expect"])}
    facts = build_facts(_dossier(data), as_of=data["as_of"], vocabulary=VOCABULARY, policy=POLICY)
    expr = parse(condition)
    compiled = compile_condition(check(expr, VOCABULARY, source_text=condition), name="doc")
    for include_pending in (False, True):
        got = compiled(make_env(facts, include_pending=include_pending))
        assert _ids(got) == expected[include_pending]
        reference = evaluate(expr, facts, VOCABULARY, include_pending=include_pending)
        assert _ids(reference) == expected[include_pending]


@pytest.mark.parametrize(("condition", "rendered"), ERRORS, ids=[c for c, _ in ERRORS])
def test_error_example(condition: str, rendered: str) -> None:
    with pytest.raises(CreditRulesError) as caught:
        check(parse(condition), VOCABULARY)
    assert "\n".join(d.long(condition) for d in caught.value.diagnostics) == rendered.rstrip("\n")
