"""The understanding of one knowledge, built once: answer units, vocabulary, retrieval and the
reader, with the rules applied to each question. ``Engine`` holds one per knowledge."""

from __future__ import annotations

import re
from collections import defaultdict

from bot.dialogue import ChatContext
from bot.knowledge import KnowledgeBase
from bot.ordinals import RankReader
from bot.request import AnswerRequest
from bot.text import normalise, tokenise
from bot.understanding import tunables as T
from bot.understanding import vocabulary
from bot.understanding.frame import PLACE_KINDS, Frame, Reader
from bot.understanding.phonetic import Sounds
from bot.understanding.retrieval import Retriever
from bot.understanding.rules import understand
from bot.understanding.units import Unit, build_units, stem, vocabulary_words

# Where a sentence ends: the question mark stays with its sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])\s*|(?<=[?？])")
_PLACES = ("cluster", "sight", "tech", "person", "economy", "region", "other")


class Understander:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.units: tuple[Unit, ...] = build_units(kb)
        self.unit_by_id = {u.id: u for u in self.units}
        languages, function_tokens = vocabulary.language_part(kb)
        self.retriever = Retriever(self.units, ignore=frozenset(map(stem, function_tokens)))
        surface = vocabulary_words(self.units, kb)
        self.vocabulary = vocabulary.build(kb, languages, extra=surface)
        numbers = dict(kb.language.number_words)
        markers: list[str] = []
        counted = [normalise(w) for w in kb.language.cluster_words]
        for lexicon in kb.lexicons:
            numbers.update({normalise(w): n for w, n in lexicon.numbers.items()})
            markers += [normalise(w) for w in lexicon.asks.get("rank", [])]
            counted += [normalise(w) for w in lexicon.cluster_words]
        self.reader = Reader(
            self.vocabulary,
            self.retriever,
            RankReader(numbers, markers, counted),
            self._example_cues(),
            known_years=frozenset(w for w in self.retriever.words if w.isdigit()),
            sounds=Sounds.build(
                (tuple(tokenise(normalise(e.text))), e.entity)
                for e in vocabulary.knowledge_entries(kb)
            ),
        )

    def _example_cues(self) -> dict[str, dict[str, float]]:
        """Words of the intents' example questions (language.yaml) that point at few intents:
        admins teach a phrasing by adding the whole question."""
        index = self.vocabulary.index
        seen: dict[str, set[str]] = defaultdict(set)
        for intent in self.kb.intents:
            for example in intent.examples:
                tokens = tokenise(normalise(example), index.known)
                named: set[int] = set()
                for m in index.mentions(tokens, [False] * len(tokens)):
                    if m.entity.kind in PLACE_KINDS or m.entity.kind in ("stop", "number"):
                        named.update(range(m.start, m.end))
                for i, token in enumerate(tokens):
                    if i not in named and not token.isdigit():
                        seen[token].add(intent.id)
        return {
            token: {intent: T.EXAMPLE_WEIGHT for intent in intents}
            for token, intents in seen.items()
            if len(intents) <= 2
        }

    def warm(self) -> None:
        """File every language's typo deletions now, rather than on each language's first
        question: the bot does it in the background after start; ``ask`` never needs to."""
        self.vocabulary.index.file_all()

    def read(self, question: str) -> Frame:
        """The frame of a question; of a long message, the frame of the sentence that asks,
        with the places the rest of the message names when that sentence names none ("We'll
        be in Tokyo for 5 days. Is there a hotel where robots do the check-in?")."""
        whole = self.reader.read(question)
        if len(whole.tokens) < T.LONG_MESSAGE_TOKENS:
            return whole
        sentences = [s.strip() for s in _SENTENCE_END.split(question) if s.strip()]
        if len(sentences) < 2:
            return whole
        asking = [s for s in sentences if s.endswith(("?", "？"))] or sentences
        parts = [self.reader.read(s) for s in asking]
        part = max(reversed(parts), key=lambda p: max(p.asks.values(), default=0.0) + bool(p.hits))
        if not any(part.found.get(k) for k in _PLACES):
            for kind in _PLACES:
                if whole.found.get(kind):
                    part.found[kind] = list(whole.found[kind])
            part.ambiguous = part.ambiguous or whole.ambiguous
        return part

    def understand(self, question: str, context: ChatContext | None = None) -> AnswerRequest:
        return understand(self.read(question), context, self.kb)
