"""Ranks in the many ways travellers write them: 2, 2nd, second, #2, No.2, number two,
top 3, 第二, 2位, 2위, 두번째.

Works on normalised text (see ``bot.text.normalise``), so fullwidth digits are already ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CJK_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CJK_UNITS = {"十": 10, "百": 100, "千": 1000}
_CJK_MYRIADS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
# A numeral starts with a digit or 十 (十一); a lone 百 or 万 is a word part (百度 is Baidu).
# It is read whole, so 第九千九百九十九 is 9999, never the 9 it starts with.
_CJK_NUM = "[一二两兩三四五六七八九十][零〇一二两兩三四五六七八九十百千万萬亿億]{0,15}"
_DIGITS = r"\d{1,12}(?!\d)"
# A minus before a number, as typed (normalising turns it into a space): "-1", "−1", "minus 1".
# After a letter or digit a dash joins words or a range ("top-3", "1-3"): not a minus.
_NEGATIVE = re.compile(r"(?:(?<![\w.,])[-\u2212\u2010-\u2015\ufe63\uff0d]\s*|\bminus\s+)(\d+)")


def negative_numbers(typed: str) -> set[int]:
    """Numbers written with a minus sign ("number -1"): never a rank."""
    return {int(m.group(1)) for m in _NEGATIVE.finditer(typed)}


@dataclass(frozen=True)
class RankRef:
    """A rank the question names: exactly ``n`` (``top`` False) or the first ``n``."""

    n: int
    top: bool = False


def _cjk_number(text: str) -> int | None:
    """The value of a numeral in Chinese characters (or of plain digits); ``None`` when it is
    not a well-formed numeral (two digits in a row, a unit without a number...)."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total = 0  # whole myriads (万, 亿) so far
    section = 0  # below the current myriad
    digit: int | None = None  # a digit waiting for its unit
    for char in text:
        if char in _CJK_DIGITS:
            value = _CJK_DIGITS[char]
            if digit is not None and digit != 0 and value != 0:
                return None  # 九九: two digits without a unit between them
            digit = value
        elif char in _CJK_UNITS:
            section += (1 if digit is None else digit) * _CJK_UNITS[char]
            digit = None
        elif char in _CJK_MYRIADS:
            section += digit or 0
            if section == 0:
                return None  # 亿 alone
            total += section * _CJK_MYRIADS[char]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _word_pattern(words: Mapping[str, int]) -> str:
    latin = sorted((w for w in words if w.isascii()), key=len, reverse=True)
    return "|".join(re.escape(w) for w in latin) or "(?!)"


def _build(words: Mapping[str, int]) -> list[tuple[re.Pattern[str], bool, str]]:
    # A decimal (5.4, 12,000) is a figure, never a rank: its digits are not read as one.
    num = rf"(\d{{1,12}}(?![.,]\d)|{_word_pattern(words)})"
    # Ordinal words stand alone ("the second city"); cardinals only after "number", "top"...
    ordinals = {w: n for w, n in words.items() if w.endswith(("st", "nd", "rd", "th"))}
    # Order matters: "top 3" must be seen as a top-N before "3" is seen as an exact rank.
    return [
        (re.compile(rf"\b(?:top|first|best)\s*{num}\b"), True, "latin"),
        (re.compile(rf"(?:前|トップ|top)\s*({_DIGITS}|{_CJK_NUM})"), True, "cjk"),
        (re.compile(rf"상위\s*({_DIGITS})"), True, "cjk"),
        (
            re.compile(
                rf"(?:#|\bno\.?\s*|\bnumber\s*|\bnum\s*|\bnr\.?\s*|\brank(?:ed)?\s*)\s*{num}\b"
            ),
            False,
            "latin",
        ),
        (re.compile(r"\b(\d{1,12})\s*(?:st|nd|rd|th)\b"), False, "latin"),
        (re.compile(rf"第\s*({_DIGITS}|{_CJK_NUM})"), False, "cjk"),
        (re.compile(rf"(?<![\d.,])({_DIGITS}|{_CJK_NUM})\s*(?:位|名|위|등)"), False, "cjk"),
        (re.compile(rf"\b({_word_pattern(ordinals)})\b"), False, "latin"),
        (re.compile(r"(첫|두|세|네|다섯)\s*(?:번째|번 째|째)"), False, "korean"),
    ]


_KOREAN = {"첫": 1, "두": 2, "세": 3, "네": 4, "다섯": 5}


def _marked(
    words: Mapping[str, int], markers: Iterable[str], counted: Iterable[str]
) -> list[tuple[re.Pattern[str], bool, str]]:
    """Ranks in the languages' own words: a rank word before a number ("Nummer 2", "número
    dos", "место 3", "อันดับ 2") or a number word before a word for cluster ("der dritte
    Cluster", "el tercer clúster"). Only words of three letters or more serve as markers."""
    marks = sorted({m for m in markers if len(m) >= 3}, key=len, reverse=True)
    clusters = sorted({c for c in counted if len(c) >= 3}, key=len, reverse=True)
    spelt = sorted(words, key=len, reverse=True)
    if not marks or not spelt:
        return []
    number = "|".join(re.escape(w) for w in spelt)
    marker = "|".join(re.escape(m) for m in marks)
    out = [
        (
            re.compile(rf"(?:{marker})\s*(\d{{1,3}}(?![.,]\d)|{number})(?!\w)"),
            False,
            "latin",
        )
    ]
    phrases = [w for w in spelt if " " in w]  # "numero un", "first one": a rank on their own
    if phrases:
        out.append(
            (
                re.compile(rf"(?<!\w)({'|'.join(re.escape(w) for w in phrases)})(?!\w)"),
                False,
                "latin",
            )
        )
    if clusters:
        out.append(
            (
                re.compile(rf"(?<!\w)({number})\s+(?:{'|'.join(re.escape(c) for c in clusters)})"),
                False,
                "latin",
            )
        )
    return out


class RankReader:
    """Finds rank references; ordinal words come from the knowledge's ``number_words`` and
    the languages' ``numbers``, rank words from their ``rank`` asks."""

    def __init__(
        self,
        number_words: Mapping[str, int],
        markers: Iterable[str] = (),
        counted: Iterable[str] = (),
    ) -> None:
        self.words = {k.casefold(): v for k, v in number_words.items()}
        self.patterns = _build(self.words) + _marked(self.words, markers, counted)
        self._bare_number = re.compile(r"(?<![\d.,])\b(\d{1,2})\b(?![\d.,%])")

    def _value(self, raw: str, kind: str) -> int | None:
        if kind == "korean":
            return _KOREAN.get(raw)
        if raw.isdigit():
            return int(raw)
        if kind == "cjk":
            return _cjk_number(raw)
        return self.words.get(raw)

    def find(self, normalised: str, typed: str | None = None) -> list[RankRef]:
        """Every rank reference in the text, in order of the patterns' priority. ``typed``, the
        question as written, tells a negative number ("number -1") from a rank: normalising
        drops the minus sign."""
        negative = negative_numbers(typed) if typed else set()
        found: list[RankRef] = []
        taken: list[tuple[int, int]] = []
        for pattern, top, kind in self.patterns:
            for match in pattern.finditer(normalised):
                span = match.span()
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                raw = match.group(1)
                value = self._value(raw, kind)
                if value is None or (raw.isdigit() and value in negative):
                    continue
                taken.append(span)
                found.append(RankRef(value, top))
        return found

    def bare_numbers(self, normalised: str) -> list[int]:
        """Small numbers standing alone ("which is 2"), a weaker hint than ``find``."""
        return [int(m.group(1)) for m in self._bare_number.finditer(normalised)]
