"""Catalog files → layered Catalog: valid fixtures, every error code exactly, fingerprints."""

from __future__ import annotations

import copy
import datetime
import pathlib
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules.catalog import load_catalog, load_catalog_text
from credit_rules.errors import CatalogSchemaError, CatalogYamlError, CreditRulesError
from credit_rules.model import (
    CatalogLevel,
    Duration,
    DurationKind,
    Impact,
    Implementer,
    LegalBasis,
    LenienceAction,
    ListDef,
    ListKind,
    MeasureKind,
    MeasureList,
    Period,
    PublicationPeriod,
    Rank,
    RatingScheme,
    Role,
    Sector,
    Severity,
    SubjectKind,
)
from credit_rules.spans import Span

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "catalogs"
LAYERED = FIXTURES / "layered"
INVALID = FIXTURES / "invalid"
BASIC_FILE = LAYERED / "basic" / "catalog.yaml"
#: a small valid catalog of one measure
SMALL = (INVALID / "E120-across-files" / "catalog.yaml").read_text(encoding="utf-8")

Found = list[tuple[str, str, str, int, int]]


def diagnostics_of(exc: CreditRulesError) -> Found:
    """(code, message, file, line, column) of every diagnostic, in the error's order."""
    found = []
    for d in exc.diagnostics:
        assert d.span is not None
        found.append((d.code, d.message, d.span.source, d.span.line, d.span.column))
    return found


def load_errors(
    *paths: pathlib.Path | str, kind: type[CreditRulesError] = CatalogSchemaError
) -> Found:
    with pytest.raises(kind) as caught:
        load_catalog(*paths)
    assert type(caught.value) is kind
    return diagnostics_of(caught.value)


def text_errors(text: str, kind: type[CreditRulesError] = CatalogSchemaError) -> Found:
    with pytest.raises(kind) as caught:
        load_catalog_text(text, "c.yaml")
    assert type(caught.value) is kind
    return diagnostics_of(caught.value)


# ---------------------------------------------------------------------------------------------
# Valid catalogs


def test_basic_catalog_metadata() -> None:
    catalog = load_catalog(BASIC_FILE)
    info = catalog.info
    assert (info.id, info.level, info.issuer, info.version) == (
        "cn-national",
        CatalogLevel.BASIC,
        "国家发展改革委、人民银行",
        "2022.1",
    )
    assert (info.effective_from, info.effective_until) == (datetime.date(2022, 12, 28), None)
    assert info.document is not None
    assert info.document.number == "发改财金规〔2022〕1917号"
    assert info.path == str(BASIC_FILE)
    assert catalog.layers == (info,)


def test_basic_catalog_vocabulary_and_policy() -> None:
    catalog = load_catalog(BASIC_FILE)
    vocabulary = catalog.vocabulary
    assert dict(vocabulary.lists) == {
        "judgment_defaulter": ListDef(
            "judgment_defaulter",
            "失信被执行人名单",
            ListKind.BLACK,
            Severity.SERIOUS,
            "refuse_legal_obligation",
        ),
        "serious_dishonesty": ListDef(
            "serious_dishonesty", "严重失信主体名单", ListKind.BLACK, Severity.SEVERE
        ),
        "red_list": ListDef("red_list", "红名单", ListKind.RED),
    }
    assert dict(vocabulary.domains) == {"food_drug": "食品药品", "tax": "税收"}
    assert dict(vocabulary.ratings) == {
        "tax": RatingScheme("tax", "纳税信用等级", ("A", "B", "M", "C", "D"))
    }
    assert dict(vocabulary.matters) == {
        "air_travel": "乘坐飞机",
        "government_procurement": "政府采购",
    }
    policy = catalog.policy
    assert dict(policy.publication) == {
        Severity.GENERAL: PublicationPeriod(Period(months=3), Period(years=1)),
        Severity.SERIOUS: PublicationPeriod(Period(years=1), Period(years=3)),
        Severity.SEVERE: PublicationPeriod(Period(years=1), Period(years=3)),
    }
    assert dict(policy.proportion) == {
        Impact.BENEFIT: None,
        Impact.SUPERVISION: Severity.GENERAL,
        Impact.DISCLOSURE: Severity.GENERAL,
        Impact.RESTRICT_BENEFITS: Severity.SERIOUS,
        Impact.RESTRICT_RIGHTS: Severity.SERIOUS,
        Impact.MARKET_BAN: Severity.SEVERE,
    }
    assert dict(policy.lenience) == {
        "minor": LenienceAction.SET_ASIDE,
        "force_majeure": LenienceAction.SET_ASIDE,
        "unintentional_minor": LenienceAction.SET_ASIDE,
        "unintentional": LenienceAction.REDUCE,
    }
    assert policy.listing_categories == (
        "endanger_health_life",
        "disrupt_market_order",
        "refuse_legal_obligation",
    )


def test_basic_catalog_measures() -> None:
    catalog = load_catalog(BASIC_FILE)
    assert [m.id for m in catalog.measures] == ["restrict-flight", "restrict-procurement"]
    flight = catalog.measure("restrict-flight")
    assert (flight.title, flight.kind, flight.list, flight.impact, flight.category) == (
        "限制乘坐飞机",
        MeasureKind.RESTRICTION,
        MeasureList.MANDATORY,
        Impact.RESTRICT_RIGHTS,
        "social",
    )
    assert flight.when == 'listed("judgment_defaulter")'
    assert flight.duration == Duration(DurationKind.WHILE_LISTED)
    assert flight.target_kinds == (SubjectKind.NATURAL_PERSON,)
    assert flight.target_roles == (Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL)
    assert flight.legal_basis == (
        LegalBasis(
            "最高人民法院关于限制被执行人高消费及有关消费的若干规定",
            Rank.JUDICIAL_INTERPRETATION,
            "法释〔2015〕17号",
            "第三条",
        ),
    )
    assert flight.implementers == (
        Implementer("民航局"),
        Implementer("航空公司", Sector.ENTERPRISE),
    )
    assert (flight.initiator, flight.applies_in, flight.catalog_id) == (
        "人民法院",
        ("air_travel",),
        "cn-national",
    )
    assert flight.span is not None
    assert (flight.span.line, flight.span.column) == (44, 5)
    assert flight.when_span == Span(str(BASIC_FILE), 1397, 1425, 50, 11, 50, 39)
    assert flight.when_positions[:3] == ((50, 11), (50, 12), (50, 13))
    procurement = catalog.measure("restrict-procurement")
    assert procurement.duration == Duration(DurationKind.PERIOD, Period(years=3))
    # a block scalar: the condition starts on the line after `when: |`
    assert procurement.when == 'listed("serious_dishonesty")\n'
    assert procurement.when_positions[:2] == ((65, 7), (65, 8))


def test_supplementary_directory_extends_basic_found_in_a_sibling_directory() -> None:
    catalog = load_catalog(LAYERED / "fujian")
    assert catalog.info.id == "fj-supplement"
    assert catalog.info.level is CatalogLevel.SUPPLEMENTARY
    assert catalog.info.extends == "cn-national"
    assert catalog.info.region == "350000"
    assert [layer.id for layer in catalog.layers] == ["cn-national", "fj-supplement"]
    # the basic catalog's second file (tax.yaml) and the supplement's second file both count
    assert [(m.id, m.catalog_id) for m in catalog.measures] == [
        ("restrict-flight", "cn-national"),
        ("restrict-procurement", "cn-national"),
        ("tax-a-green-channel", "cn-national"),
        ("fj-key-supervision", "fj-supplement"),
        ("fj-green-channel", "fj-supplement"),
    ]
    assert dict(catalog.vocabulary.domains) == {
        "food_drug": "食品药品",
        "tax": "税收",
        "environment": "生态环境",
    }
    assert catalog.policy.lenience["unintentional"] is LenienceAction.REDUCE


def test_loading_both_directories_gives_the_same_catalog() -> None:
    resolved = load_catalog(LAYERED / "fujian")
    explicit = load_catalog(LAYERED / "basic", LAYERED / "fujian")
    whole = load_catalog(LAYERED)
    assert explicit == resolved
    assert whole == resolved
    assert resolved.fingerprint == explicit.fingerprint


def test_sources_keep_the_text_of_every_file() -> None:
    catalog = load_catalog(LAYERED)
    assert sorted(path for path, _ in catalog.sources) == sorted(
        str(p) for p in LAYERED.rglob("*.yaml")
    )
    assert catalog.source_text(str(BASIC_FILE)) == BASIC_FILE.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Three mistakes at once


def test_three_different_mistakes_are_all_reported_in_order() -> None:
    path = str(INVALID / "three-mistakes.yaml")
    assert load_errors(path) == [
        ("CR-E113", "`catalog.effective_from`: `2023-02-30` is not a real date", path, 7, 19),
        ("CR-E110", "unknown field `implementor` in `measures[0]`", path, 19, 5),
        ("CR-E120", "duplicate measure id `restrict-flight` (first at line 9)", path, 20, 9),
    ]


def test_three_mistakes_rendered_one_per_line() -> None:
    path = str(INVALID / "three-mistakes.yaml")
    with pytest.raises(CatalogSchemaError) as caught:
        load_catalog(path)
    assert str(caught.value) == "\n".join(
        [
            f"{path}:7:19: CR-E113: `catalog.effective_from`: `2023-02-30` is not a real date",
            f"{path}:19:5: CR-E110: unknown field `implementor` in `measures[0]`",
            f"{path}:20:9: CR-E120: duplicate measure id `restrict-flight` (first at line 9)",
        ]
    )
    assert caught.value.diagnostics[1].help == "did you mean `implementers`?"


# ---------------------------------------------------------------------------------------------
# Each error code in isolation


def test_e100_missing_file(tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    assert load_errors(missing, kind=CatalogYamlError) == [
        ("CR-E100", f"cannot read `{missing}`: no such file or directory", missing, 1, 1)
    ]


def test_e100_directory_without_catalog_files(tmp_path: pathlib.Path) -> None:
    (tmp_path / "notes.txt").write_text("not a catalog", encoding="utf-8")
    assert load_errors(tmp_path, kind=CatalogYamlError) == [
        (
            "CR-E100",
            f"no catalog file (`.yaml` or `.yml`) in directory `{tmp_path}`",
            str(tmp_path),
            1,
            1,
        )
    ]


def test_e100_file_that_is_not_utf8(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gbk.yaml"
    # GBK 小 (D0 A1) happens to be valid UTF-8 too; 清 (C7 E5) is not
    path.write_bytes("catalog:\n  title: 小清单\n".encode("gbk"))
    assert load_errors(path, kind=CatalogYamlError) == [
        ("CR-E100", "file is not UTF-8 text: byte 20 cannot be decoded", str(path), 2, 11)
    ]


INVALID_CASES: list[tuple[str, Found]] = [
    (
        "E101-syntax.yaml",
        [
            (
                "CR-E101",
                "invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)",
                "E101-syntax.yaml",
                11,
                12,
            )
        ],
    ),
    (
        "E102-duplicate-key.yaml",
        [("CR-E102", "duplicate key `title` (first at line 8)", "E102-duplicate-key.yaml", 15, 5)],
    ),
    (
        "E103-tag.yaml",
        [
            (
                "CR-E103",
                "unsupported YAML tag `tag:yaml.org,2002:python/object:os.system`",
                "E103-tag.yaml",
                12,
                11,
            )
        ],
    ),
    (
        "E110-unknown-field.yaml",
        [
            (
                "CR-E110",
                "unknown field `implementor` in `measures[0]`",
                "E110-unknown-field.yaml",
                15,
                5,
            )
        ],
    ),
    (
        "E111-missing-field.yaml",
        [
            (
                "CR-E111",
                "missing required field `duration` in `measures[0]`",
                "E111-missing-field.yaml",
                7,
                5,
            )
        ],
    ),
    (
        "E112-enum.yaml",
        [
            (
                "CR-E112",
                "`measures[0].kind`: `restrictoin` is not one of `incentive`, `restriction` "
                "(did you mean `restriction`?)",
                "E112-enum.yaml",
                9,
                11,
            )
        ],
    ),
    (
        "E112-duration.yaml",
        [
            (
                "CR-E112",
                "`measures[0].duration`: `P3X` is not a period such as `P3Y` or `P6M`, or "
                "`while_listed`, `until_repaired`, `permanent`",
                "E112-duration.yaml",
                13,
                15,
            )
        ],
    ),
    (
        "E113-date.yaml",
        [
            (
                "CR-E113",
                "`catalog.effective_from`: `2023-02-30` is not a real date",
                "E113-date.yaml",
                6,
                19,
            )
        ],
    ),
    (
        "E114-period.yaml",
        [
            (
                "CR-E114",
                "`policy.publication.general.max`: `1Y` is not a period such as `P3Y`, `P6M` "
                "or `P1Y6M`",
                "E114-period.yaml",
                19,
                30,
            )
        ],
    ),
    (
        "E120-duplicate-measure.yaml",
        [
            (
                "CR-E120",
                "duplicate measure id `restrict-flight` (first at line 7)",
                "E120-duplicate-measure.yaml",
                17,
                9,
            )
        ],
    ),
    (
        "E120-across-files",
        [
            (
                "CR-E120",
                "duplicate measure id `restrict-flight` (first at "
                f"{INVALID}/E120-across-files/catalog.yaml:7:5)",
                "E120-across-files/more.yaml",
                13,
                9,
            )
        ],
    ),
    (
        "E121-extends-missing",
        [
            (
                "CR-E121",
                "catalog `fj-small` extends `nowhere`, which is not loaded",
                "E121-extends-missing/catalog.yaml",
                6,
                12,
            )
        ],
    ),
    (
        "E121-extends-supplementary",
        [
            (
                "CR-E121",
                "catalog `xm-small` extends `fj-small`, which is not a basic catalog",
                "E121-extends-supplementary/xiamen.yaml",
                6,
                12,
            )
        ],
    ),
    (
        "E122-two-basics",
        [
            (
                "CR-E122",
                "more than one basic catalog loaded: `small-b` and `small-a`",
                "E122-two-basics/b.yaml",
                4,
                10,
            )
        ],
    ),
    (
        "E123-redefinition",
        [
            (
                "CR-E123",
                "`vocabulary.lists.judgment_defaulter` redefines a name of the catalog it extends",
                "E123-redefinition/fujian.yaml",
                9,
                5,
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_each_error_code_in_isolation(name: str, expected: Found) -> None:
    kind = CatalogYamlError if expected[0][0] in ("CR-E101", "CR-E102", "CR-E103") else None
    located = [(c, m, str(INVALID / f), line, col) for c, m, f, line, col in expected]
    assert load_errors(INVALID / name, kind=kind or CatalogSchemaError) == located


def test_every_error_code_has_a_bad_input_file() -> None:
    codes = {expected[0][0] for _, expected in INVALID_CASES}
    assert codes == {
        "CR-E101",
        "CR-E102",
        "CR-E103",
        "CR-E110",
        "CR-E111",
        "CR-E112",
        "CR-E113",
        "CR-E114",
        "CR-E120",
        "CR-E121",
        "CR-E122",
        "CR-E123",
    }


def test_unknown_field_help_suggests_the_closest_name() -> None:
    with pytest.raises(CatalogSchemaError) as caught:
        load_catalog(INVALID / "E110-unknown-field.yaml")
    assert [d.help for d in caught.value.diagnostics] == ["did you mean `implementers`?"]
    assert [d.catalog_path for d in caught.value.diagnostics] == ["measures[0].implementor"]


def test_unknown_field_help_lists_allowed_fields_when_nothing_is_close() -> None:
    with pytest.raises(CatalogSchemaError) as caught:
        load_catalog_text(SMALL.replace("  issuer: 测试机关\n", "  issuer: 测试机关\n  zzz: 1\n"))
    assert [d.help for d in caught.value.diagnostics] == [
        "allowed fields: document, effective_from, effective_until, extends, id, issuer, "
        "jurisdiction, level, notes, region, title, version"
    ]


def test_e105_complex_key() -> None:
    assert text_errors("? [a]\n: 1\n", CatalogYamlError) == [
        ("CR-E105", "mapping keys must be plain text", "c.yaml", 1, 3)
    ]


def test_e111_supplementary_without_extends() -> None:
    text = SMALL.replace("level: basic", "level: supplementary")
    assert text_errors(text) == [
        (
            "CR-E111",
            "missing required field `extends` in `catalog`: a supplementary catalog extends a "
            "basic one",
            "c.yaml",
            2,
            3,
        )
    ]


def test_e111_measures_without_a_catalog_beside_them() -> None:
    text = SMALL[SMALL.index("measures:") :]
    assert text_errors(text) == [
        (
            "CR-E111",
            "missing required field `catalog`: this file has measures but no catalog is "
            "defined beside it",
            "c.yaml",
            1,
            1,
        )
    ]


def test_e112_enum_inside_a_one_of_names_the_field() -> None:
    text = SMALL.replace(
        "    impact: restrict_rights\n",
        "    impact: restrict_rights\n    implementers: [{name: 航空公司, sector: enterprize}]\n",
    )
    assert text_errors(text) == [
        (
            "CR-E112",
            "`measures[0].implementers[0].sector`: `enterprize` is not one of `public`, "
            "`financial`, `credit_service`, `association`, `media`, `enterprise` "
            "(did you mean `enterprise`?)",
            "c.yaml",
            15,
            41,
        )
    ]


def test_e112_document_that_is_not_a_mapping() -> None:
    assert text_errors("- a\n") == [
        (
            "CR-E112",
            "a catalog file must be a mapping with `catalog:` and `measures:`",
            "c.yaml",
            1,
            1,
        )
    ]


def test_e113_effective_until_not_a_real_date() -> None:
    text = SMALL.replace(
        "  issuer: 测试机关\n", "  issuer: 测试机关\n  effective_until: 2023-13-01\n"
    )
    assert text_errors(text) == [
        ("CR-E113", "`catalog.effective_until`: `2023-13-01` is not a real date", "c.yaml", 6, 20)
    ]


def test_e113_date_in_the_wrong_form_is_one_error() -> None:
    text = SMALL.replace(
        "  issuer: 测试机关\n", "  issuer: 测试机关\n  effective_from: 2023/01/01\n"
    )
    assert text_errors(text) == [
        (
            "CR-E113",
            "`catalog.effective_from`: `2023/01/01` is not a date written YYYY-MM-DD",
            "c.yaml",
            6,
            19,
        )
    ]


def test_e121_basic_catalog_that_extends() -> None:
    text = SMALL.replace("  issuer: 测试机关\n", "  issuer: 测试机关\n  extends: other\n")
    assert text_errors(text) == [
        ("CR-E112", "`catalog.extends`: a basic catalog extends no other catalog", "c.yaml", 6, 12),
        ("CR-E121", "catalog `small` extends `other`, which is not loaded", "c.yaml", 6, 12),
    ]


def test_errors_of_several_files_are_reported_together(tmp_path: pathlib.Path) -> None:
    bad_date = tmp_path / "a.yaml"
    bad_date.write_text(
        SMALL.replace("  issuer: 测试机关\n", "  issuer: 测试机关\n  effective_from: 2023-02-29\n"),
        encoding="utf-8",
    )
    bad_yaml = tmp_path / "b.yaml"
    bad_yaml.write_text("measures: [\n", encoding="utf-8")
    assert load_errors(bad_date, bad_yaml) == [
        (
            "CR-E113",
            "`catalog.effective_from`: `2023-02-29` is not a real date",
            str(bad_date),
            6,
            19,
        ),
        (
            "CR-E101",
            "invalid YAML: expected the node content, but found '<stream end>' "
            "(while parsing a flow node)",
            str(bad_yaml),
            2,
            1,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Fingerprint


def test_fingerprint_ignores_formatting_comments_and_key_order() -> None:
    original = load_catalog_text(SMALL)
    data = yaml.safe_load(SMALL)
    measure = data["measures"][0]
    data["measures"][0] = dict(reversed(list(measure.items())))
    reformatted = "# a comment\n" + yaml.safe_dump(
        data, allow_unicode=True, default_flow_style=True, width=60
    )
    assert reformatted != SMALL
    assert load_catalog_text(reformatted).fingerprint == original.fingerprint


def test_fingerprint_is_the_same_for_file_and_text() -> None:
    text = BASIC_FILE.read_text(encoding="utf-8")
    assert load_catalog_text(text).fingerprint == load_catalog(BASIC_FILE).fingerprint


def test_fingerprint_changes_when_a_measure_changes() -> None:
    original = load_catalog_text(SMALL).fingerprint
    changed = load_catalog_text(SMALL.replace("duration: while_listed", "duration: P3Y"))
    assert changed.fingerprint != original
    assert changed.fingerprint.startswith("sha256:")
    assert len(changed.fingerprint) == len("sha256:") + 64


# ---------------------------------------------------------------------------------------------
# Property: mutated catalogs give a catalog or positioned errors, never anything else


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*prefix, index)))
    return found


# (PyYAML reads dates as dates and writes them back unquoted, as they were written)
BASIC_DATA = yaml.safe_load(BASIC_FILE.read_text(encoding="utf-8"))
BASIC_PATHS = _paths(BASIC_DATA)[1:]

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "",
            "2023-02-30",
            "2024-01-01",
            "P3Q",
            "P",
            "P1Y",
            "while_listed",
            "basic",
            "supplementary",
            "cn-national",
            "restrict-flight",
            "Bad Name",
            "listed(",
            "law",
            "black",
        ]
    ),
    st.text(max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.sampled_from(["id", "title", "kind", "x"]), st.text(max_size=4), max_size=3),
)

MUTATION = st.tuples(
    st.sampled_from(BASIC_PATHS), st.sampled_from(["drop", "rename", "retype"]), ODD_VALUES
)


def _mutate(data: Any, path: tuple[Any, ...], operation: str, value: Any) -> None:
    parent = data
    for part in path[:-1]:
        present = (isinstance(parent, dict) and part in parent) or (
            isinstance(parent, list) and isinstance(part, int) and part < len(parent)
        )
        if not present:
            return  # an earlier mutation removed this path
        parent = parent[part]
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        if operation == "drop":
            del parent[last]
        elif operation == "rename":
            parent[f"{last}x"] = parent.pop(last)
        else:
            parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if operation == "drop":
            del parent[last]
        else:
            parent[last] = value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_catalogs_give_a_catalog_or_positioned_errors(
    mutations: list[tuple[tuple[Any, ...], str, Any]],
) -> None:
    data = copy.deepcopy(BASIC_DATA)
    for path, operation, value in mutations:
        _mutate(data, path, operation, value)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        catalog = load_catalog_text(text, "m.yaml")
    except (CatalogYamlError, CatalogSchemaError) as exc:
        errors: tuple[Any, ...] = exc.diagnostics
    else:
        errors = ()
        assert catalog.fingerprint.startswith("sha256:")
    for d in errors:
        assert d.code.startswith("CR-E1")
        assert "\n" not in d.message
        assert d.span is None or d.span.source == "m.yaml"


def test_line_breaks_in_values_and_keys_are_escaped_and_never_valid_names() -> None:
    # (regression: Python's `$` matched before a final line break, and messages broke lines)
    text = SMALL.replace("  id: small\n", '  id: "small\\n"\n  "a\\nb": 1\n')
    assert text_errors(text) == [
        (
            "CR-E112",
            "`catalog.id`: `small\\n` is not lower-case letters, digits and hyphens",
            "c.yaml",
            2,
            7,
        ),
        ("CR-E110", "unknown field `a\\nb` in `catalog`", "c.yaml", 3, 3),
    ]


def test_region_digits_are_ascii_digits() -> None:
    text = SMALL.replace("  issuer: 测试机关\n", '  issuer: 测试机关\n  region: "３５０１００"\n')
    assert text_errors(text) == [
        (
            "CR-E112",
            "`catalog.region`: `３５０１００` is not a 6-digit administrative division code",
            "c.yaml",
            6,
            11,
        )
    ]
