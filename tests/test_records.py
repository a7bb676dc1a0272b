"""Records input → Dossier: exact errors and positions, masking, JSON Lines, round trips."""

from __future__ import annotations

import copy
import datetime
import json
import pathlib
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import identifiers
from credit_rules.errors import RecordsError
from credit_rules.model import (
    NO_LENIENCE,
    Dossier,
    EffectiveDocument,
    LenienceFacts,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
)
from credit_rules.records import (
    Format,
    dossier_from_data,
    dossier_to_data,
    load_dossiers,
    load_dossiers_text,
)
from credit_rules.schema import load_schema
from credit_rules.spans import Span

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "records"
PERSON_ID = "11010519491231002X"  # GB 11643-1999's own example
COMPANY_USCC = "91350100M000100Y43"

Found = list[tuple[str, str, int, int]]


def errors(text: str, format: Format = "yaml") -> Found:
    """(code, message, line, column) of every diagnostic reading ``text`` raises, in order."""
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(text, source="d.yaml", format=format)
    found = []
    for d in caught.value.diagnostics:
        assert d.span is not None
        assert d.span.source == "d.yaml"
        found.append((d.code, d.message, d.span.line, d.span.column))
    return found


def company(records: str = "", extra: str = "") -> str:
    """A company dossier in YAML with the given record lines (each starting ``  - id:``)."""
    head = f"subject: {{id: E1, kind: legal_person, uscc: {COMPANY_USCC}{extra}}}\n"
    return head + ("records:\n" + records if records else "")


PENALTY = "  - {id: R1, kind: administrative_penalty, decided_on: 2024-03-01}\n"


# ---------------------------------------------------------------------------------------------
# Valid input


def test_company_fixture_reads_every_field() -> None:
    (dossier,) = load_dossiers(FIXTURES / "company.yaml")
    source = str(FIXTURES / "company.yaml")
    assert dossier.subject == Subject(
        "E1", SubjectKind.LEGAL_PERSON, "某食品有限公司", uscc=COMPANY_USCC, region="350100"
    )
    penalty, listing, rating = dossier.records
    assert penalty == Record(
        id="R1",
        subject_id="E1",
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        decided_on=datetime.date(2024, 3, 1),
        domain="food_drug",
        severity=Severity.SERIOUS,
        document=EffectiveDocument("行政处罚决定书", "X市监罚〔2024〕15号"),
        authority="X市市场监督管理局",
        tags=frozenset({"repeat_offence"}),
    )
    assert penalty.span is not None
    assert (penalty.span.source, penalty.span.line, penalty.span.column) == (source, 4, 5)
    # listed_on is decided_on for a list entry
    assert listing == Record(
        id="R2",
        subject_id="E1",
        kind=RecordKind.LIST_ENTRY,
        decided_on=datetime.date(2024, 4, 1),
        authority="X市市场监督管理局",
        list_name="serious_dishonesty",
        exit_on=datetime.date(2027, 4, 1),
        category="endanger_health_life",
    )
    assert rating == Record(
        id="R3",
        subject_id="E1",
        kind=RecordKind.RATING,
        decided_on=datetime.date(2024, 4, 15),
        scheme="tax",
        grade="C",
        valid_until=datetime.date(2025, 4, 15),
    )
    (representative,) = dossier.related
    assert representative == Related(
        role=Role.LEGAL_REPRESENTATIVE,
        subject=Subject(
            "P1",
            SubjectKind.NATURAL_PERSON,
            "张三",
            resident_id=PERSON_ID,
            birth_date=datetime.date(1949, 12, 31),
        ),
        records=(
            Record(
                id="R4",
                subject_id="P1",
                kind=RecordKind.LIST_ENTRY,
                decided_on=datetime.date(2023, 11, 20),
                document=EffectiveDocument("执行裁定书", "（2023）闽0102执1234号"),
                list_name="judgment_defaulter",
            ),
        ),
        since=datetime.date(2020, 1, 1),
    )


def test_json_lines_fixture_reads_one_dossier_per_line() -> None:
    dossiers = load_dossiers(FIXTURES / "dossiers.jsonl")
    assert [d.subject.id for d in dossiers] == ["E1", "P1", "E2"]
    assert [len(d.records) for d in dossiers] == [1, 1, 0]
    record = dossiers[1].records[0]
    assert (record.subject_id, record.decided_on) == ("P1", datetime.date(2023, 11, 20))
    # positions are those of the file, not of the line
    assert record.span is not None
    assert (record.span.line, record.span.column) == (3, 116)


def test_json_file_with_a_list_of_dossiers() -> None:
    text = json.dumps(
        [
            {"subject": {"id": "E1", "kind": "legal_person"}},
            {"subject": {"id": "P1", "kind": "natural_person", "birth_date": "2008-05-01"}},
        ]
    )
    dossiers = load_dossiers_text(text, source="d.json", format="json")
    assert dossiers == (
        Dossier(Subject("E1", SubjectKind.LEGAL_PERSON)),
        Dossier(Subject("P1", SubjectKind.NATURAL_PERSON, birth_date=datetime.date(2008, 5, 1))),
    )


def test_list_entry_may_give_both_dates_when_they_agree() -> None:
    text = company(
        "  - {id: R1, kind: list_entry, list: red_list, decided_on: 2024-01-02, "
        "listed_on: 2024-01-02}\n"
    )
    (dossier,) = load_dossiers_text(text, source="d.yaml", format="yaml")
    assert dossier.records[0].decided_on == datetime.date(2024, 1, 2)


def test_birth_date_defaults_from_the_resident_identity_number() -> None:
    text = f"subject: {{id: P1, kind: natural_person, resident_id: {PERSON_ID}}}\n"
    (dossier,) = load_dossiers_text(text, source="d.yaml", format="yaml")
    assert dossier.subject.birth_date == datetime.date(1949, 12, 31)


def test_person_without_identifiers_is_fine() -> None:
    (dossier,) = load_dossiers_text(
        "subject: {id: P1, kind: natural_person}\n", source="d.yaml", format="yaml"
    )
    assert dossier == Dossier(Subject("P1", SubjectKind.NATURAL_PERSON))


def test_empty_inputs_hold_no_dossier() -> None:
    assert load_dossiers_text("", source="d.yaml", format="yaml") == ()
    assert load_dossiers_text("\n  \n", source="d.jsonl", format="jsonl") == ()
    assert load_dossiers_text("[]", source="d.json", format="json") == ()


def test_json_lines_with_crlf_and_byte_order_mark() -> None:
    text = '\ufeff{"subject": {"id": "E1", "kind": "legal_person"}}\r\n\r\n{"subject": {}}\r\n'
    assert errors(text, "jsonl") == [
        ("CR-E111", "missing required field `id` in `subject`", 3, 13),
        ("CR-E111", "missing required field `kind` in `subject`", 3, 13),
    ]


def test_nulls_stand_for_absent_fields() -> None:
    text = company(
        "  - {id: R1, kind: administrative_penalty, decided_on: 2024-03-01, status_since: null, "
        "domain: null, document: null, dishonest: null, expires_on: null, tags: null, "
        "lenience: null}\nrelated: null\n"
    )
    (dossier,) = load_dossiers_text(text, source="d.yaml", format="yaml")
    assert dossier.records[0] == Record(
        "R1", "E1", RecordKind.ADMINISTRATIVE_PENALTY, datetime.date(2024, 3, 1)
    )


# ---------------------------------------------------------------------------------------------
# Records-specific errors, each exactly


def test_all_records_errors_of_a_file_at_once() -> None:
    path = FIXTURES / "invalid-identities.yaml"
    with pytest.raises(RecordsError) as caught:
        load_dossiers(path)
    assert str(caught.value).splitlines() == [
        f"{path}:2:60: CR-E201: subject `E1`: invalid unified social credit code "
        "`91350100M000100Y44`: check character `4` does not match, expected `3`",
        f"{path}:2:80: CR-E206: subject `E1`: an organisation (`legal_person`) has no resident "
        "identity number",
        f"{path}:8:19: CR-E203: record `R1`: `status_since` 2024-02-01 is before `decided_on` "
        "2024-03-01",
        f"{path}:9:9: CR-E204: duplicate record id `R1` (first at line 4)",
        f"{path}:10:17: CR-E205: record `R1`: subject `E2` is not the subject of this dossier `E1`",
        f"{path}:15:58: CR-E202: subject `P1`: invalid resident identity number "
        "`110105********0021`: check character `1` does not match, expected `X`",
    ]
    assert [d.catalog_path for d in caught.value.diagnostics] == [
        "subject.uscc",
        "subject.resident_id",
        "records[0].status_since",
        "records[1].id",
        "records[1].subject_id",
        "related[0].subject.resident_id",
    ]


def test_e201_lower_case_check_character() -> None:
    text = "subject: {id: E9, kind: legal_person, uscc: 91110000802100433b}\n"
    assert errors(text) == [
        (
            "CR-E201",
            "subject `E9`: invalid unified social credit code `91110000802100433b`: character "
            "`b` is not allowed: use upper-case `B`",
            1,
            45,
        )
    ]


def test_e201_empty_code() -> None:
    assert errors('subject: {id: E9, kind: legal_person, uscc: ""}\n') == [
        (
            "CR-E201",
            "subject `E9`: invalid unified social credit code ``: expected 18 characters, got 0",
            1,
            45,
        )
    ]


def test_e202_masks_the_number_and_its_birth_date() -> None:
    text = "subject: {id: P1, kind: natural_person, resident_id: 11010519490231002X}\n"
    assert errors(text) == [
        (
            "CR-E202",
            "subject `P1`: invalid resident identity number `110105********002X`: birth date "
            "`********` is not a real calendar date",
            1,
            54,
        )
    ]


def test_e202_birth_date_that_contradicts_the_number() -> None:
    text = (
        f"subject: {{id: P1, kind: natural_person, resident_id: {PERSON_ID}, "
        "birth_date: 1949-12-30}\n"
    )
    assert errors(text) == [
        (
            "CR-E202",
            "subject `P1`: `birth_date` 1949-12-30 is not the birth date in the resident "
            "identity number `110105********002X`",
            1,
            86,
        )
    ]


def test_e203_dates_out_of_order() -> None:
    records = (
        "  - {id: R1, kind: list_entry, list: red_list, listed_on: 2024-05-01, "
        "exit_on: 2024-04-30}\n"
        "  - {id: R2, kind: rating, scheme: tax, grade: A, decided_on: 2024-05-01, "
        "valid_until: 2023-05-01}\n"
        "  - {id: R3, kind: judgment, decided_on: 2024-05-01, expires_on: 2024-01-01}\n"
    )
    assert errors(company(records)) == [
        ("CR-E203", "record `R1`: `exit_on` 2024-04-30 is before `listed_on` 2024-05-01", 3, 80),
        (
            "CR-E203",
            "record `R2`: `valid_until` 2023-05-01 is before `decided_on` 2024-05-01",
            4,
            88,
        ),
        (
            "CR-E203",
            "record `R3`: `expires_on` 2024-01-01 is before `decided_on` 2024-05-01",
            5,
            66,
        ),
    ]


def test_e203_listed_on_and_decided_on_must_agree() -> None:
    records = (
        "  - {id: R1, kind: list_entry, list: red_list, decided_on: 2024-05-01, "
        "listed_on: 2024-05-02}\n"
    )
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(company(records), source="d.yaml", format="yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.short() == (
        "d.yaml:3:83: CR-E203: record `R1`: `listed_on` 2024-05-02 and `decided_on` 2024-05-01 "
        "disagree"
    )
    assert diagnostic.help == "`listed_on` is another name for `decided_on`: give one of them"


def test_e203_relation_until_before_since() -> None:
    text = (
        "subject: {id: E1, kind: legal_person}\n"
        "related:\n"
        "  - {role: director, since: 2020-01-01, until: 2019-12-31, subject: {id: P1, kind: "
        "natural_person}}\n"
    )
    assert errors(text) == [
        ("CR-E203", "related subject `P1`: `until` 2019-12-31 is before `since` 2020-01-01", 3, 48)
    ]


def test_e204_record_id_repeated_in_a_related_subject() -> None:
    text = (
        "subject: {id: E1, kind: legal_person}\n"
        "related:\n"
        "  - role: director\n"
        "    subject: {id: P1, kind: natural_person}\n"
        "    records:\n"
        "      - {id: R1, kind: judgment, decided_on: 2024-01-01, subject_id: P1}\n"
        "records:\n" + PENALTY
    )
    # "first" in the order of the file, though own records are read before related ones
    assert errors(text) == [("CR-E204", "duplicate record id `R1` (first at line 6)", 8, 10)]


def test_e205_related_record_about_another_subject() -> None:
    text = (
        "subject: {id: E1, kind: legal_person}\n"
        "related:\n"
        "  - role: legal_representative\n"
        "    subject: {id: P1, kind: natural_person}\n"
        "    records:\n"
        "      - {id: R1, subject_id: E1, kind: judgment, decided_on: 2024-01-01}\n"
    )
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(text, source="d.yaml", format="yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.short() == (
        "d.yaml:6:30: CR-E205: record `R1`: subject `E1` is not the related subject `P1`"
    )
    assert diagnostic.help == "list a record under the subject it is about"


def test_e206_identifiers_of_the_wrong_kind_of_subject() -> None:
    text = (
        "- subject: {id: E1, kind: individual_business, birth_date: 1990-01-01}\n"
        f"- subject: {{id: P1, kind: natural_person, uscc: {COMPANY_USCC}}}\n"
    )
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(text, source="d.yaml", format="yaml")
    assert [(d.short(), d.help) for d in caught.value.diagnostics] == [
        (
            "d.yaml:1:48: CR-E206: subject `E1`: an organisation (`individual_business`) has no "
            "birth date",
            None,
        ),
        (
            "d.yaml:2:43: CR-E206: subject `P1`: a natural person has no unified social credit "
            "code",
            "give it to the organisation, as a related subject",
        ),
    ]


def test_list_and_rating_fields_on_other_records() -> None:
    records = (
        "  - {id: R1, kind: administrative_penalty, listed_on: 2024-03-01, decided_on: "
        "2024-03-01, grade: A}\n"
    )
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(company(records), source="d.yaml", format="yaml")
    assert [(d.short(), d.help) for d in caught.value.diagnostics] == [
        (
            "d.yaml:3:44: CR-E110: unknown field `listed_on` in `records[0]`: only list entries "
            "(kind `list_entry`) have it",
            "use `decided_on`",
        ),
        (
            "d.yaml:3:91: CR-E110: unknown field `grade` in `records[0]`: only ratings "
            "(kind `rating`) have it",
            None,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Reading and schema errors (the catalog codes)


def test_yaml_syntax_error() -> None:
    assert errors("subject: {id: E1\nrecords: [\n") == [
        (
            "CR-E101",
            "invalid YAML: expected ',' or '}', but got ':' (while parsing a flow mapping)",
            2,
            8,
        )
    ]


def test_duplicate_key() -> None:
    assert errors("subject: {id: E1, kind: legal_person, id: E2}\n") == [
        ("CR-E102", "duplicate key `id` (first at line 1)", 1, 39)
    ]


def test_unknown_field_with_suggestion() -> None:
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(
            company("  - {id: R1, kind: judgment, decided_on: 2024-01-01, severty: serious}\n"),
            source="d.yaml",
            format="yaml",
        )
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.short() == "d.yaml:3:54: CR-E110: unknown field `severty` in `records[0]`"
    assert diagnostic.help == "did you mean `severity`?"


def test_enum_with_suggestion() -> None:
    assert errors(company("  - {id: R1, kind: judgement, decided_on: 2024-01-01}\n")) == [
        (
            "CR-E112",
            "`records[0].kind`: `judgement` is not one of `administrative_penalty`, "
            "`administrative_ruling`, `judgment`, `arbitration`, `list_entry`, `rating`, "
            "`credit_commitment`, `commendation`, `administrative_licence` "
            "(did you mean `judgment`?)",
            3,
            20,
        )
    ]


def test_missing_fields_by_kind() -> None:
    records = (
        "  - {id: R1, kind: judgment}\n"
        "  - {id: R2, kind: list_entry, decided_on: 2024-01-01}\n"
        "  - {id: R3, kind: list_entry, list: red_list}\n"
        "  - {id: R4, kind: rating, scheme: tax, decided_on: 2024-01-01}\n"
    )
    assert errors(company(records)) == [
        ("CR-E111", "missing required field `decided_on` in `records[0]`", 3, 5),
        ("CR-E111", "missing required field `list` in `records[1]`", 4, 5),
        ("CR-E111", "missing required field `decided_on` in `records[2]`", 5, 5),
        ("CR-E111", "missing required field `grade` in `records[3]`", 6, 5),
    ]


def test_dates_that_do_not_exist_and_dates_of_the_wrong_form() -> None:
    records = (
        "  - {id: R1, kind: judgment, decided_on: 2024-02-30}\n"
        "  - {id: R2, kind: judgment, decided_on: 2024/02/01}\n"
        '  - {id: R3, kind: judgment, decided_on: "２０２４-０１-０１"}\n'
    )
    assert errors(company(records)) == [
        ("CR-E113", "`records[0].decided_on`: `2024-02-30` is not a real date", 3, 42),
        (
            "CR-E113",
            "`records[1].decided_on`: `2024/02/01` is not a date written YYYY-MM-DD",
            4,
            42,
        ),
        (
            "CR-E113",
            "`records[2].decided_on`: `２０２４-０１-０１` is not a date written YYYY-MM-DD",
            5,
            42,
        ),
    ]


def test_digits_without_quotes_get_advice() -> None:
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(
            "subject: {id: E1, kind: legal_person, region: 350100}\n", source="d", format="yaml"
        )
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.short() == (
        "d:1:47: CR-E112: `subject.region`: expected text or null, got `350100`"
    )
    assert diagnostic.help == "digits without quotes are read as a number: put the value in quotes"


def test_json_syntax_error() -> None:
    assert errors('{"subject": {"id": "E1",\n "kind": "legal_person",}}', "json") == [
        ("CR-E101", "invalid JSON: expecting property name enclosed in double quotes", 2, 25)
    ]


def test_errors_of_every_dossier_in_a_list() -> None:
    text = (
        "- subject: {id: E1, kind: legal_person, uscc: 91350100M000100Y44}\n"
        "- subject: {id: E2, kind: legal_persn}\n"
        "- subject: {id: E3, kind: legal_person}\n"
        "  records: [{id: R1, kind: judgment, decided_on: 2024-01-01, subject_id: E1}]\n"
    )
    assert [(c, line, col) for c, _, line, col in errors(text)] == [
        ("CR-E201", 1, 47),
        ("CR-E112", 2, 27),
        ("CR-E205", 4, 74),
    ]


def test_unknown_suffix_and_missing_file(tmp_path: pathlib.Path) -> None:
    csv = tmp_path / "records.csv"
    csv.write_text("id,kind\n", encoding="utf-8")
    with pytest.raises(RecordsError) as caught:
        load_dossiers(csv)
    assert str(caught.value) == (
        f"{csv}:1:1: CR-E100: cannot read `{csv}`: records files end in `.yaml`, `.yml`, "
        "`.json` or `.jsonl`"
    )
    missing = tmp_path / "missing.json"
    with pytest.raises(RecordsError) as caught:
        load_dossiers(missing)
    assert str(caught.value) == (
        f"{missing}:1:1: CR-E100: cannot read `{missing}`: no such file or directory"
    )


def test_non_utf8_records_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("subject: {id: E1, kind: legal_person, name: 某公司}\n".encode("gbk"))
    with pytest.raises(RecordsError) as caught:
        load_dossiers(path)
    # GBK 某 (C4 B3) happens to be valid UTF-8 too; 公 (B9 AB) is not
    assert str(caught.value) == (
        f"{path}:1:46: CR-E100: file is not UTF-8 text: byte 46 cannot be decoded"
    )


# ---------------------------------------------------------------------------------------------
# JSON Lines: positions in the file


def test_json_lines_errors_carry_the_line_of_the_file() -> None:
    path = FIXTURES / "invalid.jsonl"
    with pytest.raises(RecordsError) as caught:
        load_dossiers(path)
    assert str(caught.value).splitlines() == [
        f"{path}:3:50: CR-E101: invalid JSON: expecting property name enclosed in double quotes",
        f"{path}:4:1: CR-E112: a JSON Lines line holds one dossier (a mapping), got a list",
        f"{path}:5:34: CR-E112: `subject.kind`: `legal_persn` is not one of `legal_person`, "
        "`unincorporated_org`, `individual_business`, `natural_person`, `public_institution` "
        "(did you mean `legal_person`?)",
        f"{path}:6:58: CR-E201: subject `E5`: invalid unified social credit code "
        "`91350100M000100Y44`: check character `4` does not match, expected `3`",
        f"{path}:7:102: CR-E111: missing required field `grade` in `records[0]`",
    ]


def test_json_lines_offsets_are_offsets_of_the_file() -> None:
    text = '\n{"subject": {"id": "E1", "kind": "legal_person", "uscc": "x"}}\n'
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(text, source="d.jsonl", format="jsonl")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span == Span("d.jsonl", 58, 61, 2, 58, 2, 61)
    assert text[58:61] == '"x"'


# ---------------------------------------------------------------------------------------------
# Masking: a resident identity number is never printed in full


def test_resident_identity_numbers_are_masked_wherever_they_appear() -> None:
    text = (
        f"subject: {{id: {PERSON_ID}, kind: legal_person, resident_id: '{PERSON_ID}'}}\n"
        "records:\n"
        "  - {id: R1, kind: judgment, decided_on: 2024-01-01, subject_id: '440524188001010014'}\n"
        "related:\n"
        "  - role: director\n"
        f"    subject: {{id: P2, kind: natural_person, resident_id: '{PERSON_ID[:-1]}1'}}\n"
    )
    with pytest.raises(RecordsError) as caught:
        load_dossiers_text(text, source="d.yaml", format="yaml")
    rendered = str(caught.value)
    assert PERSON_ID not in rendered
    assert "440524188001010014" not in rendered
    assert rendered.splitlines() == [
        "d.yaml:1:55: CR-E206: subject `110105********002X`: an organisation (`legal_person`) has "
        "no resident identity number",
        "d.yaml:3:66: CR-E205: record `R1`: subject `440524********0014` is not the subject of "
        "this dossier `110105********002X`",
        "d.yaml:6:58: CR-E202: subject `P2`: invalid resident identity number "
        "`110105********0021`: check character `1` does not match, expected `X`",
    ]


def test_resident_identity_number_written_as_a_number_is_masked_too() -> None:
    text = f"subject: {{id: P1, kind: natural_person, resident_id: {PERSON_ID[:-1]}9}}\n"
    assert errors(text) == [
        (
            "CR-E112",
            "`subject.resident_id`: expected text or null, got `110105********0029`",
            1,
            54,
        )
    ]


# ---------------------------------------------------------------------------------------------
# Data from API callers


def test_dossier_from_data_accepts_dates_and_enums() -> None:
    dossier = dossier_from_data(
        {
            "subject": {"id": "E1", "kind": SubjectKind.LEGAL_PERSON},
            "records": (
                {
                    "id": "R1",
                    "kind": RecordKind.JUDGMENT,
                    "decided_on": datetime.date(2024, 1, 1),
                    "tags": frozenset({"refuse_perform", "fraud"}),
                },
            ),
        }
    )
    assert dossier == Dossier(
        Subject("E1", SubjectKind.LEGAL_PERSON),
        (
            Record(
                "R1",
                "E1",
                RecordKind.JUDGMENT,
                datetime.date(2024, 1, 1),
                tags=frozenset({"refuse_perform", "fraud"}),
            ),
        ),
    )
    assert dossier.records[0].span is None


def test_dossier_from_data_errors_name_the_field() -> None:
    data = {
        "subject": {"id": "E1", "kind": "legal_person", "uscc": "91350100M000100Y44"},
        "records": [{"id": "R1", "kind": "judgment", "decided_on": "2024-02-30"}],
    }
    with pytest.raises(RecordsError) as caught:
        dossier_from_data(data, source="request-7")
    assert [(d.short(), d.catalog_path) for d in caught.value.diagnostics] == [
        (
            "request-7:1:1: CR-E113: `records[0].decided_on`: `2024-02-30` is not a real date",
            "records[0].decided_on",
        )
    ]
    del data["records"]
    with pytest.raises(RecordsError) as caught:
        dossier_from_data(data, source="request-7")
    assert [(d.short(), d.catalog_path) for d in caught.value.diagnostics] == [
        (
            "request-7:1:1: CR-E201: subject `E1`: invalid unified social credit code "
            "`91350100M000100Y44`: check character `4` does not match, expected `3`",
            "subject.uscc",
        )
    ]


def test_dossier_from_data_duplicate_ids_name_the_first_by_path() -> None:
    data = {
        "subject": {"id": "E1", "kind": "legal_person"},
        "records": [
            {"id": "R1", "kind": "judgment", "decided_on": "2024-01-01"},
            {"id": "R1", "kind": "judgment", "decided_on": "2024-01-02"},
        ],
    }
    with pytest.raises(RecordsError) as caught:
        dossier_from_data(data)
    assert str(caught.value) == (
        "<data>:1:1: CR-E204: duplicate record id `R1` (first at `records[0]`)"
    )


def test_dossier_from_data_refuses_a_list() -> None:
    with pytest.raises(RecordsError) as caught:
        dossier_from_data([{"subject": {"id": "E1", "kind": "legal_person"}}])  # type: ignore[arg-type]
    assert str(caught.value) == (
        "<data>:1:1: CR-E112: expected one dossier (a mapping), got a list"
    )


def test_dossier_to_data_of_the_fixture() -> None:
    (dossier,) = load_dossiers(FIXTURES / "company.yaml")
    data = dossier_to_data(dossier)
    assert data["subject"] == {
        "id": "E1",
        "kind": "legal_person",
        "name": "某食品有限公司",
        "uscc": COMPANY_USCC,
        "region": "350100",
    }
    assert data["records"][1] == {
        "id": "R2",
        "subject_id": "E1",
        "kind": "list_entry",
        "decided_on": "2024-04-01",
        "authority": "X市市场监督管理局",
        "list": "serious_dishonesty",
        "exit_on": "2027-04-01",
        "category": "endanger_health_life",
    }
    assert data["related"][0]["subject"]["birth_date"] == "1949-12-31"
    assert dossier_from_data(data) == dossier
    assert json.loads(json.dumps(data)) == data


# ---------------------------------------------------------------------------------------------
# The schema


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema with ``properties``, outside ``if`` tests (which only select)."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema)
        for key, value in schema.items():
            if key not in ("if", "properties"):
                found.extend(_objects(value))
        for value in schema.get("properties", {}).values():
            found.extend(_objects(value))
    elif isinstance(schema, list):
        for item in schema:
            found.extend(_objects(item))
    return found


def test_schema_objects_are_closed_and_every_field_is_described() -> None:
    schema = load_schema("records")
    objects = _objects(schema)
    assert len(objects) == 6  # dossier, related, subject, record, document, lenience
    for item in objects:
        assert item["additionalProperties"] is False
        undescribed = [k for k, v in item["properties"].items() if "description" not in v]
        assert undescribed in ([], ["subject"])  # a $ref carries its own description


def test_schema_enumerations_are_the_model_enumerations() -> None:
    definitions = load_schema("records")["$defs"]
    record = definitions["record"]["properties"]
    assert record["kind"]["enum"] == list(RecordKind.names())
    assert record["status"]["enum"] == list(RecordStatus.names())
    assert record["severity"]["enum"] == list(Severity.names())
    assert definitions["subject"]["properties"]["kind"]["enum"] == list(SubjectKind.names())
    assert definitions["related"]["properties"]["role"]["enum"] == list(Role.names())


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def usccs(draw: st.DrawFn) -> str:
    """A valid unified social credit code."""
    alphabet = identifiers.USCC_ALPHABET
    head = draw(st.text(alphabet, min_size=2, max_size=2))
    division = draw(st.text("0123456789", min_size=6, max_size=6))
    body = draw(st.text(alphabet, min_size=9, max_size=9))
    first17 = head + division + body
    return first17 + identifiers.uscc_check_character(first17)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid resident identity number."""
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2024, 12, 31)))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = region + born.strftime("%Y%m%d") + sequence
    return first17 + identifiers.resident_id_check_character(first17)


# (PyYAML writes NEL and the Unicode line separators unescaped, and then reads them as line
# breaks: a YAML 1.1 quirk of the dumper, not of our loader)
TEXT = st.text(st.characters(exclude_characters="\x85\u2028\u2029"), min_size=1, max_size=12)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
DATES = st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31))


def later(start: datetime.date) -> st.SearchStrategy[datetime.date | None]:
    """None, or a date on or after ``start``."""
    return st.none() | st.dates(start, datetime.date(2035, 12, 31))


@st.composite
def subjects(draw: st.DrawFn, subject_id: str) -> Subject:
    """A valid subject of any kind with identifiers that fit it."""
    kind = draw(st.sampled_from(list(SubjectKind)))
    person = kind is SubjectKind.NATURAL_PERSON
    resident_id = draw(st.none() | resident_ids()) if person else None
    born = None
    if resident_id is not None:
        born = identifiers.birth_date(resident_id)
    elif person:
        born = draw(st.none() | DATES)
    return Subject(
        id=subject_id,
        kind=kind,
        name=draw(st.just("") | TEXT),
        uscc=None if person else draw(st.none() | usccs()),
        resident_id=resident_id,
        region=draw(st.none() | st.from_regex(r"[0-9]{6}", fullmatch=True)),
        state_owned=draw(st.booleans()),
        birth_date=born,
    )


@st.composite
def records(draw: st.DrawFn, record_id: str, subject_id: str) -> Record:
    """A valid record: kind-specific fields only where they belong, dates in order."""
    kind = draw(st.sampled_from(list(RecordKind)))
    decided = draw(DATES)
    is_list = kind is RecordKind.LIST_ENTRY
    is_rating = kind is RecordKind.RATING
    return Record(
        id=record_id,
        subject_id=subject_id,
        kind=kind,
        decided_on=decided,
        domain=draw(st.none() | NAMES),
        severity=draw(st.none() | st.sampled_from(list(Severity))),
        document=draw(st.none() | st.builds(EffectiveDocument, TEXT, st.none() | TEXT)),
        authority=draw(st.none() | TEXT),
        status=draw(st.sampled_from(list(RecordStatus))),
        status_since=draw(later(decided)),
        tags=frozenset(draw(st.sets(NAMES, max_size=3))),
        lenience=draw(st.builds(LenienceFacts, st.booleans(), st.booleans(), st.booleans())),
        list_name=draw(NAMES) if is_list else None,
        exit_on=draw(later(decided)) if is_list else None,
        category=draw(st.none() | NAMES),
        scheme=draw(NAMES) if is_rating else None,
        grade=draw(TEXT) if is_rating else None,
        valid_until=draw(later(decided)) if is_rating else None,
        expires_on=draw(later(decided)),
        dishonest=draw(st.sampled_from([None, True, False])),
    )


@st.composite
def dossiers(draw: st.DrawFn) -> Dossier:
    """A valid dossier: unique record ids, records about the subject they are listed under."""
    counter = iter(range(1000))
    subject = draw(subjects("S"))
    own = tuple(
        draw(records(f"R{next(counter)}", subject.id)) for _ in range(draw(st.integers(0, 3)))
    )
    related = []
    for index in range(draw(st.integers(0, 2))):
        other = draw(subjects(f"P{index}"))
        since = draw(st.none() | DATES)
        related.append(
            Related(
                role=draw(st.sampled_from(list(Role))),
                subject=other,
                records=tuple(
                    draw(records(f"R{next(counter)}", other.id))
                    for _ in range(draw(st.integers(0, 2)))
                ),
                since=since,
                until=draw(later(since) if since is not None else st.none() | DATES),
            )
        )
    return Dossier(subject, own, tuple(related))


@settings(max_examples=150, deadline=None)
@given(dossiers())
def test_dossiers_round_trip_through_data(dossier: Dossier) -> None:
    assert dossier_from_data(dossier_to_data(dossier)) == dossier


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(dossiers(), max_size=3))
def test_dossiers_round_trip_through_json_yaml_and_json_lines(batch: list[Dossier]) -> None:
    data = [dossier_to_data(d) for d in batch]
    as_json = json.dumps(data, ensure_ascii=False, indent=1)
    as_lines = "\n".join(json.dumps(d, ensure_ascii=False) for d in data)
    as_yaml = yaml.safe_dump(data, allow_unicode=True)
    assert load_dossiers_text(as_json, source="d.json", format="json") == tuple(batch)
    assert load_dossiers_text(as_lines, source="d.jsonl", format="jsonl") == tuple(batch)
    assert load_dossiers_text(as_yaml, source="d.yaml", format="yaml") == tuple(batch)


def _records_outcome(load: Any, *args: Any, **kwargs: Any) -> tuple[Any, tuple[Any, ...]]:
    """What a reader returns, or the diagnostics of its RecordsError (anything else fails)."""
    try:
        return load(*args, **kwargs), ()
    except RecordsError as exc:
        return None, exc.diagnostics


def _assert_one_line_positioned(diagnostics: tuple[Any, ...], source: str) -> None:
    for d in diagnostics:
        assert d.span is not None
        assert (d.span.source, d.span.line >= 1, d.span.column >= 1) == (source, True, True)
        assert "\n" not in d.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([".yaml", ".json", ".jsonl"]))
def test_random_bytes_give_dossiers_or_records_errors(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"r{suffix}"
    path.write_bytes(raw)
    _, diagnostics = _records_outcome(load_dossiers, path)
    _assert_one_line_positioned(diagnostics, str(path))


RECORDISH = st.sampled_from(
    [
        *"{}[],:-'\" \n\t#&*!|>0123456789",
        "subject: ",
        "records: ",
        "related: ",
        "id: ",
        "kind: ",
        "legal_person",
        "natural_person",
        "list_entry",
        "decided_on: ",
        "2024-02-30",
        "2024-01-01",
        "uscc: ",
        COMPANY_USCC,
        "resident_id: ",
        PERSON_ID,
        '"subject"',
        '"id"',
        "\n  - ",
        "\n    ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORDISH, max_size=40).map("".join), st.sampled_from(["yaml", "json", "jsonl"]))
def test_random_text_gives_dossiers_or_records_errors(text: str, form: Format) -> None:
    _, diagnostics = _records_outcome(load_dossiers_text, text, source="r", format=form)
    _assert_one_line_positioned(diagnostics, "r")
    # nothing that looks like a resident identity number is left unmasked
    assert all(identifiers.mask_identifiers(d.message) == d.message for d in diagnostics)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*prefix, index)))
    return found


FIXTURE_DATA = dossier_to_data(load_dossiers(FIXTURES / "company.yaml")[0])
FIXTURE_PATHS = _paths(FIXTURE_DATA)[1:]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**18),
    st.text(max_size=6),
    st.sampled_from(
        ["2024-02-30", "2024-01-01", "2099-01-01", "E1", "P1", "R1", "list_entry", "rating", ""]
    ),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.sampled_from(["id", "kind", "x"]), st.text(max_size=3), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(FIXTURE_PATHS), st.sampled_from(["drop", "rename", "retype"]), ODD
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_dossiers_give_a_dossier_or_records_errors(
    mutations: list[tuple[tuple[Any, ...], str, Any]],
) -> None:
    data = copy.deepcopy(FIXTURE_DATA)
    for path, operation, value in mutations:
        parent: Any = data
        for part in path[:-1]:
            present = (isinstance(parent, dict) and part in parent) or (
                isinstance(parent, list) and isinstance(part, int) and part < len(parent)
            )
            if not present:
                break
            parent = parent[part]
        else:
            last = path[-1]
            if isinstance(parent, dict) and last in parent:
                if operation == "rename":
                    parent[f"{last}x"] = parent.pop(last)
                elif operation == "drop":
                    del parent[last]
                else:
                    parent[last] = value
            elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                parent[last] = value
    text = yaml.safe_dump(data, allow_unicode=True)
    dossiers, diagnostics = _records_outcome(
        load_dossiers_text, text, source="m.yaml", format="yaml"
    )
    _assert_one_line_positioned(diagnostics, "m.yaml")
    if dossiers is not None:
        assert [type(d) for d in dossiers] == [Dossier]


def test_records_without_lenience_facts_share_one_value() -> None:
    # facts.build_facts skips the lenience tests by identity with NO_LENIENCE
    dossier = dossier_from_data(
        {
            "subject": {"id": "S1", "kind": "legal_person", "name": "甲公司"},
            "records": [
                {"id": "P1", "kind": "judgment", "decided_on": "2024-01-02"},
                {
                    "id": "P2",
                    "kind": "judgment",
                    "decided_on": "2024-01-03",
                    "lenience": {"minor": False, "force_majeure": False},
                },
                {
                    "id": "P3",
                    "kind": "judgment",
                    "decided_on": "2024-01-04",
                    "lenience": {"force_majeure": True},
                },
            ],
        }
    )
    first, second, third = (record.lenience for record in dossier.records)
    assert first is NO_LENIENCE
    assert second is NO_LENIENCE
    assert third == LenienceFacts(force_majeure=True)
    assert third is not NO_LENIENCE
