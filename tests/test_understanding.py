"""The understanding's mechanisms, each on its own: answer units, retrieval, the frame (language,
typos, places, sounds), the rule tables, answerability, dialogue and confidence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import render
from bot.engine import Engine
from bot.index import _deletes, _max_distance
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.understanding.rules import ABOUT_ONE, RULES
from bot.understanding.units import build_units
from bot.understanding.vocabulary import Vocabulary

# -- answer units and retrieval -----------------------------------------------------------------


def test_every_fact_of_the_knowledge_is_a_unit(kb: KnowledgeBase) -> None:
    units = build_units(kb)
    expected = sum(
        1 + len(c.sights) + len(c.everyday_tech) + len(c.quotes) + len(c.notes) + len(c.stats)
        for c in kb.clusters
    ) + len(kb.general)
    assert len(units) == expected
    assert len({u.id for u in units}) == len(units)
    assert all(u.source in kb.source_by_id for u in units)


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("where do homes open with door codes", "tech:seoul#0"),
        ("do koreans still use house keys", "tech:seoul#0"),  # the unit's `words:`
        ("who said Japan never chased flying cars?", "quote:tokyo-yokohama#0"),
        ("where did a city go from fishing village to tech powerhouse", "note:"),
    ],
)
def test_a_question_naming_a_fact_finds_its_unit(engine: Engine, question: str, unit: str) -> None:
    request = engine.understanding.understand(question)
    assert any(u.startswith(unit) for u in request.units), (request.rule, request.units)


def test_retrieval_counts_a_word_no_fact_holds_against_the_match(engine: Engine) -> None:
    frame = engine.understanding.read("seoul door codes zorblax quintessence")
    assert frame.hits and frame.hits[0].coverage < 1.0


# -- the frame -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("¿qué ver en Pekín?", "es"),
        ("Was kann man in Peking sehen?", "de"),
        ("Что посмотреть в Токио?", "ru"),
        ("ที่เที่ยวในโซล", "th"),
        ("首尔有什么好玩的", "zh"),
        ("東京で何を見ればいい？", "ja"),
        ("서울에서 뭘 봐야 해?", "ko"),
        ("what to see in tokyo", "en"),
    ],
)
def test_the_language_of_a_question(engine: Engine, question: str, lang: str) -> None:
    assert engine.understanding.read(question).lang == lang


@pytest.mark.parametrize(
    ("question", "cluster"),
    [
        ("¿qué ver en Pekín?", "beijing"),
        ("Cosa vedere a Pechino?", "beijing"),
        ("O que ver em Tóquio?", "tokyo-yokohama"),
        ("Co warto zobaczyć w Pekinie?", "beijing"),
        ("Что посмотреть в Токио?", "tokyo-yokohama"),
        ("Nên xem gì ở Seoul?", "seoul"),
        ("ที่เที่ยวในโซล", "seoul"),
        ("深圳有咩好睇", "shenzhen-hong-kong-guangzhou"),
        ("Que voir à Séoul ?", "seoul"),
    ],
)
def test_sights_asked_in_other_languages(engine: Engine, question: str, cluster: str) -> None:
    answer = engine.ask(question)
    assert (answer.intent, answer.clusters[:1]) == ("sights", (cluster,))


def test_typo_correction_keeps_a_word_of_the_questions_language(engine: Engine) -> None:
    frame = engine.understanding.read("welcher Cluster ist die Nummer 2")
    assert "welcher" in frame.tokens and "weather" not in frame.tokens
    assert not frame.has("unsupported")
    assert engine.ask("welcher Cluster ist die Nummer 2").clusters == ("tokyo-yokohama",)


def test_typos_are_corrected_in_english(engine: Engine) -> None:
    frame = engine.understanding.read("wher can i see a dron show in shenzen")
    assert "drone" in frame.tokens and frame.ids("cluster") == ["shenzhen-hong-kong-guangzhou"]


def test_a_short_name_in_capitals_is_not_a_small_word_of_another_language(engine: Engine) -> None:
    spanish = engine.understanding.read("cuál es la capital de Francia")
    assert not spanish.has("other")  # "la" is not Los Angeles
    assert engine.ask("cuál es la capital de Francia").intent == "unknown"
    assert engine.understanding.read("¿qué puesto tiene LA?").ids("other") == ["10"]


def test_a_name_means_its_place_only_in_its_own_language(engine: Engine) -> None:
    # Vietnamese "Mỹ" (the US) folds to "my": in English it is a pronoun
    frame = engine.understanding.read("does my japan train card work for vending machines too")
    assert frame.ids("economy") == ["japan"]


@pytest.mark.parametrize("place", ["Osaka", "Mumbai", "Paris", "大阪", "Осака"])
def test_places_of_the_world_the_knowledge_lacks_are_not_guessed(
    engine: Engine, place: str
) -> None:
    frame = engine.understanding.read(f"what to see in {place}")
    assert frame.places
    answer = engine.ask(f"what to see in {place}")
    assert (answer.intent, answer.clusters) == ("unknown", ())


@pytest.mark.parametrize(
    ("question", "cluster"),
    [
        ("what to see in sole", "seoul"),
        ("bay jing ranking", "beijing"),
        ("you rico mo may line what is it", "tokyo-yokohama"),
    ],
)
def test_names_heard_rather_than_read(engine: Engine, question: str, cluster: str) -> None:
    assert engine.ask(question).clusters[:1] == (cluster,)


def test_a_word_that_only_sounds_like_a_place_names_nothing_beside_another(engine: Engine) -> None:
    assert engine.ask("is the internet slow in tokyo").clusters in ((), ("tokyo-yokohama",))


def test_a_long_message_is_read_by_its_question(engine: Engine) -> None:
    message = (
        "My kids are obsessed with robots. We'll be in Tokyo for 5 days in August. "
        "Is there a hotel where robots do the check-in?"
    )
    answer = engine.ask(message)
    assert answer.clusters[:1] == ("tokyo-yokohama",)
    assert "Henn Na Hotel" in answer.plain


def test_correcting_a_word_costs_a_bounded_number_of_lookups() -> None:
    assert _max_distance("a" * 600) == 0  # long words are not corrected at all
    assert _max_distance("b" * 21) == 0
    # deletions are taken of a prefix: a 20-letter word costs what a 7-letter one does
    assert len(_deletes("abcdefghijklmnopqrst", 2)) == len(_deletes("abcdefg", 2))


@pytest.mark.parametrize(
    "question",
    ["x" * 600, "東" * 600, "😀" * 600, "tokyo " * 120, "á" * 300, "1" * 600],
)
def test_pathological_questions_are_answered(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert render.to_html(answer, engine.kb)


# -- rules -----------------------------------------------------------------------------------


def test_rule_names_are_unique_and_the_last_rule_always_answers() -> None:
    for table in (RULES, ABOUT_ONE):
        names = [rule.name for rule in table]
        assert len(names) == len(set(names))
    assert RULES[-1].name == "nothing the knowledge answers"


@pytest.mark.parametrize(
    ("question", "rule"),
    [
        ("which city is number 2?", "exact rank"),
        ("book a hotel in tokyo", "topic the sources do not cover"),
        ("how many patents did tokyo file in 2023", "another year"),
        ("what to see in Osaka", "place not in the index"),
        ("which top clusters are in europe", "clusters filtered by region or economy"),
        ("hi", "small talk"),
    ],
)
def test_a_reply_names_the_rule_that_made_it(engine: Engine, question: str, rule: str) -> None:
    assert engine.understanding.understand(question).rule == rule


def test_the_rule_is_never_in_the_telegram_text(engine: Engine) -> None:
    request = engine.understanding.understand("which city is number 2?")
    answer = engine.ask("which city is number 2?")
    assert request.rule not in render.to_html(answer, engine.kb)


def test_ask_explain_shows_how_a_question_was_read() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--explain", "wat 2 see in tokio"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "rule:" in done.stderr and "tokyo" in done.stderr
    assert "rule:" not in done.stdout and "teamLab" in done.stdout


# -- answerability -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "what year did teamlab planets open",  # the facts say no date
        "how many robots work at the henn na hotel",  # a figure not held
        "who is the mayor of shenzhen",  # a person not in the facts
        "time difference between tokyo and seoul",
        "is uber cheaper than waymo",
        "which city is number -1?",
    ],
)
def test_what_the_knowledge_does_not_hold_is_refused(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert (answer.intent, answer.clusters) == ("unknown", ()), answer.plain


def test_when_is_answered_when_the_fact_has_a_date(engine: Engine) -> None:
    answer = engine.ask("when did the octopus card come out")
    assert "1997" in answer.plain


# -- dialogue --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("turns", "cluster", "shown"),
    [
        (["tell me about tokyo", "no sorry, I meant Seoul"], "seoul", "Seoul"),
        (["which city is number 2?", "and who's just below it?"], "san-jose-san-francisco", "3"),
        (["tell me about tokyo", "who said that?"], "tokyo-yokohama", "Dana Yao"),
        (["tell me about hong kong", "when did the octopus card come out", "how old is it"],
         "shenzhen-hong-kong-guangzhou", "1997"),
        (["tokyo vs beijing", "ok sights in the second one"], "beijing", "Apollo"),
        (["tell me about teamlab planets", "address?"], "tokyo-yokohama", "Toyosu"),
        (["who is ritesh patel", "what company is he from"], "san-jose-san-francisco",
         "Ticket Fairy"),
    ],
)  # fmt: skip
def test_follow_ups(engine: Engine, turns: list[str], cluster: str, shown: str) -> None:
    for turn in turns:
        answer = engine.ask(turn, "chat")
    assert answer.clusters[:1] == (cluster,)
    assert shown in answer.plain


def test_a_rank_neighbour_after_a_cluster_ranked_6_to_10(engine: Engine) -> None:
    engine.ask("what rank is london", "chat")
    assert "Boston" in engine.ask("and the one below it?", "chat").plain


def test_context_never_leaks_between_chats(engine: Engine) -> None:
    engine.ask("tell me about tokyo", "one")
    assert engine.ask("who said that?", "two").clusters != ("tokyo-yokohama",)


# -- confidence --------------------------------------------------------------------------------


def test_confidence_is_the_share_of_the_question_the_reading_accounts_for(engine: Engine) -> None:
    understand = engine.understanding.understand
    assert understand("what to see in tokyo").confidence == 1.0
    assert understand("tokyo nightlife zorblax").confidence == 0.0  # refused
    clarify = understand("what to see in china")
    assert clarify.intent == "clarify"
    assert clarify.confidence == pytest.approx(1.0 / len(clarify.candidates), abs=0.001)


# -- the languages' data ---------------------------------------------------------------------


def test_every_language_of_the_issue_has_a_lexicon(kb: KnowledgeBase) -> None:
    langs = {lexicon.lang for lexicon in kb.lexicons}
    expected = {"en", "zh", "ja", "ko", "es", "fr", "de", "it", "pt", "pl", "ru", "vi", "th"}
    assert langs == expected
    for lexicon in kb.lexicons:
        assert lexicon.smalltalk and lexicon.asks, lexicon.lang


def test_a_lexicon_naming_an_unknown_id_is_refused_at_its_line(tmp_path: Path) -> None:
    shipped = Path(__file__).parent.parent / "knowledge"
    folder = tmp_path / "knowledge"
    subprocess.run(["cp", "-r", str(shipped), str(folder)], check=True)
    (folder / "languages" / "xx.yaml").write_text(
        "lexicon:\n  lang: es\n  name: Dup\n  names:\n    atlantis: [Atlántida]\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as error:
        load_knowledge([folder])
    lines = [str(p) for p in error.value.problems]
    assert any("xx.yaml:5" in line and "atlantis" in line for line in lines), lines
    assert any("xx.yaml:2" in line and "second lexicon" in line for line in lines), lines


def test_the_vocabulary_knows_which_language_a_word_means_a_place_in(engine: Engine) -> None:
    vocabulary: Vocabulary = engine.understanding.vocabulary
    assert "vi" in vocabulary.langs_of("my")
    assert "la" in vocabulary.capitals
