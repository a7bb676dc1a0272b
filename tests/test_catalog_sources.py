"""Every document cited in measures/ appears in the shared reference or seed texts.

Issue 7: catalogs must not invent bases. Each ``catalog.document.number``,
``legal_basis[].number`` and ``source.document`` of the shipped catalogs is looked up in
``shared/reference/`` and ``shared/seeds/`` (``shared/`` sits beside the repository, as CI
clones it). Texts and citations are compared after a small, explicit normalisation: brackets,
spaces, the pinyin glosses one seed carries, and the traditional characters of the
traditional-character seeds.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared"
CATALOGS = (ROOT / "measures" / "national", ROOT / "measures" / "seeds")

#: brackets of document numbers: ASCII and full-width square brackets and 【】 → 〔〕
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})

#: traditional → simplified, only the characters the cited numbers and titles need
#: (seeds 001 and 003 are in traditional characters)
_SIMPLIFIED = str.maketrans(
    {
        "發": "发",
        "號": "号",
        "辦": "办",
        "賀": "贺",
        "聯": "联",
        "勵": "励",
        "懲": "惩",
        "進": "进",
        "會": "会",
        "誠": "诚",
        "設": "设",
        "實": "实",
    }
)

#: seed 001 glosses characters with their pinyin: 發(fā), 號(hào)
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")

#: half-width, full-width (U+3000) and no-break spaces, and line breaks
_SPACE = re.compile(r"[\s\u3000\u00a0]+")

#: a trailing edition, as in 全国失信惩戒措施基础清单（2021年版）
_EDITION = re.compile(r"（(\d{4})年版）$")


def normalise(text: str) -> str:
    """Text as compared: no pinyin glosses, 〔〕 brackets, no spaces, simplified characters.

    >>> normalise("桂政發(fā)〔2018〕3號(hào)")
    '桂政发〔2018〕3号'
    """
    text = _PINYIN.sub("", text)
    text = _SPACE.sub("", text)
    return text.translate(_BRACKETS).translate(_SIMPLIFIED)


def _shared_texts() -> dict[str, str]:
    files = sorted([*(SHARED / "reference").glob("*"), *(SHARED / "seeds").glob("*")])
    return {f.name: normalise(f.read_text(encoding="utf-8")) for f in files if f.is_file()}


def _citations() -> Iterator[tuple[str, str]]:
    """(where, cited text) for every citation in the shipped catalogs."""
    for directory in CATALOGS:
        for path in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            where = path.relative_to(ROOT).as_posix()
            number = ((data.get("catalog") or {}).get("document") or {}).get("number")
            if number:
                yield f"{where}: catalog.document.number", number
            for measure in data.get("measures") or ():
                for basis in measure.get("legal_basis") or ():
                    if basis.get("number"):
                        yield f"{where}: {measure['id']}.legal_basis", basis["number"]
                document = (measure.get("source") or {}).get("document")
                if document:
                    yield f"{where}: {measure['id']}.source.document", document


CITED = sorted({text for _, text in _citations()})


def test_shared_texts_are_beside_the_repository() -> None:
    """shared/ must be present (CI clones it beside the repository); no skip without it."""
    assert (SHARED / "reference" / "legal_texts.md").is_file(), f"no {SHARED}/reference"
    assert len(list((SHARED / "seeds").glob("*.txt"))) == 5


def test_the_citations_checked() -> None:
    """The distinct documents the catalogs cite (a new one must be checked here too)."""
    assert CITED == [
        "全国失信惩戒措施基础清单（2021年版）",
        "国办发〔2019〕35号",
        "国办发〔2020〕49号",
        "国发〔2016〕33号",
        "国家发展改革委令2023年第58号",
        "桂政发〔2018〕3号",
        "河北诚信建设领导小组〔2019〕2号",
        "法释〔2015〕17号",
        "法释〔2017〕7号",
        "甘信用办发〔2021〕5号",
        "贺州市建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设实施方案",
        "长子政办发〔2023〕23号",
        "闽信用〔2019〕7号",
    ]


@pytest.mark.parametrize("cited", CITED)
def test_cited_document_appears_in_shared_texts(cited: str) -> None:
    texts = _shared_texts()
    wanted = normalise(cited)
    edition = _EDITION.search(wanted)
    if edition is not None:
        # an edition label is the catalog's: the title must appear, and the year in that file
        title = wanted[: edition.start()]
        found = [n for n, t in texts.items() if title in t and edition.group(1) in t]
    else:
        found = [name for name, text in texts.items() if wanted in text]
    where = [w for w, text in _citations() if text == cited]
    assert found, f"`{cited}` (cited at {where[0]} and {len(where) - 1} more) is in no shared text"


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("国办发[2019] 35号", "国办发〔2019〕35号"),
        ("河北诚信建设领导小组[2019]2号", "河北诚信建设领导小组〔2019〕2号"),
        ("甘信用辦發(fā)〔2021〕5號", "甘信用办发〔2021〕5号"),
        ("法释〔2015〕\u300017号", "法释〔2015〕17号"),
        ("闽信用【2019】7号", "闽信用〔2019〕7号"),
    ],
)
def test_normalise(written: str, normal: str) -> None:
    assert normalise(written) == normal


def test_each_seed_number_is_found_where_expected() -> None:
    """The numbers of the five seeds are in their own seed file (not only in a restatement)."""
    texts = _shared_texts()
    own = {
        "长子政办发〔2023〕23号": "000_eae9dda7ee5138ed.txt",
        "桂政发〔2018〕3号": "001_520b26401b1b4070.txt",
        "河北诚信建设领导小组〔2019〕2号": "002_623068454dfa950f.txt",
        "甘信用办发〔2021〕5号": "003_f01d658fe6b17d2e.txt",
        "闽信用〔2019〕7号": "004_fa54a5c0fd0a3a26.txt",
    }
    for number, name in own.items():
        assert number in texts[name]
