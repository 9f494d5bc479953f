"""Activities implied without a verb: training-log lines such as "AM: 10 km easy along the canal".

A distance with a running effort word ("easy", "tempo", "recovery", a pace "/km") and no other
activity in its clause is a run: cyclists and swimmers name their sport in logs ("92 km ride",
"2.5k swim"), runners often do not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from robonotes.robo.offline.activities import Mention
from robonotes.robo.offline.lexicon import Lexicon
from robonotes.robo.offline.sentences import Segment, bare_segments
from robonotes.robo.offline.text import Token

RUNNING = "running"
_DISTANCE_UNIT = re.compile(r"^(?:\d{1,3}(?:[.,]\d{1,2})?)?(?:k|km|kms|mi|miles?)$", re.I)
_NUMBER = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?$")
EFFORT_WORDS = frozenset(
    ["easy", "steady", "tempo", "recovery", "threshold", "fartlek", "progression", "splits",
     "pace", "negative", "aerobic", "shakeout", "strides", "z2", "zone"]
)  # fmt: skip


def implied_mentions(
    tokens: Sequence[Token],
    segments: Sequence[Segment],
    mentions: Sequence[Mention],
    lexicon: Lexicon,
) -> list[Mention]:
    """Running mentions for clauses that give a distance and a running effort but no verb."""
    activity = lexicon.find(RUNNING)
    if activity is None:
        return []
    found: list[Mention] = []
    for segment in bare_segments(segments, (m.lo for m in mentions)):
        words = [t.lower for t in tokens[segment.lo : segment.hi]]
        if not (EFFORT_WORDS & set(words) or "/km" in "".join(words)):
            continue
        at = _distance_at(tokens, segment)
        if at is not None:
            found.append(Mention(activity=activity, lo=at[0], hi=at[1], size=1))
    return found


def _distance_at(tokens: Sequence[Token], segment: Segment) -> tuple[int, int] | None:
    """Token span of the first distance ("10 km", "8k", "10km") in the segment."""
    for i in range(segment.lo, segment.hi):
        text = tokens[i].text
        if _DISTANCE_UNIT.match(text) and text[:1].isdigit():
            return i, i + 1
        if (
            _NUMBER.match(text)
            and i + 1 < segment.hi
            and _DISTANCE_UNIT.match(tokens[i + 1].text)
            and not tokens[i + 1].text[:1].isdigit()
        ):
            return i, i + 2
    return None
