"""Ranks in the many ways travellers write them: 2, 2nd, second, #2, No.2, number two,
top 3, 第二, 2位, 2위, 두번째.

Works on normalised text (see ``bot.text.normalise``), so fullwidth digits are already ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CJK_DIGITS = {
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
    "十": 10,
}
_CJK_NUM = "[一二两兩三四五六七八九十]{1,3}"


@dataclass(frozen=True)
class RankRef:
    """A rank the question names: exactly ``n`` (``top`` False) or the first ``n``."""

    n: int
    top: bool = False


def _cjk_number(text: str) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):  # 十一..十九
        return 10 + _CJK_DIGITS.get(text[1:], 0)
    if len(text) == 1:
        return _CJK_DIGITS.get(text)
    if len(text) >= 2 and text[1] == "十":  # 二十, 二十三
        tail = _CJK_DIGITS.get(text[2:], 0) if len(text) > 2 else 0
        return _CJK_DIGITS.get(text[0], 0) * 10 + tail
    return None


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
        (re.compile(rf"(?:前|トップ|top)\s*(\d{{1,3}}|{_CJK_NUM})"), True, "cjk"),
        (re.compile(r"상위\s*(\d{1,3})"), True, "cjk"),
        (
            re.compile(
                rf"(?:#|\bno\.?\s*|\bnumber\s*|\bnum\s*|\bnr\.?\s*|\brank(?:ed)?\s*)\s*{num}\b"
            ),
            False,
            "latin",
        ),
        (re.compile(r"\b(\d{1,12})\s*(?:st|nd|rd|th)\b"), False, "latin"),
        (re.compile(rf"第\s*(\d{{1,3}}|{_CJK_NUM})"), False, "cjk"),
        (re.compile(rf"(?<![\d.,])(\d{{1,3}}|{_CJK_NUM})\s*(?:位|名|위|등)"), False, "cjk"),
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

    def find(self, normalised: str) -> list[RankRef]:
        """Every rank reference in the text, in order of the patterns' priority."""
        found: list[RankRef] = []
        taken: list[tuple[int, int]] = []
        for pattern, top, kind in self.patterns:
            for match in pattern.finditer(normalised):
                span = match.span()
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                value = self._value(match.group(1), kind)
                if value is None:
                    continue
                taken.append(span)
                found.append(RankRef(value, top))
        return found

    def bare_numbers(self, normalised: str) -> list[int]:
        """Small numbers standing alone ("which is 2"), a weaker hint than ``find``."""
        return [int(m.group(1)) for m in self._bare_number.finditer(normalised)]
