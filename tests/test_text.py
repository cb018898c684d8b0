"""Normalising and tokenising: what aliases and questions are compared in."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text import is_cjk, normalise, segment_cjk, tokenise

VOCABULARY = {
    "東京",
    "観光",
    "スポット",
    "深圳",
    "无人机",
    "表演",
    "北京",
    "おすすめ",
    "서울",
    "에서",
    "청계천",
}


def known(word: str) -> bool:
    return word in VOCABULARY


# --- normalise ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＴＯＫＹＯ", "tokyo"),  # fullwidth letters
        ("Ｔｏｋｙｏ　２位", "tokyo 2位"),  # fullwidth digits and the ideographic space
        ("ﾄｳｷｮｳ", "トウキョウ"),  # halfwidth katakana
        ("𝐒𝐞𝐨𝐮𝐥", "seoul"),  # mathematical bold letters
        ("SEOUL", "seoul"),
        ("Straße", "strasse"),
    ],
)
def test_width_and_case_are_folded(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pékin", "pekin"),
        ("Séoul", "seoul"),
        ("São Paulo", "sao paulo"),
        ("Zürich", "zurich"),
        ("Tōkyō", "tokyo"),
        ("Pe\u0301kin", "pekin"),  # decomposed accent
    ],
)
def test_accents_on_latin_letters_are_dropped(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ありがとう", "が", "ガイド", "パン", "ぱぴぷぺぽ", "東京", "서울", "청계천", "深圳无人机"],
)
def test_japanese_voicing_marks_and_cjk_are_kept(text: str) -> None:
    assert normalise(text) == text


def test_voiced_kana_stay_voiced() -> None:
    assert normalise("が") != "か"
    assert normalise("ありがとう") != "ありかとう"
    assert normalise("ｶﾞｲﾄﾞ") == "ガイド"  # halfwidth voiced katakana compose
    assert normalise("か\u3099") == "が"  # a decomposed voicing mark composes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tokyo!!! 🗼", "tokyo"),
        ("I ❤️ Seoul", "i seoul"),  # the emoji's variation selector goes too
        ("👍🏽 Beijing", "beijing"),  # skin-tone modifier
        ("👨‍👩‍👧 Shenzhen", "shenzhen"),  # zero-width joiners inside an emoji
        ("«Beijing»?!", "beijing"),
        ("Seoul (Korea)", "seoul korea"),
        ("東京？！", "東京"),
        ("서울!!", "서울"),
        ("teamLab® Planets", "teamlab planets"),
    ],
)
def test_emoji_and_punctuation_are_removed(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shen\u200bzhen", "shenzhen"),  # zero-width space
        ("Tok\u00adyo", "tokyo"),  # soft hyphen
        ("\ufeffSeoul", "seoul"),  # byte-order mark
        ("Bei\u200djing\u200c", "beijing"),  # zero-width joiner and non-joiner
        ("Seoul\u2060", "seoul"),  # word joiner
    ],
)
def test_zero_width_characters_are_removed(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_control_characters_and_whitespace() -> None:
    assert normalise("  Tokyo \n\t Yokohama\x00\x1b[31m  ") == "tokyo yokohama 31m"
    assert normalise("") == ""
    assert normalise(" \n\t ") == ""
    assert normalise("🙂🙂🙂") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tokyooooo", "tokyo"),
        ("hiiii", "hi"),
        ("soooo cooool", "so col"),
        ("Yokohamma", "yokohamma"),  # two of a letter stay
        ("ありがとうううう", "ありがとう"),
        ("12,000 drones", "12,000 drones"),  # digits are never shrunk
        ("1000", "1000"),
        ("2000000", "2000000"),
        ("5.4%", "5.4%"),
        ("#2", "#2"),
        ("what's", "what's"),
    ],
)
def test_repeated_letters_shrink_but_numbers_stay(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_stray_combining_marks_never_crash() -> None:
    assert normalise("\u0301Tokyo") == "tokyo"  # a mark on nothing
    assert normalise("€\u0301 Seoul") == "seoul"  # a mark on a dropped symbol
    assert normalise("\u3099") == ""


# A mix that reaches the corners: marks with and without a base, variation selectors,
# zero-width and other format characters, fullwidth and halfwidth forms, kana, Hangul jamo,
# ligatures, case-folding oddities (ß, İ, ΐ), digits of other scripts, separators.
_TRICKY = st.sampled_from(
    list(
        "aAeé\u0301\u0308\u0345\u3099\u309a\ufe0f\u200b\u200c\u200d\u00ad\ufeff\u2060"
        "かがカｶﾞ東京서울\u1100\u1161\u11a8ﬁßİΐǰ①²½٣𝐀🙂🇯🇵#%.,'’ \t\n\u3000\u2028"
    )
)
_TEXT = st.one_of(
    st.text(), st.text(_TRICKY), st.lists(st.one_of(_TRICKY, st.characters())).map("".join)
)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
@example("\u0301x")
@example("I ❤️ Tokyo")
@example("a €\u0301")
def test_normalise_never_raises_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp") for c in once)
    assert tokenise(once) == tokenise(normalise(once))
    assert all(token and " " not in token for token in tokenise(once, known))


# --- tokenise ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, Tokyo!", ["hello", "tokyo"]),
        ("12,000 drones", ["12,000", "drones"]),
        ("Seoul has 5.4% of PCT filings", ["seoul", "has", "5.4", "of", "pct", "filings"]),
        ("what's #2?", ["what", "s", "2"]),
        ("San Jose–San Francisco", ["san", "jose", "san", "francisco"]),
        ("top3", ["top", "3"]),
        ("Seoul… (Korea)", ["seoul", "korea"]),  # the dots normalise keeps
    ],
)
def test_latin_words_and_numbers(text: str, expected: list[str]) -> None:
    assert tokenise(normalise(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("東京の観光スポット", ["東京", "の", "観光", "スポット"]),
        ("深圳无人机表演", ["深圳", "无人机", "表演"]),
        ("北京で何を見る", ["北京", "で", "何", "を", "見", "る"]),
        ("おすすめは？", ["おすすめ", "は"]),
        ("Tokyo東京2位", ["tokyo", "東京", "2", "位"]),
    ],
)
def test_cjk_is_segmented_against_the_vocabulary(text: str, expected: list[str]) -> None:
    assert tokenise(normalise(text), known) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("서울에서 뭐 봐요?", ["서울", "에서", "뭐", "봐", "요"]),  # a particle stuck to the noun
        ("서울의 청계천", ["서울", "의", "청계천"]),
        ("청계천은", ["청계천", "은"]),
    ],
)
def test_korean_particles_come_off_known_nouns(text: str, expected: list[str]) -> None:
    assert tokenise(normalise(text), known) == expected


def test_without_vocabulary_a_cjk_run_is_one_token() -> None:
    # how the vocabulary itself is built from aliases: 東京都 is one word
    assert tokenise(normalise("東京の観光スポット")) == ["東京の観光スポット"]
    assert tokenise(normalise("서울에서 뭐 봐요")) == ["서울에서", "뭐", "봐요"]


def test_segmentation_prefers_the_longest_known_word() -> None:
    words = {"東京", "東京都", "都庁"}
    assert segment_cjk("東京都庁", words.__contains__) == ["東京都", "庁"]
    assert segment_cjk("東京", set[str]().__contains__) == ["東", "京"]
    assert segment_cjk("", words.__contains__) == []


def test_is_cjk() -> None:
    assert all(is_cjk(c) for c in "東京かカー・서울ᄀ")
    assert not any(is_cjk(c) for c in "aé1 ,🙂")
