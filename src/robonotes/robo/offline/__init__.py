"""The offline Robo provider: deterministic heuristics, no network, no tokens, no cost.

It is an honest baseline, not a language model: a shipped activity lexicon, lemmas (lemminflect),
typo matching (rapidfuzz), sentence splitting (pysbd), light date rules (dateparser only on
explicit date phrases) and sentiment (vaderSentiment). Entry points: `OfflineRoboService` and
`load_lexicon()`.
"""

from robonotes.robo.offline.lexicon import Lexicon, LexiconActivity, load_lexicon
from robonotes.robo.offline.service import OfflineRoboService

__all__ = ["Lexicon", "LexiconActivity", "OfflineRoboService", "load_lexicon"]
