"""Every number the understanding uses, named and explained in one place.

Changing one changes behaviour everywhere it applies; the regression sets in tests/eval and
the fresh sets' first runs (README) are how a change is judged.
"""

from __future__ import annotations

# -- reading ---------------------------------------------------------------------------------
MAX_QUESTION_CHARS = 600  # longer messages are read from their start; nobody asks 4 KB questions
MAX_TOKENS = 64  # tokens read from one question (a long message: from its asking sentence)
MAX_SOUND_TOKENS = 24  # names heard ("bay jing") are looked for in messages this short
LONG_MESSAGE_TOKENS = 16  # from this long, a message of several sentences is read by its question
MIN_TYPO_LENGTH = 4  # shorter words have too many neighbours to correct safely
MAX_TYPO_LENGTH = 20  # longer words are not corrected: no word costs more than a few lookups
SHORT_WORD = 6  # words up to this length are corrected by one edit, longer ones by two

# -- asking ----------------------------------------------------------------------------------
# A keyword of an ask counts 1, each further word of a phrase half more ("where can i" > "where").
ASK_WORD_WEIGHT = 1.0
ASK_PHRASE_BONUS = 0.5
# A word of an intent's example questions (language.yaml) that points at one or two intents.
EXAMPLE_WEIGHT = 0.35
CLEAR_ASK = 1.0  # an ask at least this strong is what the question asks
WEAK_ASK = 0.7  # strong enough to follow up on the chat's context

# -- retrieval (BM25 over answer units) --------------------------------------------------------
BM25_K1 = 1.2
BM25_B = 0.75
# A word held by more than this share of the units (and more than RETRIEVAL_COMMON_MIN of
# them) is left out of the search: its idf is near nothing and scoring it would visit every
# unit ("sights" over 17,000 sights).
RETRIEVAL_COMMON_SHARE = 0.2
RETRIEVAL_COMMON_MIN = 50
# A unit is "named" by a question when the question's content words it holds weigh at least
# this share of the question's content words (by idf): "who lives with door codes" names the
# Seoul note, "tokyo nightlife" names nothing.
UNIT_COVERAGE = 0.6
# ... and at least this much BM25 score, so one common word alone never names a fact.
UNIT_MIN_SCORE = 2.0
# The best unit is the one asked about only when it beats the next by this factor; otherwise
# the question is about the units' cluster (or several clusters) in general.
UNIT_MARGIN = 1.15

# -- unknown words -------------------------------------------------------------------------
# A question whose content words are mostly unknown is not answered from what little is known.
UNKNOWN_SHARE = 0.5
# The languages' lexicons are smaller than English's: in another language, up to this share
# of a question's words (at least one) may be words the lexicon lacks before any is taken for
# an unknown topic. Measured on the fresh sets' non-English questions.
FOREIGN_UNREAD_SHARE = 0.34
MIN_MEANINGFUL_LATIN = 3  # shorter Latin tokens carry too little to count as unknown words
MIN_MEANINGFUL_CJK = 2

# -- dialogue --------------------------------------------------------------------------------
CONTEXT_TTL_SECONDS = 15 * 60  # a traveller coming back after a quarter hour starts afresh
MAX_CHATS = 50_000  # contexts held in memory; the least recently used go first
RECENT_CLUSTERS = 4  # clusters remembered for "compare them"
# "kalau Beijing?", "còn Bắc Kinh?": a place and one word the bot does not know, after an
# answer, is the same question about that place
SHORT_FOLLOW_UP = 3
# "how long is it?", "is it free?" after one fact: up to this many words, about that fact
SHORT_FACT_FOLLOW_UP = 5

# -- answers -----------------------------------------------------------------------------------
MAX_SIGHTS_LISTED = 8
MAX_CLUSTERS_SHOWN = 10  # clusters listed or offered as buttons when nothing narrows them
