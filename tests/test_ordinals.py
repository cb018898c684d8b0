"""Ranks in the ways travellers write them, and figures that are not ranks."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase
from bot.ordinals import RankReader, RankRef
from bot.text import normalise

WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "five": 5,
    "ten": 10,
    "first": 1,
    "second": 2,
    "third": 3,
    "fifth": 5,
}


@pytest.fixture(scope="module")
def reader() -> RankReader:
    return RankReader(WORDS)


def ranks(reader: RankReader, text: str) -> list[RankRef]:
    return reader.find(normalise(text))


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("the 2nd cluster", 2),
        ("3rd", 3),
        ("which is 1st?", 1),
        ("second", 2),
        ("the second cluster", 2),
        ("the fifth one", 5),
        ("#2", 2),
        ("No.2", 2),
        ("no. 2", 2),
        ("No 4", 4),
        ("Ｎｏ．２", 2),  # fullwidth
        ("number two", 2),
        ("which city is number 2?", 2),
        ("is Tokyo number one?", 1),
        ("ranked 5", 5),
        ("rank 3", 3),
        ("第二", 2),
        ("第2", 2),
        ("第十一", 11),
        ("第二名", 2),
        ("2位", 2),
        ("２位", 2),
        ("第2位", 2),
        ("二十三位", 23),
        ("十位", 10),
        ("2위", 2),
        ("5위는 어디?", 5),
        ("두번째", 2),
        ("두 번째", 2),
        ("세 번째 도시", 3),
        ("첫째", 1),
    ],
)
def test_exact_rank(reader: RankReader, text: str, n: int) -> None:
    assert ranks(reader, text) == [RankRef(n)]


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("top 3", 3),
        ("the top three", 3),
        ("top 5 clusters", 5),
        ("the first five", 5),
        ("best 3", 3),
        ("top 100", 100),
        ("前三", 3),
        ("前3", 3),
        ("前十名", 10),
        ("トップ3", 3),
        ("トップ３", 3),
        ("상위 3", 3),
        ("상위3", 3),
    ],
)
def test_top_n(reader: RankReader, text: str, n: int) -> None:
    assert ranks(reader, text) == [RankRef(n, top=True)]


@pytest.mark.parametrize(
    "text",
    [
        "Seoul has 5.4% of PCT filings",
        "5.4%",
        "5.4",
        "6.9% of VC deals",
        "3.8 percent",
        "nearly 12,000 drones",
        "12,000名",  # twelve thousand people, not rank 0
        "1,000位",
        "5.4位",
        "number 5.4",
        "ranked 2.5",
        "#5.4",
        "in 2025",
        "two clusters",  # a cardinal alone is not a rank
        "tell me about Tokyo",
        "",
    ],
)
def test_figures_and_plain_text_are_not_ranks(reader: RankReader, text: str) -> None:
    assert ranks(reader, text) == []


def test_decimals_are_not_bare_numbers(reader: RankReader) -> None:
    for text in ("5.4%", "5.4", "12,000", "6.9% of deals", "in 2025", "No.2"):
        assert reader.bare_numbers(normalise(text)) == [], text


def test_bare_numbers_are_a_weaker_hint(reader: RankReader) -> None:
    assert ranks(reader, "which is 2") == []
    assert reader.bare_numbers(normalise("which is 2")) == [2]
    assert reader.bare_numbers(normalise("is it 3 or 4?")) == [3, 4]


def test_several_references_in_priority_order(reader: RankReader) -> None:
    # a top-N is seen before an exact rank, and the same words are not read twice
    assert ranks(reader, "top 3 and number 5") == [RankRef(3, top=True), RankRef(5)]
    assert ranks(reader, "compare No.1 and No.2") == [RankRef(1), RankRef(2)]


def test_number_words_are_case_insensitive() -> None:
    reader = RankReader({"Second": 2})
    assert reader.find(normalise("the SECOND one")) == [RankRef(2)]


def test_without_number_words_digits_still_work() -> None:
    reader = RankReader({})
    assert reader.find(normalise("No.3")) == [RankRef(3)]
    assert reader.find(normalise("top 2")) == [RankRef(2, top=True)]
    assert reader.find(normalise("second")) == []


def test_shipped_number_words(kb: KnowledgeBase) -> None:
    reader = RankReader(kb.language.number_words)
    assert reader.find(normalise("which is the second cluster?")) == [RankRef(2)]
    assert reader.find(normalise("top five")) == [RankRef(5, top=True)]
    assert reader.find(normalise("number three")) == [RankRef(3)]


# ---- numbers that are not ranks, or not the rank their first digits say ---------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("第九千九百九十九", 9999),
        ("第一百名", 100),
        ("第一百零一位", 101),
        ("第一万", 10_000),
        ("第一万二千", 12_000),
        ("第十亿", 1_000_000_000),
        ("第123456", 123_456),
        ("123456位", 123_456),
        ("第九十九", 99),
        ("第两千", 2000),
    ],
)
def test_a_large_cjk_rank_is_read_whole(reader: RankReader, text: str, n: int) -> None:
    assert ranks(reader, text) == [RankRef(n)]


@pytest.mark.parametrize(("text", "n"), [("前一百", 100), ("前十", 10), ("トップ12", 12)])
def test_a_large_cjk_top_is_read_whole(reader: RankReader, text: str, n: int) -> None:
    assert ranks(reader, text) == [RankRef(n, top=True)]


@pytest.mark.parametrize("text", ["第九九", "前百度", "第亿"])
def test_what_is_no_cjk_numeral_is_no_rank(reader: RankReader, text: str) -> None:
    assert ranks(reader, text) == []


@pytest.mark.parametrize(
    "text",
    ["number -1", "which city is number −1?", "rank -2", "#-3", "No. -4", "-1st", "number minus 1"],
)
def test_a_negative_number_is_not_a_rank(reader: RankReader, text: str) -> None:
    """The minus sign is lost in normalising, so the reader takes the question as typed too."""
    assert reader.find(normalise(text), text) == []


def test_the_text_as_typed_only_removes_negative_numbers(reader: RankReader) -> None:
    text = "is number 2 above number -1?"
    assert reader.find(normalise(text), text) == [RankRef(2)]
    assert reader.find(normalise("top-3 clusters"), "top-3 clusters") == [RankRef(3, top=True)]
    assert reader.find(normalise("rank 1-3"), "rank 1-3") == [RankRef(1)]


def test_the_engine_does_not_answer_number_minus_one(kb: KnowledgeBase) -> None:
    from bot.engine import Engine

    answer = Engine(kb).ask("which city is number -1?")
    assert answer.clusters == ()
