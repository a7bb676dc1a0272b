"""Tests for credit_rules.identifiers: USCC and resident-ID validation, minors, masking."""

from __future__ import annotations

import datetime
import doctest
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_rules import identifiers
from credit_rules.identifiers import (
    USCC_ALPHABET,
    IdentifierProblem,
    birth_date,
    is_minor,
    is_valid_resident_id,
    is_valid_uscc,
    mask,
    mask_identifiers,
    resident_id_check_character,
    resident_id_problem,
    uscc_check_character,
    uscc_problem,
)

# Published examples (shared/reference/legal_texts.md, section D).
PUBLISHED_USCCS = ("91350100M000100Y43", "91110000802100433B", "91310000775785552L")
PUBLISHED_RESIDENT_IDS = ("11010519491231002X", "440524188001010014")

DIGITS = "0123456789"
USCC_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"  # the 21 letters of the USCC alphabet
USCC_FOREIGN = ("I", "O", "S", "V", "Z", "a", "y", " ", "-", "０", "中", "\x00", "é")
RESIDENT_FOREIGN = ("A", "X", "x", " ", "-", "１", "中", "\x00")

# All-digit USCC whose middle reads as a date (19200301) but whose resident-ID check fails:
# mask_identifiers must leave it alone.
ALL_DIGIT_USCC = "911101192003011252"

# Hand-derived: single-digit changes to the birth date section (positions 6-13) that make the
# date impossible (month 00/13+, day 00/32+, 31 February...) or earlier than 1800.
# 11010519491231002X is born 1949-12-31; 440524188001010014 is born 1880-01-01.
BAD_DATE_CORRUPTIONS = {
    "11010519491231002X": {
        6: set("0"),  # 0949
        7: set("01234567"),  # 1049 .. 1749
        10: set("023456789"),  # month 02 (31 February) and 22 .. 92
        11: set("13456789"),  # 11 (31 November), 13 .. 19
        12: set("456789"),  # day 41 .. 91
        13: set("23456789"),  # day 32 .. 39
    },
    "440524188001010014": {
        6: set("0"),  # 0880
        7: set("01234567"),  # 1080 .. 1780
        10: set("23456789"),  # month 21 .. 91
        11: set("0"),  # month 00
        12: set("456789"),  # day 41 .. 91
        13: set("0"),  # day 00
    },
}


def corrupt(value: str, position: int, character: str) -> str:
    return value[:position] + character + value[position + 1 :]


# --- published examples and check characters -------------------------------------------------


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_published_usccs_are_valid(code: str) -> None:
    assert uscc_problem(code) is None
    assert is_valid_uscc(code) is True
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("number", PUBLISHED_RESIDENT_IDS)
def test_published_resident_ids_are_valid(number: str) -> None:
    assert resident_id_problem(number) is None
    assert resident_id_problem(number, on=datetime.date(2024, 1, 1)) is None
    assert is_valid_resident_id(number) is True
    assert resident_id_check_character(number[:17]) == number[17]


def test_check_characters_of_published_examples() -> None:
    assert [uscc_check_character(c[:17]) for c in PUBLISHED_USCCS] == ["3", "B", "L"]
    assert [resident_id_check_character(n[:17]) for n in PUBLISHED_RESIDENT_IDS] == ["X", "4"]


def test_published_resident_id_birth_dates() -> None:
    assert birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert birth_date("440524188001010014") == datetime.date(1880, 1, 1)


@pytest.mark.parametrize("bad", ["", "91350100M000100Y", "91350100M000100Y43", "91350100M00010OY4"])
def test_uscc_check_character_rejects_bad_prefix(bad: str) -> None:
    with pytest.raises(ValueError, match="expected 17 characters of"):
        uscc_check_character(bad)


@pytest.mark.parametrize("bad", ["", "1101051949123100", "11010519491231002X", "1101051949123100X"])
def test_resident_id_check_character_rejects_bad_prefix(bad: str) -> None:
    with pytest.raises(ValueError, match="expected 17 digits"):
        resident_id_check_character(bad)


# --- every single-character corruption --------------------------------------------------------


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_every_single_character_corruption_of_a_uscc_is_invalid(code: str) -> None:
    counts = {"alphabet": 0, "division": 0, "check": 0}
    for position in range(18):
        for character in USCC_ALPHABET + "".join(USCC_FOREIGN):
            if character == code[position]:
                continue
            corrupted = corrupt(code, position, character)
            problem = uscc_problem(corrupted)
            assert problem is not None, corrupted
            assert is_valid_uscc(corrupted) is False
            if character not in USCC_ALPHABET:
                expected = ("alphabet", position)
            elif 2 <= position <= 7 and character not in DIGITS:
                expected = ("division", position)
            else:
                expected = ("check", 17)
            assert (problem.code, problem.position) == expected, corrupted
            counts[problem.code] += 1
    # 18 positions x 30 other alphabet characters = 540; 6 division positions x 21 letters.
    assert counts == {"alphabet": 18 * len(USCC_FOREIGN), "division": 6 * 21, "check": 540 - 126}


@pytest.mark.parametrize("number", PUBLISHED_RESIDENT_IDS)
def test_every_single_character_corruption_of_a_resident_id_is_invalid(number: str) -> None:
    bad_dates = BAD_DATE_CORRUPTIONS[number]
    counts = {"alphabet": 0, "birth_date": 0, "check": 0}
    for position in range(18):
        alphabet = DIGITS + "X" if position == 17 else DIGITS
        foreign = "".join(c for c in RESIDENT_FOREIGN if c not in alphabet)
        for character in alphabet + foreign:
            if character == number[position]:
                continue
            corrupted = corrupt(number, position, character)
            problem = resident_id_problem(corrupted)
            assert problem is not None, corrupted
            assert is_valid_resident_id(corrupted) is False
            if character not in alphabet:
                expected = ("alphabet", position)
            elif character in bad_dates.get(position, set()):
                expected = ("birth_date", 6)
            else:
                expected = ("check", 17)
            assert (problem.code, problem.position) == expected, corrupted
            counts[problem.code] += 1
    expected_bad_dates = sum(len(chars) for chars in bad_dates.values())
    # 17 positions x 9 other digits, plus 10 other characters of 0-9X at the end = 163.
    assert counts == {
        "alphabet": 17 * len(RESIDENT_FOREIGN) + len(RESIDENT_FOREIGN) - 1,
        "birth_date": expected_bad_dates,
        "check": 163 - expected_bad_dates,
    }
    assert expected_bad_dates == {"11010519491231002X": 40, "440524188001010014": 25}[number]


# --- exact problems -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("", IdentifierProblem("length", "expected 18 characters, got 0", None)),
        ("91350100M000100Y4", IdentifierProblem("length", "expected 18 characters, got 17", None)),
        (
            "91350100M000100Y43 ",
            IdentifierProblem("length", "expected 18 characters, got 19", None),
        ),
        (
            "91350100m000100Y43",
            IdentifierProblem("alphabet", "character `m` is not allowed: use upper-case `M`", 8),
        ),
        (
            "91350100M000100O43",
            IdentifierProblem(
                "alphabet", "character `O` is not allowed in a unified social credit code", 15
            ),
        ),
        (
            "9135\x000100M000100Y4",
            IdentifierProblem(
                "alphabet", "character `\\x00` is not allowed in a unified social credit code", 4
            ),
        ),
        (
            "9135A100M000100Y43",
            IdentifierProblem(
                "division", "administrative division code must be 6 digits, found `A`", 4
            ),
        ),
        (
            "91350100M000100Y4Y",
            IdentifierProblem("check", "check character `Y` does not match, expected `3`", 17),
        ),
        (
            "91110000802100433C",
            IdentifierProblem("check", "check character `C` does not match, expected `B`", 17),
        ),
    ],
)
def test_uscc_problem_exact(code: str, expected: IdentifierProblem) -> None:
    assert uscc_problem(code) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1101051949123100", IdentifierProblem("length", "expected 18 characters, got 16", None)),
        (
            "11010519491231002x",
            IdentifierProblem(
                "alphabet", "check character `x` is not allowed: use upper-case `X`", 17
            ),
        ),
        (
            "44052418800101001A",
            IdentifierProblem(
                "alphabet", "check character `A` is not allowed: expected a digit or `X`", 17
            ),
        ),
        (
            "4405241880010X0014",
            IdentifierProblem("alphabet", "character `X` is not allowed: expected a digit", 13),
        ),
        (
            "４40524188001010014",
            IdentifierProblem("alphabet", "character `４` is not allowed: expected a digit", 0),
        ),
        (
            "11010519490231002X",
            IdentifierProblem("birth_date", "birth date `19490231` is not a real calendar date", 6),
        ),
        (
            "11010517491231002X",
            IdentifierProblem("birth_date", "birth date `17491231` is before the year 1800", 6),
        ),
        (
            "110105194912310025",
            IdentifierProblem("check", "check character `5` does not match, expected `X`", 17),
        ),
        (
            "44052418800101001X",
            IdentifierProblem("check", "check character `X` does not match, expected `4`", 17),
        ),
    ],
)
def test_resident_id_problem_exact(number: str, expected: IdentifierProblem) -> None:
    assert resident_id_problem(number) == expected


def test_resident_id_birth_date_after_reference_date() -> None:
    number = "110105" + "20240229" + "003"
    number += resident_id_check_character(number)
    assert resident_id_problem(number) is None
    assert resident_id_problem(number, on=datetime.date(2024, 2, 29)) is None
    assert resident_id_problem(number, on=datetime.date(2024, 2, 28)) == IdentifierProblem(
        "birth_date", "birth date `20240229` is after the reference date `2024-02-28`", 6
    )


def test_reference_date_may_be_a_datetime() -> None:
    noon = datetime.datetime(1949, 12, 30, 12, 0)
    assert resident_id_problem("11010519491231002X", on=noon) == IdentifierProblem(
        "birth_date", "birth date `19491231` is after the reference date `1949-12-30`", 6
    )
    assert resident_id_problem("11010519491231002X", on=noon + datetime.timedelta(1)) is None
    assert is_minor("11010519491231002X", datetime.datetime(1967, 12, 31, 0, 0)) is False


def test_leap_day_birth_dates() -> None:
    valid = "110105" + "20040229" + "001"
    assert resident_id_problem(valid + resident_id_check_character(valid)) is None
    not_leap = "110105" + "19000229" + "001"  # 1900 is not a leap year
    problem = resident_id_problem(not_leap + resident_id_check_character(not_leap))
    assert problem == IdentifierProblem(
        "birth_date", "birth date `19000229` is not a real calendar date", 6
    )


@pytest.mark.parametrize("bad", ["", "11010519491231002x", "11010519490231002X", "abc"])
def test_birth_date_raises_on_invalid(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^(expected 18|check character|birth date)"):
        birth_date(bad)


# --- minors ----------------------------------------------------------------------------------


def resident_id(born: str, sequence: str = "001") -> str:
    first17 = "110105" + born + sequence
    return first17 + resident_id_check_character(first17)


def test_is_minor_boundaries() -> None:
    number = resident_id("20060715")
    assert is_minor(number, datetime.date(2006, 7, 15)) is True
    assert is_minor(number, datetime.date(2024, 7, 14)) is True
    assert is_minor(number, datetime.date(2024, 7, 15)) is False
    assert is_minor(number, datetime.date(2024, 7, 16)) is False
    assert is_minor(number, datetime.date(2030, 1, 1)) is False


def test_is_minor_published_examples() -> None:
    assert is_minor("11010519491231002X", datetime.date(1967, 12, 30)) is True
    assert is_minor("11010519491231002X", datetime.date(1967, 12, 31)) is False
    assert is_minor("440524188001010014", datetime.date(2024, 1, 1)) is False


def test_is_minor_leap_day_birth() -> None:
    number = resident_id("20040229")
    # The 18th anniversary of 29 February always falls in a common year (leap year + 18 is
    # never a leap year): the birthday is reached on 1 March, so 28 February is still minor.
    assert is_minor(number, datetime.date(2022, 2, 28)) is True
    assert is_minor(number, datetime.date(2022, 3, 1)) is False
    assert is_minor(number, datetime.date(2024, 2, 29)) is False
    # Neighbours of the leap day behave as ordinary birthdays.
    assert is_minor(resident_id("20040228"), datetime.date(2022, 2, 28)) is False
    assert is_minor(resident_id("20040301"), datetime.date(2022, 2, 28)) is True
    assert is_minor(resident_id("20040301"), datetime.date(2022, 3, 1)) is False


def test_is_minor_raises_for_invalid_or_unborn() -> None:
    with pytest.raises(ValueError, match="check character `x` is not allowed"):
        is_minor("11010519491231002x", datetime.date(2024, 1, 1))
    with pytest.raises(ValueError, match="is after the reference date `1949-12-30`"):
        is_minor("11010519491231002X", datetime.date(1949, 12, 30))


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "head", "tail", "expected"),
    [
        ("11010519491231002X", 6, 4, "110105********002X"),
        ("11010519491231002X", 0, 0, "******************"),
        ("11010519491231002X", 3, 0, "110***************"),
        ("11010519491231002X", 0, 1, "*****************X"),
        ("13812345678", 3, 4, "138****5678"),
        ("1234567890", 6, 4, "**********"),
        ("123456789", 6, 4, "*********"),
        ("", 6, 4, ""),
        ("张三丰", 1, 0, "张**"),
    ],
)
def test_mask_examples(value: str, head: int, tail: int, expected: str) -> None:
    assert mask(value, keep_head=head, keep_tail=tail) == expected


def test_mask_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        mask("11010519491231002X", keep_head=-1)
    with pytest.raises(ValueError, match="must be >= 0"):
        mask("11010519491231002X", keep_tail=-1)


def test_mask_identifiers_in_chinese_text() -> None:
    text = (
        "被执行人张某（身份证号11010519491231002X）与李某440524188001010014，"
        "法定代表人所在单位统一社会信用代码91350100M000100Y43。"
    )
    assert mask_identifiers(text) == (
        "被执行人张某（身份证号110105********002X）与李某440524********0014，"
        "法定代表人所在单位统一社会信用代码91350100M000100Y43。"
    )


def test_mask_identifiers_in_json() -> None:
    record = {
        "name": "张某",
        "id_number": "11010519491231002X",
        "note": "曾用号码440524188001010014",
        "employer_uscc": "91110000802100433B",
    }
    masked = {
        "name": "张某",
        "id_number": "110105********002X",
        "note": "曾用号码440524********0014",
        "employer_uscc": "91110000802100433B",
    }
    for ensure_ascii in (False, True):
        text = json.dumps(record, ensure_ascii=ensure_ascii)
        assert json.loads(mask_identifiers(text)) == masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # lower-case check character is still a resident identity number
        ("id 11010519491231002x.", "id 110105********002x."),
        # wrong check character: still personal data
        ("110105194912310025", "110105********0025"),
        # public organisation codes are left alone, including an all-digit one
        ("91310000775785552L", "91310000775785552L"),
        (ALL_DIGIT_USCC, ALL_DIGIT_USCC),
        (f"代码{ALL_DIGIT_USCC}。", f"代码{ALL_DIGIT_USCC}。"),
        # no plausible birth date: not a resident identity number
        ("110105199413310021", "110105199413310021"),
        ("110105000012310021", "110105000012310021"),
        # not word-bounded: part of a longer number or token
        ("911010519491231002X", "911010519491231002X"),
        ("11010519491231002X1", "11010519491231002X1"),
        ("A11010519491231002X", "A11010519491231002X"),
        ("11010519491231002Xa", "11010519491231002Xa"),
        # bounded by punctuation and line ends
        ("(11010519491231002X)\n440524188001010014", "(110105********002X)\n440524********0014"),
        ("", ""),
    ],
)
def test_mask_identifiers_cases(text: str, expected: str) -> None:
    assert mask_identifiers(text) == expected


def test_all_digit_uscc_fixture_is_what_it_claims() -> None:
    assert is_valid_uscc(ALL_DIGIT_USCC) is True
    assert resident_id_problem(ALL_DIGIT_USCC) == IdentifierProblem(
        "check", "check character `2` does not match, expected `5`", 17
    )


# --- properties --------------------------------------------------------------------------------

ADDRESS = st.text(alphabet=DIGITS, min_size=6, max_size=6)
SEQUENCE = st.text(alphabet=DIGITS, min_size=3, max_size=3)
BIRTH_DATES = st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2099, 12, 31))
NEAR_MISS = st.text(alphabet=USCC_ALPHABET + "xXIOSVZ中１ \x00\ud800", min_size=16, max_size=20)
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=8)


@st.composite
def resident_prefixes(draw: st.DrawFn) -> str:
    born = draw(BIRTH_DATES)
    return draw(ADDRESS) + born.strftime("%Y%m%d").zfill(8) + draw(SEQUENCE)


@given(st.one_of(st.text(), NEAR_MISS))
def test_validators_never_raise(text: str) -> None:
    problem = uscc_problem(text)
    assert is_valid_uscc(text) is (problem is None)
    assert problem is None or problem.code in {"length", "alphabet", "division", "check"}
    problem = resident_id_problem(text, on=datetime.date(2024, 1, 1))
    assert problem is None or problem.code in {"length", "alphabet", "birth_date", "check"}
    assert is_valid_resident_id(text) is (resident_id_problem(text) is None)


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_round_trip(prefix: str) -> None:
    code = prefix + uscc_check_character(prefix)
    if all(c in DIGITS for c in prefix[2:8]):
        assert uscc_problem(code) is None
    else:
        problem = uscc_problem(code)
        assert problem is not None
        assert problem.code == "division"


@given(resident_prefixes())
def test_resident_id_round_trip(prefix: str) -> None:
    number = prefix + resident_id_check_character(prefix)
    assert resident_id_problem(number) is None
    assert birth_date(number).strftime("%Y%m%d").zfill(8) == prefix[6:14]


@given(st.text(), st.integers(0, 20), st.integers(0, 20))
def test_mask_keeps_length_head_and_tail(value: str, head: int, tail: int) -> None:
    masked = mask(value, keep_head=head, keep_tail=tail)
    assert len(masked) == len(value)
    if len(value) <= head + tail:
        assert masked == "*" * len(value)
    else:
        assert masked[:head] == value[:head]
        assert masked[len(value) - tail :] == value[len(value) - tail :]
        assert set(masked[head : len(value) - tail]) == {"*"}


@given(CJK, resident_prefixes(), CJK)
def test_mask_identifiers_masks_ids_inside_cjk_text(before: str, prefix: str, after: str) -> None:
    number = prefix + resident_id_check_character(prefix)
    assert mask_identifiers(before + number + after) == before + mask(number) + after


@given(st.text(alphabet=DIGITS + "Xx中 -\\u", max_size=60))
def test_mask_identifiers_keeps_length_and_is_idempotent(text: str) -> None:
    once = mask_identifiers(text)
    assert len(once) == len(text)
    assert mask_identifiers(once) == once


def test_doctests() -> None:
    result = doctest.testmod(identifiers, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 18
