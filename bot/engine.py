"""The core's front door: a question (or a button tap) in a chat, an ``Answer`` out.

The Telegram handlers, the terminal chat, ``ask``, ``eval`` and the tests all go through
``Engine``; it holds one knowledge's matcher and answerer, and the chats' context. A reload
builds a new ``Engine`` over the new knowledge and hands the context store across.
"""

from __future__ import annotations

from bot import actions
from bot.answer import Answer
from bot.answers import Answerer
from bot.dialogue import ChatContext, ContextStore, MemoryContextStore
from bot.knowledge import KnowledgeBase
from bot.matching import Interpretation, Matcher


class Engine:
    def __init__(self, kb: KnowledgeBase, contexts: ContextStore | None = None) -> None:
        self.kb = kb
        self.matcher = Matcher(kb)
        self.answerer = Answerer(kb)
        self.contexts: ContextStore = contexts if contexts is not None else MemoryContextStore()

    def interpret(self, question: str, chat_id: str = "default") -> Interpretation:
        return self.matcher.interpret(question, self.contexts.get(chat_id))

    def ask(self, question: str, chat_id: str = "default") -> Answer:
        """Answer ``question`` in the context of ``chat_id``, and remember it for follow-ups."""
        interpretation = self.interpret(question, chat_id)
        answer = self.answerer.answer(interpretation)
        self._remember(chat_id, answer, interpretation)
        return answer

    def _remember(self, chat_id: str, answer: Answer, it: Interpretation | None) -> None:
        if answer.intent == "clarify" and it is not None:
            # the next message picks a candidate; it inherits what this question asked
            self.contexts.put(chat_id, ChatContext(it.candidates, it.pending, it.measures))
            return
        if answer.intent in ("unknown", "smalltalk") or not answer.clusters:
            return
        sight = it.sights[0] if it and len(it.sights) == 1 else None
        measures = it.measures if it else ()
        self.contexts.put(chat_id, ChatContext(answer.clusters, answer.intent, measures, sight))

    def tap(self, data: str, chat_id: str = "default") -> Answer | None:
        """The answer a button asks for; None when the button is stale or not ours."""
        kb = self.kb
        known = [*kb.cluster_by_id, *kb.sight_by_id]
        tap = actions.decode(data, known)
        if tap is None:
            return None
        refs = tap.refs
        clusters = [r for r in refs if r in kb.cluster_by_id]
        answer: Answer | None = None
        if tap.verb == "map" and refs and refs[0] in kb.sight_by_id:
            answer = self.answerer.sight_answer(refs[0])
        elif tap.verb == "top":
            answer = self.answerer.answer(Interpretation("list", 1.0))
        elif tap.verb == "figures" and clusters:
            answer = self.answerer.figures(clusters[0])
        elif tap.verb == "compare" and clusters:
            answer = self.answerer.compare_choices(clusters[0])
        elif tap.verb == "cmp" and len(clusters) == 2:
            answer = self.answerer.answer(Interpretation("compare", 1.0, clusters=tuple(clusters)))
        elif tap.verb in ("about", "sights", "pick") and clusters:
            intent = "overview" if tap.verb in ("about", "pick") else "sights"
            answer = self.answerer.answer(Interpretation(intent, 1.0, clusters=(clusters[0],)))
        if answer is not None:
            self._remember(chat_id, answer, None)
        return answer
