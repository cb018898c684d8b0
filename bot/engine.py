"""The core's front door: a question (or a button tap) in a chat, an ``Answer`` out.

The Telegram handlers, the terminal chat, ``ask``, ``eval`` and the tests all go through
``Engine``; it holds one knowledge's understanding and answerer, and the chats' context. A
reload builds a new ``Engine`` over the new knowledge and hands the context store across.
"""

from __future__ import annotations

from bot import actions, menus
from bot.answer import Answer
from bot.answers import Answerer
from bot.dialogue import ChatContext, ContextStore, MemoryContextStore
from bot.knowledge import KnowledgeBase
from bot.request import AnswerRequest
from bot.understanding.tunables import RECENT_CLUSTERS
from bot.understanding.understander import Understander

_PICKABLE = ("rank", "sights", "overview", "stat")


def previous_last(context: ChatContext | None) -> AnswerRequest | None:
    return context.last if context is not None else None


class Engine:
    def __init__(self, kb: KnowledgeBase, contexts: ContextStore | None = None) -> None:
        self.kb = kb
        self.understanding = Understander(kb)
        self.answerer = Answerer(kb, self.understanding.unit_by_id)
        self.contexts: ContextStore = contexts if contexts is not None else MemoryContextStore()

    def interpret(self, question: str, chat_id: str = "default") -> AnswerRequest:
        return self.understanding.understand(question, self.contexts.get(chat_id))

    def ask(self, question: str, chat_id: str = "default") -> Answer:
        """Answer ``question`` in the context of ``chat_id``, and remember it for follow-ups."""
        return self.ask_interpreted(question, chat_id)[0]

    def ask_interpreted(
        self, question: str, chat_id: str = "default"
    ) -> tuple[Answer, AnswerRequest]:
        """``ask``, with the interpretation behind the answer (what the question store keeps:
        the candidates of a question the bot could not answer)."""
        interpretation = self.interpret(question, chat_id)
        answer = self.answerer.answer(interpretation)
        self._remember(chat_id, answer, interpretation)
        return answer, interpretation

    def _remember(self, chat_id: str, answer: Answer, it: AnswerRequest | None) -> None:
        previous = self.contexts.get(chat_id)
        earlier = previous.recent if previous else ()

        def recent(clusters: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys([*clusters, *earlier]))[:RECENT_CLUSTERS]

        if answer.intent == "clarify" and it is not None:
            # the next message picks a candidate; it inherits what this question asked
            context = ChatContext(
                it.candidates, it.pending, it.measures, recent=earlier, last=previous_last(previous)
            )
            self.contexts.put(chat_id, context)
            return
        if answer.intent in ("general", "rank", "list") and not answer.clusters and it is not None:
            # "and the US?" after "how many clusters does China have?"; "and the one below
            # it?" after London's No.8
            self.contexts.put(chat_id, ChatContext(intent=answer.intent, recent=earlier, last=it))
            return
        if answer.intent in ("unknown", "smalltalk") or not answer.clusters:
            if it is not None and it.mentioned:
                # "weather in Seoul?" is not answered, but "what can I do there?" is about Seoul
                context = ChatContext(it.mentioned, "", (), None, recent=recent(it.mentioned))
                self.contexts.put(chat_id, context)
            return
        sight = it.sights[0] if it and len(it.sights) == 1 else None
        measures = it.measures if it else ()
        unit = it.units[0] if it and it.units else None
        if unit is None and sight is not None:
            unit = f"sight:{sight}"
        last = it if it is not None else AnswerRequest(answer.intent, 1.0, clusters=answer.clusters)
        context = ChatContext(
            answer.clusters,
            answer.intent,
            measures,
            sight,
            recent=recent(answer.clusters),
            last=last,
            unit=unit,
        )
        self.contexts.put(chat_id, context)

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
            answer = self.answerer.answer(AnswerRequest("list", 1.0))
        elif tap.verb == "figures" and clusters:
            answer = self.answerer.figures(clusters[0])
        elif tap.verb == "compare" and clusters:
            answer = self.answerer.compare_choices(clusters[0])
        elif tap.verb == "cmp" and len(clusters) == 2:
            answer = self.answerer.answer(AnswerRequest("compare", 1.0, clusters=tuple(clusters)))
        elif tap.verb == "pick" and clusters:
            # a "Did you mean…" choice: answer what the question asked, for the cluster picked
            context = self.contexts.get(chat_id)
            intent = context.intent if context and context.intent in _PICKABLE else "overview"
            measures = context.measures if context else ()
            it = AnswerRequest(intent, 1.0, clusters=(clusters[0],), measures=measures)
            answer = self.answerer.answer(it)
        elif tap.verb in ("about", "sights") and clusters:
            intent = "overview" if tap.verb == "about" else "sights"
            answer = self.answerer.answer(AnswerRequest(intent, 1.0, clusters=(clusters[0],)))
        if answer is not None:
            self._remember(chat_id, answer, None)
        return answer

    def command(self, name: str, argument: str = "", chat_id: str = "default") -> Answer:
        """The reply to a slash command (``/sights seoul``, ``/start cluster-seoul``...)."""
        return self.command_interpreted(name, argument, chat_id)[0]

    def command_interpreted(
        self, name: str, argument: str = "", chat_id: str = "default"
    ) -> tuple[Answer, AnswerRequest | None]:
        """``command``, with the interpretation of its argument when there is one."""
        answer, it = menus.command(self, name, argument, chat_id)
        self._remember(chat_id, answer, it)
        return answer, it

    def nearby(self, lat: float, lon: float, chat_id: str = "default") -> Answer:
        """The sights nearest to a shared location, remembered like any answer."""
        answer = menus.nearby(self, lat, lon)
        self._remember(chat_id, answer, None)
        return answer
