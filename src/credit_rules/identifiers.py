"""Validation and masking of the two identifiers a subject carries.

Input: strings as they arrive from records (a unified social credit code for organisations,
a resident identity number for natural persons). Output: an :class:`IdentifierProblem` saying
why a string is not a valid identifier, or ``None``; plus the derived facts the engine needs
(birth date, minor status) and masking (脱敏) for anything shown to people.

The ``*_problem`` and ``is_valid_*`` functions never raise, whatever the string: records come
from outside and a bad identifier is data, not a crash. Functions that need a valid
identifier to answer (:func:`birth_date`, :func:`is_minor`, the check-character functions)
raise :class:`ValueError` instead.

Standards:

- unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a
  31-character alphabet, check character by weights ``3**i mod 31``;
- resident identity number (公民身份号码), GB 11643-1999: 17 digits and an ISO 7064
  MOD 11-2 check character (a digit or ``X``).
"""

from __future__ import annotations

import datetime
import re
from typing import Literal

import attrs

__all__ = [
    "MIN_BIRTH_YEAR",
    "RESIDENT_ID_CHECK_CHARACTERS",
    "USCC_ALPHABET",
    "IdentifierProblem",
    "ProblemCode",
    "birth_date",
    "is_minor",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mask",
    "mask_identifiers",
    "resident_id_check_character",
    "resident_id_problem",
    "uscc_check_character",
    "uscc_problem",
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a unified social credit code, in value order (no I, O, S, V, Z)."""

RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"
"""The resident identity number check character, indexed by the weighted sum mod 11."""

MIN_BIRTH_YEAR = 1800
"""Birth years before this are rejected as implausible (identity numbers date from 1984)."""

IDENTIFIER_LENGTH = 18

ProblemCode = Literal["length", "alphabet", "check", "division", "birth_date"]
"""The stable problem codes; tests and callers may match on them."""

_USCC_VALUES = {character: value for value, character in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_DIVISION = range(2, 8)  # 0-based positions of the administrative division code

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_BIRTH_DATE = slice(6, 14)  # YYYYMMDD
_ASCII_DIGITS = frozenset("0123456789")

# Word-bounded on ASCII word characters only: Python's ``\b`` would treat CJK characters as
# word characters and miss "身份证号11010519491231002X". A ``\uXXXX`` escape just before the
# digits also counts as a boundary, so JSON written with ensure_ascii=True is masked too.
_RESIDENT_ID_IN_TEXT = re.compile(
    r"(?:(?<![0-9A-Za-z_])|(?<=\\u[0-9A-Fa-f]{4}))[0-9]{17}[0-9Xx](?![0-9A-Za-z_])"
)
_MAX_PLAUSIBLE_BIRTH_YEAR = 2099


@attrs.frozen(slots=True)
class IdentifierProblem:
    """Why a string is not a valid identifier: a stable code, a message and where.

    ``position`` is the 0-based index of the offending character: the character itself for
    ``alphabet`` and ``division``, the check character (17) for ``check``, the start of the
    birth date (6) for ``birth_date``, and ``None`` for ``length``.

    >>> problem = uscc_problem("91350100M000100Y4Y")
    >>> problem.code, problem.position
    ('check', 17)
    >>> problem.message
    'check character `Y` does not match, expected `3`'
    """

    code: ProblemCode
    message: str
    position: int | None


def _shown(character: str) -> str:
    """A character as it can be put between backticks in a one-line message."""
    if character.isprintable():
        return character
    return character.encode("unicode_escape", "backslashreplace").decode("ascii")


def _uscc_sum(first17: str) -> int:
    return sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))


def _uscc_check(first17: str) -> str:
    return USCC_ALPHABET[(31 - _uscc_sum(first17) % 31) % 31]


def _resident_check(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def _length_problem(value: str) -> IdentifierProblem | None:
    if len(value) == IDENTIFIER_LENGTH:
        return None
    return IdentifierProblem(
        "length", f"expected {IDENTIFIER_LENGTH} characters, got {len(value)}", None
    )


def _calendar_date(digits: str) -> datetime.date | None:
    """The date written as YYYYMMDD (ASCII digits), or None if there is no such day."""
    try:
        return datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def uscc_problem(code: str) -> IdentifierProblem | None:
    """Why ``code`` is not a valid unified social credit code, or ``None`` if it is.

    Checks, in order: length 18, every character in :data:`USCC_ALPHABET` (upper case),
    digits in the administrative division code (positions 2-7), then the check character.
    Never raises.

    Args:
        code: the candidate code, exactly as written (no trimming, no case folding).

    Returns:
        The first problem found, or ``None``.

    >>> uscc_problem("91350100M000100Y43") is None
    True
    >>> uscc_problem("91350100M000100I43")  # doctest: +NORMALIZE_WHITESPACE
    IdentifierProblem(code='alphabet',
        message='character `I` is not allowed in a unified social credit code', position=15)
    """
    if (problem := _length_problem(code)) is not None:
        return problem
    for position, character in enumerate(code):
        if character in _USCC_VALUES:
            continue
        upper = character.upper()
        if upper in _USCC_VALUES:
            message = f"character `{_shown(character)}` is not allowed: use upper-case `{upper}`"
        else:
            message = (
                f"character `{_shown(character)}` is not allowed in a unified social credit code"
            )
        return IdentifierProblem("alphabet", message, position)
    for position in _USCC_DIVISION:
        if code[position] not in _ASCII_DIGITS:
            return IdentifierProblem(
                "division",
                f"administrative division code must be 6 digits, found `{code[position]}`",
                position,
            )
    expected = _uscc_check(code[:17])
    if code[17] != expected:
        return IdentifierProblem(
            "check", f"check character `{code[17]}` does not match, expected `{expected}`", 17
        )
    return None


def resident_id_problem(
    number: str, *, on: datetime.date | None = None
) -> IdentifierProblem | None:
    """Why ``number`` is not a valid resident identity number, or ``None`` if it is.

    Checks, in order: length 18, ASCII digits with a final digit or upper-case ``X``, a birth
    date that is a real calendar day from :data:`MIN_BIRTH_YEAR` on and not after ``on``,
    then the check character. The address code is not checked against the list of divisions
    (it changes over time and old numbers stay valid). Never raises.

    Args:
        number: the candidate number, exactly as written (no trimming, no case folding).
        on: the reference date, usually the as-of date of a decision; a birth date after it
            is a problem. ``None`` skips that check.

    Returns:
        The first problem found, or ``None``.

    >>> resident_id_problem("11010519491231002X") is None
    True
    >>> resident_id_problem("11010519491231002x")  # doctest: +NORMALIZE_WHITESPACE
    IdentifierProblem(code='alphabet',
        message='check character `x` is not allowed: use upper-case `X`', position=17)
    >>> resident_id_problem("11010519490231002X").message
    'birth date `19490231` is not a real calendar date'
    """
    if (problem := _length_problem(number)) is not None:
        return problem
    for position, character in enumerate(number[:17]):
        if character not in _ASCII_DIGITS:
            return IdentifierProblem(
                "alphabet",
                f"character `{_shown(character)}` is not allowed: expected a digit",
                position,
            )
    last = number[17]
    if last not in _ASCII_DIGITS and last != "X":
        hint = "use upper-case `X`" if last == "x" else "expected a digit or `X`"
        return IdentifierProblem(
            "alphabet", f"check character `{_shown(last)}` is not allowed: {hint}", 17
        )
    digits = number[_RESIDENT_BIRTH_DATE]
    born = _calendar_date(digits)
    if born is None:
        return IdentifierProblem(
            "birth_date", f"birth date `{digits}` is not a real calendar date", 6
        )
    if born.year < MIN_BIRTH_YEAR:
        return IdentifierProblem(
            "birth_date", f"birth date `{digits}` is before the year {MIN_BIRTH_YEAR}", 6
        )
    if isinstance(on, datetime.datetime):  # a datetime is a date, but does not compare to one
        on = on.date()
    if on is not None and born > on:
        return IdentifierProblem(
            "birth_date",
            f"birth date `{digits}` is after the reference date `{on.isoformat()}`",
            6,
        )
    expected = _resident_check(number[:17])
    if last != expected:
        return IdentifierProblem(
            "check", f"check character `{last}` does not match, expected `{expected}`", 17
        )
    return None


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a valid unified social credit code; never raises.

    >>> is_valid_uscc("91110000802100433B")
    True
    >>> is_valid_uscc("91110000802100433b")
    False
    """
    return uscc_problem(code) is None


def is_valid_resident_id(number: str) -> bool:
    """Whether ``number`` is a valid resident identity number; never raises.

    No reference date is applied; use :func:`resident_id_problem` with ``on`` for that.

    >>> is_valid_resident_id("440524188001010014")
    True
    >>> is_valid_resident_id("440524188001010015")
    False
    """
    return resident_id_problem(number) is None


def uscc_check_character(first17: str) -> str:
    """The check character that completes the first 17 characters of a USCC.

    Args:
        first17: 17 characters of :data:`USCC_ALPHABET`.

    Returns:
        One character of :data:`USCC_ALPHABET`.

    Raises:
        ValueError: if ``first17`` is not 17 characters of that alphabet.

    >>> uscc_check_character("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17 or any(c not in _USCC_VALUES for c in first17):
        raise ValueError(f"expected 17 characters of `{USCC_ALPHABET}`, got `{first17}`")
    return _uscc_check(first17)


def resident_id_check_character(first17: str) -> str:
    """The check character (a digit or ``X``) that completes 17 resident-ID digits.

    Only the arithmetic is done: the birth date is not checked here.

    Args:
        first17: 17 ASCII digits.

    Returns:
        One of ``0123456789X``.

    Raises:
        ValueError: if ``first17`` is not 17 ASCII digits.

    >>> resident_id_check_character("11010519491231002")
    'X'
    """
    if len(first17) != 17 or any(c not in _ASCII_DIGITS for c in first17):
        raise ValueError(f"expected 17 digits, got `{first17}`")
    return _resident_check(first17)


def birth_date(number: str) -> datetime.date:
    """The birth date written in a valid resident identity number.

    Raises:
        ValueError: if ``number`` is not valid; the message is the problem's message.

    >>> birth_date("11010519491231002X")
    datetime.date(1949, 12, 31)
    """
    if (problem := resident_id_problem(number)) is not None:
        raise ValueError(problem.message)
    born = _calendar_date(number[_RESIDENT_BIRTH_DATE])
    assert born is not None  # INVARIANT: resident_id_problem accepted the birth date
    return born


def is_minor(number: str, on: datetime.date) -> bool:
    """Whether the holder of ``number`` is under 18 on ``on``.

    A person turns 18 on their 18th birthday (on it they are no longer a minor). A 29
    February birthday is reached on 1 March in common years, so such a person is still a
    minor on 28 February: the reading that keeps leniency for minors when in doubt.

    Raises:
        ValueError: if ``number`` is not valid or its birth date is after ``on``.

    >>> is_minor("11010519491231002X", datetime.date(1967, 12, 30))
    True
    >>> is_minor("11010519491231002X", datetime.date(1967, 12, 31))
    False
    """
    if (problem := resident_id_problem(number, on=on)) is not None:
        raise ValueError(problem.message)
    born = birth_date(number)
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return age < 18


def mask(value: str, *, keep_head: int = 6, keep_tail: int = 4) -> str:
    """``value`` with all but its first ``keep_head`` and last ``keep_tail`` characters as ``*``.

    The length is kept. A value no longer than ``keep_head + keep_tail`` is masked entirely,
    since keeping both ends would show all of it.

    Raises:
        ValueError: if ``keep_head`` or ``keep_tail`` is negative.

    >>> mask("11010519491231002X")
    '110105********002X'
    >>> mask("1234567890")
    '**********'
    """
    if keep_head < 0 or keep_tail < 0:
        raise ValueError(f"keep_head and keep_tail must be >= 0, got {keep_head}, {keep_tail}")
    length = len(value)
    if length <= keep_head + keep_tail:
        return "*" * length
    return value[:keep_head] + "*" * (length - keep_head - keep_tail) + value[length - keep_tail :]


def _looks_like_resident_id(candidate: str) -> bool:
    """Whether 17 digits and a digit or X are plausibly a person's number, not a USCC."""
    born = _calendar_date(candidate[_RESIDENT_BIRTH_DATE])
    if born is None or not MIN_BIRTH_YEAR <= born.year <= _MAX_PLAUSIBLE_BIRTH_YEAR:
        return False
    # An all-digit USCC can have a date-like middle; keep it if only the USCC check holds.
    resident_check_holds = _resident_check(candidate[:17]) == candidate[17].upper()
    return resident_check_holds or not is_valid_uscc(candidate)


def mask_identifiers(text: str) -> str:
    """``text`` with every resident identity number in it masked by :func:`mask`.

    A match is 17 ASCII digits and a digit, ``X`` or ``x``, not touching other ASCII letters,
    digits or ``_`` (CJK characters and ``\\uXXXX`` escapes around it are fine), with a
    plausible birth date. Numbers with a wrong check character are masked too: a typo does
    not make personal data public. Unified social credit codes are public and left alone.

    >>> mask_identifiers("申请人身份证号11010519491231002X，统一社会信用代码91110000802100433B")
    '申请人身份证号110105********002X，统一社会信用代码91110000802100433B'
    """

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        return mask(found) if _looks_like_resident_id(found) else found

    return _RESIDENT_ID_IN_TEXT.sub(replace, text)
