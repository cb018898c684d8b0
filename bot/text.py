"""Normalisation and tokenising shared by the index (for aliases) and the matcher (for questions).

Both sides must go through the same functions, otherwise an alias written ``Pékin`` in the YAML
would never meet a traveller's ``pekin``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

# Scripts written without spaces between words: a run of these characters is segmented
# against the known vocabulary instead of being split on whitespace. Hangul is spaced, but
# particles stick to nouns (서울에서), so it is segmented the same way.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x0E00, 0x0E7F),  # Thai: written without spaces between words, like Chinese
)
# Katakana middle dot and prolonged sound mark belong inside words.
_CJK_INNER = {"\u30fb", "\u30fc"}
# The same set as one character class: a regex test is far cheaper than a loop over ranges,
# and it splits a chunk into CJK and other runs in one pass.
_CJK_CLASS = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _CJK_RANGES) + "".join(
    sorted(_CJK_INNER)
)
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]").fullmatch
_CJK_RUNS = re.compile(f"([{_CJK_CLASS}]+)|[^{_CJK_CLASS}]+")
# What normalise() does to plain ASCII, as one table: letters and digits stay, "#%.,'" stay,
# anything else becomes a space (ASCII has no accents, marks, format characters or flags).
_ASCII_FOLD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) in "#%.,'")}
)
_MAX_SEGMENT = 12  # longest vocabulary entry tried by maximum matching, in characters
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "tokyooo", "hiiii": three or more of one letter
# A number keeps its decimal point and thousands separators (5.4, 12,000); a word is letters.
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")


# A flag emoji is two regional indicator symbols spelling the country code (🇯🇵 = J P);
# read as the code, a flag names its economy like any other alias ("jp").
_FLAG = re.compile("([\U0001f1e6-\U0001f1ff]{2})")


def _flag_letters(match: re.Match[str]) -> str:
    return " " + "".join(chr(ord(c) - 0x1F1E6 + ord("a")) for c in match.group(1)) + " "


def is_cjk(char: str) -> bool:
    return _CJK_CHAR(char) is not None


def _is_latin_base(char: str) -> bool:
    # Accents are dropped only after Latin, Greek and Cyrillic letters; Japanese voicing
    # marks (が = か + U+3099) are combining marks too and must stay.
    return ord(char) < 0x0530


# Letters with no decomposition that travellers type without their stroke: Vietnamese đ,
# Polish ł, Nordic ø, ligatures.
_STROKES = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "œ": "oe", "æ": "ae", "ı": "i"})
# Text in printable ASCII and the Latin letters of U+00C0–U+024F (most of the languages'
# words) takes a shorter path with the same result: compatibility decomposition, case, marks.
_LATIN_TEXT = re.compile("[\x20-\x7e\u00c0-\u024f]*").fullmatch
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_NOT_KEPT = re.compile("[^\\w#%.,'’]|_")


def _normalise_latin(text: str) -> str:
    folded = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text).casefold())
    folded = _NOT_KEPT.sub(" ", folded).translate(_STROKES)
    return " ".join(_REPEATS.sub(r"\1", folded).split())


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Fold a string to the form both aliases and questions are compared in.

    NFKC folds fullwidth (ＴＯＫＹＯ) and mathematical letters; case is folded; accents on
    Latin letters are dropped (Pékin → pekin); zero-width and other invisible format
    characters are removed; anything else that is neither a letter, a digit nor CJK
    (punctuation, emoji, symbols, control characters) becomes a space; runs of three or
    more equal letters shrink to one. Idempotent: normalising twice changes nothing.
    """
    if text.isascii():  # most aliases and questions: skip the Unicode passes
        return " ".join(_REPEATS.sub(r"\1", text.lower().translate(_ASCII_FOLD)).split())
    if _LATIN_TEXT(text):
        return _normalise_latin(text)
    return _normalise_any(text)


def _normalise_any(text: str) -> str:
    text = _FLAG.sub(_flag_letters, text)
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    # A combining mark stays only on a kept non-Latin letter (が); one on a Latin letter, on
    # nothing, or on something dropped (the U+FE0F of ❤️) goes.
    keep_marks = False
    for char in unicodedata.normalize("NFD", text):
        category = unicodedata.category(char)
        if category == "Mn":
            if keep_marks:
                out.append(char)
            continue
        if category == "Cf":
            continue  # invisible format characters (zero-width, soft hyphen) vanish
        if char.isalnum() or is_cjk(char):
            out.append(char)
            keep_marks = not _is_latin_base(char)
            continue
        if char in "#%.,'’":
            # kept for numbers ("#2", "5.4%", "12,000") and contractions; tokenise() drops them
            out.append(char)
        else:
            out.append(" ")
        keep_marks = False
    folded = unicodedata.normalize("NFC", "".join(out)).translate(_STROKES)
    folded = _REPEATS.sub(r"\1", folded)
    return " ".join(folded.split())


def _split_runs(chunk: str) -> list[tuple[str, bool]]:
    """Split a whitespace-free chunk into alternating runs of CJK and other characters."""
    return [(m.group(), m.group(1) is not None) for m in _CJK_RUNS.finditer(chunk)]


def segment_cjk(run: str, known: Callable[[str], bool]) -> list[str]:
    """Forward maximum matching: the longest known word at each position, else one character."""
    tokens: list[str] = []
    i = 0
    while i < len(run):
        for j in range(min(len(run), i + _MAX_SEGMENT), i, -1):
            if j - i > 1 and known(run[i:j]):
                tokens.append(run[i:j])
                i = j
                break
        else:
            tokens.append(run[i])
            i += 1
    return tokens


def tokenise(normalised: str, known: Callable[[str], bool] | None = None) -> list[str]:
    """Split normalised text into tokens: Latin words, numbers, and CJK words.

    ``known`` tells whether a CJK string is a vocabulary word, for segmenting questions.
    Without it a CJK run stays one token: that is how the vocabulary itself is built
    from aliases and keywords (東京 is one word, not two characters).
    """
    tokens: list[str] = []
    for chunk in normalised.split(" "):
        for run, cjk in _split_runs(chunk):
            if cjk:
                tokens.extend(segment_cjk(run, known) if known else [run])
                continue
            tokens.extend(_WORD.findall(run))
    return tokens


def words_of(phrases: Iterable[str]) -> list[list[str]]:
    return [tokenise(normalise(p)) for p in phrases]
