"""Every sentence travelbot says that does not come from the knowledge, in one catalogue.

Kept apart from the code that uses them so that answers in other languages can be added as
another catalogue, chosen by Telegram's ``language_code``.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "welcome": (
        "Hi! I'm travelbot. I know the world's top five innovation clusters of WIPO's "
        "Global Innovation Index 2025: their ranks, figures, everyday tech and the tech "
        "sights worth a visit. Ask me anything, in any language, or tap a cluster."
    ),
    "help": (
        "Ask me things like: “which city is number 2?”, “what to see in Seoul”, "
        "“where can I ride a driverless train?”, “Tokyo vs Seoul patents”, "
        "“who publishes the GII?”. Typos and local scripts (東京, 서울, 深圳) are fine."
    ),
    "help_commands": (
        "Commands: /top the ranking · /sights PLACE · /cluster PLACE · /compare A B · "
        "/sources · /help"
    ),
    "identity": (
        "I'm travelbot, a bot that answers from one article on WIPO's Global Innovation Index "
        "2025 and a few checked facts. I don't browse the web and I don't make things up."
    ),
    "thanks": (
        "You're welcome! Safe travels. Ask me anything else about the top innovation clusters."
    ),
    "goodbye": "Bye, and enjoy the trip!",
    "greeting": "Hello! Ask me about the top innovation clusters: ranks, figures or what to see.",
    "unknown": "I don't know that: it isn't in what I know.",
    "unknown_topic": "I don't know about {topic}: my sources don't cover it.",
    "unknown_rank": "I don't know which cluster is No.{n}: I know the ranks 1 to {last}.",
    "unknown_other": (
        "I don't know more about {name} than its rank: press reports of WIPO's table put it "
        "at No.{rank}."
    ),
    "can_answer": (
        "I can tell you the ranking of the top five innovation clusters, their figures, "
        "everyday tech and the tech sights to visit, and facts about the GII itself."
    ),
    "clarify": "Did you mean…",
    "clarify_which": "Which cluster do you mean?",
    "empty": "Send me a question in words, for example: “what to see in Tokyo?”",
    "non_text": (
        "I can only read text. Ask me about the top innovation clusters, e.g. "
        "“what to see in Seoul?”"
    ),
    "error": "Sorry, something went wrong on my side. Please try again.",
    "slow_down": "You're sending messages very fast; I'll answer the next one in a moment.",
    "rank_is": "{name} is No.{rank} of the GII 2025's top innovation clusters.",
    "rank_top_yes": "Yes: {name} is in the top {n}, at No.{rank}.",
    "rank_top_no": "No: {name} is No.{rank}, outside the top {n}.",
    "rank_holder": "No.{rank} is {name}.",
    "rank_other": (
        "No.{rank} is {name}, according to press reports of WIPO's table (not "
        "read from WIPO directly)."
    ),
    "list_title": "The GII 2025's top {n} science and technology clusters:",
    "list_more": "Ranks 6–10, as reported by the press: {names}.",
    "list_in": "Of the GII 2025's top five clusters, {n} in {where}:",
    "list_in_none": "None of the GII 2025's top five clusters is in {where}.",
    "list_in_more": "Ranked 6–10 there, as reported by the press: {names}.",
    "unknown_world_place": (
        "I don't know about {place}: it isn't one of the top innovation clusters I know."
    ),
    "howareyou": (
        "I'm well, thanks, and ready for your questions about the top innovation clusters."
    ),
    "praise": "Thank you! Ask me anything else about the top innovation clusters.",
    "ack": "👍 Anything else? Ask me about a cluster, its figures or what to see.",
    "sights_title": "What to see in {name}:",
    "sight_title": "{name} ({cluster}):",
    "overview_tech": "Everyday tech:",
    "figures_title": "{name} in figures:",
    "no_figures": "I don't know a figure for {name} on that.",
    "superlative": "{name} leads:",
    "superlative_others": "Among the top five: {rest}.",
    "reverse_title": "Where to find {themes}:",
    "reverse_none": "I don't know a place for {themes} in the top five clusters.",
    "compare_title": "{a} vs {b}:",
    "general_title": "About the Global Innovation Index (GII) 2025:",
    "economy_rank": "{name} is No.{rank} in the GII 2025 economy ranking{score}.",
    "economy_no_rank": (
        "I don't know {name}'s place in the GII 2025 economy ranking; I know the top 10."
    ),
    "economy_top": "The GII 2025 economy ranking, top {n}:",
    "economy_holder": "No.{rank} in the GII 2025 economy ranking is {name}{score}.",
    "map": "📍 Map",
    "source": "Source",
    "sources": "Sources",
    "button_sights": "Sights",
    "button_figures": "Rank & figures",
    "button_compare": "Compare",
    "button_about": "About",
    "compare_pick": "Compare {name} with…",
    "sources_title": "Where my facts come from:",
    "unknown_place": "I don't know a top innovation cluster called “{place}”.",
    "stale_button": "That button is out of date. Ask me again, or send /help.",
    "edited": "I answer new messages only: send your question again.",
    "nearby_title": "The sights I know nearest to you:",
    "nearby_far": "The nearest sights I know are a long way from you:",
    "nearby_invalid": "That location is not a point on the map, so I can't tell what is near it.",
    "nearby_none": "I don't know where any sight is, so I can't tell what is near you.",
    "distance_m": "{m} m",
    "distance_km": "{km} km",
    "card_top": "The top innovation clusters of the GII 2025",
    "cmd_start": "Welcome and the top five clusters",
    "cmd_help": "What you can ask me",
    "cmd_top": "The ranking of the top innovation clusters",
    "cmd_sights": "What to see in a cluster, e.g. /sights Seoul",
    "cmd_cluster": "About a cluster, e.g. /cluster Tokyo",
    "cmd_compare": "Compare two clusters, e.g. /compare Tokyo Seoul",
    "cmd_sources": "Where my facts come from",
    # admins only: the menu of their private chat, and the replies to their commands
    "cmd_reload": "Admin: check the knowledge files and switch to them",
    "cmd_unanswered": "Admin: the questions I could not answer, most asked first",
    "cmd_handled": "Admin: mark a group of unanswered questions handled, e.g. /handled 12",
    "cmd_stats": "Admin: questions per day, intent and cluster; answered rate",
    "admin_reloaded": "Reloaded: {clusters} clusters, {sights} sights ({fingerprint}).",
    "admin_unchanged": "Nothing changed: the files hold the knowledge in use ({fingerprint}).",
    "admin_refused": (
        "The knowledge has {n} problem(s); still serving the previous knowledge "
        "({fingerprint}). Fix these and send /reload:"
    ),
    "admin_watch_refused": (
        "A change in the knowledge folder has {n} problem(s); still serving the previous "
        "knowledge ({fingerprint}). Fix these; the next save is picked up by itself:"
    ),
    "admin_more_problems": "…and {n} more: run travelbot validate to see them all.",
    "admin_unanswered_title": (
        "Most asked questions I could not answer ({shown} of {total} groups):"
    ),
    "admin_unanswered_none": "No open unanswered questions.",
    "admin_unanswered_line": "#{id} ×{count}",
    "admin_candidates": "hesitated between: {names}",
    "admin_unanswered_hint": (
        "When the knowledge answers one (or it needs no answer), send /handled ID, e.g. "
        "/handled {id}."
    ),
    "admin_handled": "Marked #{id} handled: {n} question(s).",
    "admin_handled_none": "There is no open group #{id}; send /unanswered for the ids.",
    "admin_store_set_aside": (
        "The question store {path} could not be read (corrupt), so the statistics and "
        "unanswered questions start anew; the old file is kept as {copy}. Answering is not "
        "affected."
    ),
    "admin_handled_usage": "Send /handled ID with a group's id from /unanswered, e.g. /handled 12.",
    "admin_stats_total": "Questions in the last {days} days: {total}.",
    "admin_stats_days": "Per day (UTC), last 7 days:",
    "admin_stats_intents": "Per intent, last {days} days:",
    "admin_stats_clusters": "Per cluster, last {days} days:",
    "admin_stats_rate": "Answered: {week} in the last 7 days, {month} in the last 30 days.",
    "admin_stats_no_rate": "n/a",
    "admin_none": "none",
}


def t(key: str, **values: object) -> str:
    """The catalogue sentence ``key`` with ``values`` filled in."""
    return EN[key].format(**values)
