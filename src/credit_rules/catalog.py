"""Catalog files → the layered :class:`~credit_rules.model.Catalog`.

Input: paths of catalog files or directories (YAML). Output: one layered catalog — a basic
list and the supplementary lists that extend it — with every measure's source position.
Errors: :class:`CatalogYamlError` for unreadable YAML, :class:`CatalogSchemaError` for
everything else (schema, dates, periods, duplicate ids, unresolved ``extends``), all at once.
Conditions are not parsed here; that is the language stages' work.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from credit_rules.errors import CatalogSchemaError, CatalogYamlError, Diagnostic, error
from credit_rules.loader import Path, Positions, load_yaml, read_file
from credit_rules.model import (
    Acknowledgement,
    Catalog,
    CatalogInfo,
    CatalogLevel,
    DocumentRef,
    Duration,
    DurationKind,
    Impact,
    Implementer,
    LegalBasis,
    LenienceAction,
    ListDef,
    ListKind,
    Measure,
    MeasureKind,
    MeasureList,
    Period,
    Policy,
    PublicationPeriod,
    Rank,
    RatingScheme,
    Role,
    Sector,
    Severity,
    SourceRef,
    SubjectKind,
    Vocabulary,
)
from credit_rules.schema import validate
from credit_rules.spans import Span

CATALOG_SUFFIXES = (".yaml", ".yml")
#: a directory of YAML case tests inside a catalog tree, skipped when the tree is loaded
CASES_DIRECTORY = "cases"


@attrs.frozen(slots=True)
class CatalogFile:
    """One catalog file, read and validated, before layering."""

    path: str
    text: str
    data: dict[str, Any]
    positions: Positions
    info: CatalogInfo | None
    vocabulary: Vocabulary
    policy: Policy | None
    measures: tuple[Measure, ...]


def load_catalog(*paths: str | os.PathLike[str]) -> Catalog:
    """Read catalog files and directories and layer them into one catalog.

    A supplementary catalog whose ``extends`` is not among ``paths`` is looked for beside it
    (its directory, the parent directory and the parent's sub-directories).

    Raises:
        CatalogYamlError: a file is not readable YAML.
        CatalogSchemaError: anything else is wrong; every problem is listed.
    """
    if not paths:
        raise CatalogSchemaError([error("CR-E100", "no catalog path given")])
    names = [os.fspath(p) for p in paths]
    files = _expand(names)
    loaded, problems = _read_all(files)
    problems.extend(
        error(
            "CR-E100",
            f"no catalog file (`.yaml` or `.yml`) in directory `{name}`",
            Span.point(name, 1, 1),
        )
        for name in names
        if os.path.isdir(name) and not _expand([name])
    )
    loaded += _resolve_missing_bases(loaded, files, problems)
    if problems:
        _raise(problems)
    return layer(loaded)


def load_catalog_text(text: str, source: str = "<catalog>") -> Catalog:
    """A single, self-contained catalog from YAML text (mainly for tests and tools)."""
    loaded, problems = _read_one(source, text)
    if problems or loaded is None:
        _raise(problems)
    assert loaded is not None
    return layer([loaded])


def _raise(problems: Sequence[Diagnostic]) -> None:
    if all(
        p.code in ("CR-E100", "CR-E101", "CR-E102", "CR-E103", "CR-E104", "CR-E105")
        for p in problems
    ):
        raise CatalogYamlError(problems)
    raise CatalogSchemaError(problems)


def _expand(paths: Sequence[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                # Case tests live beside the catalogs (measures/cases/); they are not catalogs.
                dirs[:] = sorted(d for d in dirs if d != CASES_DIRECTORY)
                files.extend(
                    os.path.join(root, n) for n in sorted(names) if n.endswith(CATALOG_SUFFIXES)
                )
        else:
            files.append(path)
    seen: set[str] = set()
    unique = []
    for file in files:
        key = os.path.realpath(file)
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique


def _read_all(files: Iterable[str]) -> tuple[list[CatalogFile], list[Diagnostic]]:
    loaded: list[CatalogFile] = []
    problems: list[Diagnostic] = []
    for path in files:
        try:
            text = read_file(path)
        except CatalogYamlError as exc:
            problems.extend(exc.diagnostics)
            continue
        one, found = _read_one(path, text)
        problems.extend(found)
        if one is not None:
            loaded.append(one)
    return loaded, problems


_ID_LINE = re.compile(r"^\s+id:\s*['\"]?([a-z0-9][a-z0-9-]*)['\"]?\s*$", re.MULTILINE)


def _resolve_missing_bases(
    loaded: list[CatalogFile], files: Sequence[str], problems: list[Diagnostic]
) -> list[CatalogFile]:
    have = {f.info.id for f in loaded if f.info is not None}
    wanted = {
        f.info.extends: f
        for f in loaded
        if f.info is not None and f.info.extends not in (None, *have)
    }
    if not wanted:
        return []
    found: list[CatalogFile] = []
    candidates: list[str] = []
    for file in files:
        folder = os.path.dirname(os.path.abspath(file))
        parent = os.path.dirname(folder)
        for root in (folder, parent):
            candidates.extend(_expand([root]) if root == parent else _expand([folder]))
    for candidate in dict.fromkeys(candidates):
        if not wanted:
            break
        try:
            text = read_file(candidate)
        except CatalogYamlError:
            continue
        head = text[: text.find("\nmeasures:")] if "\nmeasures:" in text else text[:4000]
        ids = set(_ID_LINE.findall(head))
        hits = ids & set(wanted)
        if not hits:
            continue
        one, found_problems = _read_one(candidate, text)
        if one is not None and one.info is not None and one.info.id in wanted:
            problems.extend(found_problems)
            found.append(one)
            found.extend(_parts_beside(candidate, problems))
            del wanted[one.info.id]
    for base_id, child in wanted.items():
        assert child.info is not None
        problems.append(
            error(
                "CR-E121",
                f"catalog `{child.info.id}` extends `{base_id}`, which is not loaded",
                child.positions.at(("catalog", "extends")),
                help="pass the basic catalog's file or directory too",
                catalog_path="catalog.extends",
            )
        )
    return found


def _parts_beside(header: str, problems: list[Diagnostic]) -> list[CatalogFile]:
    """The files without a ``catalog:`` header in the directory of a catalog found by its id:
    they hold measures of that catalog too."""
    folder = os.path.dirname(header)
    names = sorted(n for n in os.listdir(folder or ".") if n.endswith(CATALOG_SUFFIXES))
    siblings = [os.path.join(folder, n) for n in names]
    others = [s for s in siblings if os.path.realpath(s) != os.path.realpath(header)]
    loaded, found = _read_all(others)
    problems.extend(found)
    return [f for f in loaded if f.info is None]


def _read_one(path: str, text: str) -> tuple[CatalogFile | None, list[Diagnostic]]:
    try:
        data, positions = load_yaml(text, path)
    except CatalogYamlError as exc:
        return None, list(exc.diagnostics)
    if not isinstance(data, dict):
        return None, [
            error(
                "CR-E112",
                "a catalog file must be a mapping with `catalog:` and `measures:`",
                positions.at(()),
            )
        ]
    problems = validate(data, positions, "catalog") + _duplicate_ids(data, positions)
    if problems:
        return None, problems
    builder = _Builder(path, positions)
    info = builder.info(data.get("catalog"))
    vocabulary = builder.vocabulary(data.get("vocabulary") or {})
    policy = builder.policy(data["policy"]) if "policy" in data else None
    catalog_id = info.id if info is not None else ""
    measures = tuple(
        builder.measure(item, index, catalog_id)
        for index, item in enumerate(data.get("measures") or [])
    )
    if builder.problems:
        return None, builder.problems
    return (
        CatalogFile(path, text, data, positions, info, vocabulary, policy, measures),
        [],
    )


def _duplicate_ids(data: dict[str, Any], positions: Positions) -> list[Diagnostic]:
    """Measure ids repeated within one file (across files: see :func:`layer`)."""
    measures = data.get("measures")
    if not isinstance(measures, list):
        return []
    first: dict[str, int] = {}
    found = []
    for index, item in enumerate(measures):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        measure_id = item["id"]
        if measure_id in first:
            line = positions.at(("measures", first[measure_id], "id")).line
            found.append(
                error(
                    "CR-E120",
                    f"duplicate measure id `{measure_id}` (first at line {line})",
                    positions.at(("measures", index, "id")),
                    catalog_path=f"measures[{index}].id",
                    measure_id=measure_id,
                )
            )
        else:
            first[measure_id] = index
    return found


class _Builder:
    """Validated data → model objects; date and period errors are collected."""

    def __init__(self, path: str, positions: Positions) -> None:
        self.path = path
        self.positions = positions
        self.problems: list[Diagnostic] = []

    def date(self, value: str | None, path: Path) -> datetime.date | None:
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.problems.append(
                error(
                    "CR-E113",
                    f"`{value}` is not a real date",
                    self.positions.at(path),
                    catalog_path=_path_text(path),
                )
            )
            return None

    def period(self, value: str, path: Path) -> Period:
        try:
            return Period.parse(value)
        except ValueError as exc:
            self.problems.append(
                error("CR-E114", str(exc), self.positions.at(path), catalog_path=_path_text(path))
            )
            return Period()

    def info(self, data: Mapping[str, Any] | None) -> CatalogInfo | None:
        if data is None:
            return None
        document = data.get("document")
        return CatalogInfo(
            id=data["id"],
            title=data["title"],
            level=CatalogLevel(data["level"]),
            issuer=data["issuer"],
            effective_from=self.date(data.get("effective_from"), ("catalog", "effective_from")),
            effective_until=self.date(data.get("effective_until"), ("catalog", "effective_until")),
            version=None if data.get("version") is None else str(data["version"]),
            jurisdiction=data.get("jurisdiction"),
            region=data.get("region"),
            document=DocumentRef(document.get("title"), document.get("number"))
            if document
            else None,
            extends=data.get("extends"),
            path=self.path,
        )

    def vocabulary(self, data: Mapping[str, Any]) -> Vocabulary:
        lists = {
            name: ListDef(
                name=name,
                title=item["title"],
                kind=ListKind(item["kind"]),
                gravity=Severity(item["gravity"]) if "gravity" in item else None,
                category=item.get("category"),
                categories=tuple(item.get("categories") or ()),
            )
            for name, item in (data.get("lists") or {}).items()
        }
        ratings = {
            name: RatingScheme(name, item["title"], tuple(str(g) for g in item["grades"]))
            for name, item in (data.get("ratings") or {}).items()
        }
        return Vocabulary(
            lists=lists,
            domains=dict(data.get("domains") or {}),
            ratings=ratings,
            matters=dict(data.get("matters") or {}),
            tags=dict(data.get("tags") or {}),
        )

    def policy(self, data: Mapping[str, Any]) -> Policy:
        publication = {
            Severity(name): PublicationPeriod(
                self.period(item["min"], ("policy", "publication", name, "min")),
                self.period(item["max"], ("policy", "publication", name, "max")),
            )
            for name, item in (data.get("publication") or {}).items()
        }
        proportion = {
            Impact(name): None if value == "none" else Severity(value)
            for name, value in (data.get("proportion") or {}).items()
        }
        lenience = {
            name: LenienceAction(value) for name, value in (data.get("lenience") or {}).items()
        }
        legality = data.get("legality") or {}
        return Policy(
            publication=publication,
            proportion=proportion,
            lenience=lenience,
            listing_categories=tuple(data.get("listing_categories") or ()),
            legality_impacts=tuple(Impact(i) for i in legality.get("impacts") or ()),
            basic_ranks=tuple(Rank(r) for r in legality.get("basic") or ()),
            supplementary_ranks=tuple(Rank(r) for r in legality.get("supplementary") or ()),
        )

    def measure(self, data: Mapping[str, Any], index: int, catalog_id: str) -> Measure:
        base: Path = ("measures", index)
        duration_text = data["duration"]
        if duration_text.startswith("P"):
            duration = Duration(
                DurationKind.PERIOD, self.period(duration_text, (*base, "duration"))
            )
        else:
            duration = Duration(DurationKind(duration_text))
        targets = data["targets"]
        kinds = tuple(SubjectKind(t) for t in targets if t in SubjectKind.names())
        roles = tuple(Role(t) for t in targets if t in Role.names())
        source = data.get("source")
        when_path = (*base, "when")
        return Measure(
            id=data["id"],
            title=data["title"],
            kind=MeasureKind(data["kind"]),
            list=MeasureList(data["list"]),
            when=data["when"],
            duration=duration,
            impact=Impact(data["impact"]),
            target_kinds=kinds,
            target_roles=roles,
            legal_basis=tuple(
                LegalBasis(
                    title=item["title"],
                    rank=Rank(item["rank"]),
                    number=item.get("number"),
                    article=item.get("article"),
                    allows_permanent=bool(item.get("allows_permanent", False)),
                )
                for item in data["legal_basis"]
            ),
            implementers=tuple(
                Implementer(item)
                if isinstance(item, str)
                else Implementer(item["name"], Sector(item.get("sector", "public")))
                for item in data.get("implementers") or ()
            ),
            initiator=data.get("initiator"),
            category=data.get("category"),
            applies_in=tuple(data.get("applies_in") or ()),
            domains=tuple(data.get("domains") or ()),
            repairable=bool(data.get("repairable", True)),
            overrides_restrictions=bool(data.get("overrides_restrictions", False)),
            source=SourceRef(source.get("document"), source.get("section")) if source else None,
            notes=data.get("notes"),
            acknowledged=tuple(
                Acknowledgement(a["code"], a["reason"]) for a in data.get("acknowledged") or ()
            ),
            catalog_id=catalog_id,
            span=self.positions.at(base),
            when_span=self.positions.at(when_path),
            when_positions=self.positions.char_positions(when_path),
        )


def layer(files: Sequence[CatalogFile]) -> Catalog:
    """Join catalog files into one catalog: files without a ``catalog:`` header join the
    catalog defined in their directory; supplementary catalogs extend their basic one."""
    problems: list[Diagnostic] = []
    headers = [f for f in files if f.info is not None]
    parts = [f for f in files if f.info is None]
    by_dir: dict[str, CatalogFile] = {}
    for head in headers:
        by_dir.setdefault(os.path.dirname(os.path.abspath(head.path)), head)
    owner: dict[str, str] = {}
    for part in parts:
        home = by_dir.get(os.path.dirname(os.path.abspath(part.path)))
        if home is None or home.info is None:
            problems.append(
                error(
                    "CR-E111",
                    "missing required field `catalog`: this file has measures but no catalog "
                    "is defined beside it",
                    part.positions.at(()),
                )
            )
            continue
        owner[part.path] = home.info.id
    ids: dict[str, CatalogFile] = {}
    for head in headers:
        assert head.info is not None
        if head.info.id in ids:
            problems.append(
                error(
                    "CR-E120",
                    f"catalog id `{head.info.id}` is defined twice "
                    f"(first in `{ids[head.info.id].path}`)",
                    head.positions.at(("catalog", "id")),
                )
            )
        ids.setdefault(head.info.id, head)
    basics = [h for h in headers if h.info is not None and h.info.level is CatalogLevel.BASIC]
    for head in headers:
        info = head.info
        assert info is not None
        if info.level is CatalogLevel.SUPPLEMENTARY and info.extends is None:
            problems.append(
                error(
                    "CR-E111",
                    "missing required field `extends` in `catalog`: a supplementary catalog "
                    "extends a basic one",
                    head.positions.at(("catalog",)),
                    catalog_path="catalog",
                )
            )
        if info.level is CatalogLevel.BASIC and info.extends is not None:
            problems.append(
                error(
                    "CR-E112",
                    "`catalog.extends`: a basic catalog extends no other catalog",
                    head.positions.at(("catalog", "extends")),
                    catalog_path="catalog.extends",
                )
            )
        if info.extends is not None and info.extends in ids:
            target = ids[info.extends].info
            assert target is not None
            if target.level is not CatalogLevel.BASIC:
                problems.append(
                    error(
                        "CR-E121",
                        f"catalog `{info.id}` extends `{info.extends}`, which is not a basic "
                        "catalog",
                        head.positions.at(("catalog", "extends")),
                    )
                )
        elif info.extends is not None:
            problems.append(
                error(
                    "CR-E121",
                    f"catalog `{info.id}` extends `{info.extends}`, which is not loaded",
                    head.positions.at(("catalog", "extends")),
                    help="pass the basic catalog's file or directory too",
                )
            )
    if len(basics) > 1:
        for extra in basics[1:]:
            assert extra.info is not None
            problems.append(
                error(
                    "CR-E122",
                    f"more than one basic catalog loaded: `{extra.info.id}` and "
                    f"`{basics[0].info.id if basics[0].info else ''}`",
                    extra.positions.at(("catalog", "level")),
                )
            )
    if not files:
        problems.append(error("CR-E111", "no catalog found: no file has a `catalog:` header"))
    if problems:
        raise CatalogSchemaError(problems)
    # Order: the basic catalog first, then supplementary ones by id; parts with their owner.
    ordered = sorted(
        headers,
        key=lambda h: (
            h.info is None or h.info.level is not CatalogLevel.BASIC,
            h.info.id if h.info else "",
        ),
    )
    vocabulary = Vocabulary()
    policy = Policy()
    measures: list[Measure] = []
    seen: dict[str, Measure] = {}
    for head in ordered:
        assert head.info is not None
        members = [head, *(p for p in parts if owner.get(p.path) == head.info.id)]
        for member in members:
            vocabulary = _merge_vocabulary(vocabulary, member, problems)
            if member.policy is not None:
                policy = _merge_policy(policy, member.policy)
            for index, measure in enumerate(member.measures):
                measure = attrs.evolve(measure, catalog_id=head.info.id)
                if measure.id in seen:
                    first = seen[measure.id]
                    where = first.span.short() if first.span is not None else "?"
                    problems.append(
                        error(
                            "CR-E120",
                            f"duplicate measure id `{measure.id}` (first at {where})",
                            member.positions.at(("measures", index, "id")),
                            catalog_path=f"measures[{index}].id",
                            measure_id=measure.id,
                        )
                    )
                    continue
                seen[measure.id] = measure
                measures.append(measure)
    if problems:
        raise CatalogSchemaError(problems)
    infos = tuple(h.info for h in ordered if h.info is not None)
    supplementary = [i for i in infos if i.level is CatalogLevel.SUPPLEMENTARY]
    top = supplementary[0] if len(supplementary) == 1 else infos[0]
    return Catalog(
        info=top,
        layers=infos,
        vocabulary=vocabulary,
        policy=policy,
        measures=tuple(measures),
        fingerprint=fingerprint_of(files),
        sources=tuple((f.path, f.text) for f in files),
    )


def _merge_vocabulary(
    base: Vocabulary, member: CatalogFile, problems: list[Diagnostic]
) -> Vocabulary:
    add = member.vocabulary
    merged: dict[str, dict[str, Any]] = {}
    for field in ("lists", "domains", "ratings", "matters", "tags"):
        old: Mapping[str, Any] = getattr(base, field)
        new: Mapping[str, Any] = getattr(add, field)
        combined = dict(old)
        for name, value in new.items():
            if name in old and old[name] != value:
                problems.append(
                    error(
                        "CR-E123",
                        f"`vocabulary.{field}.{name}` redefines a name of the catalog it extends",
                        member.positions.at(("vocabulary", field, name), key=True),
                        help="use the definition of the basic catalog, or choose another name",
                    )
                )
                continue
            combined[name] = value
        merged[field] = combined
    return Vocabulary(**merged)


def _merge_policy(base: Policy, add: Policy) -> Policy:
    return Policy(
        publication={**base.publication, **add.publication},
        proportion={**base.proportion, **add.proportion},
        lenience={**base.lenience, **add.lenience},
        listing_categories=add.listing_categories or base.listing_categories,
        legality_impacts=add.legality_impacts or base.legality_impacts,
        basic_ranks=add.basic_ranks or base.basic_ranks,
        supplementary_ranks=add.supplementary_ranks or base.supplementary_ranks,
    )


def fingerprint_of(files: Sequence[CatalogFile]) -> str:
    """sha256 of the normalised data of every file: formatting and comments do not count."""
    normal = sorted(
        json.dumps(f.data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for f in files
    )
    digest = hashlib.sha256("\n".join(normal).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
