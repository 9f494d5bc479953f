"""Meals out: a meal or dish with company or at a named place is the activity "eating out".

"had lunch at a tiny Vietnamese place", "ramen w Yuto", "Brunch w Fatima at Lady Marmalade" are
eating out; "Paella for lunch" at home, "after dinner" (a time) and a dish someone cooked are not.
"""

from __future__ import annotations

from collections.abc import Sequence

from robonotes.robo.offline.activities import Mention
from robonotes.robo.offline.lexicon import Lexicon
from robonotes.robo.offline.people import find_people
from robonotes.robo.offline.places import find_place
from robonotes.robo.offline.sentences import Segment
from robonotes.robo.offline.text import Token

EATING_OUT = "eating out"
MEAL_WORDS = frozenset(
    [
        "breakfast",
        "brunch",
        "lunch",
        "dinner",
        "supper",
        "tapas",
        "ramen",
        "pho",
        "dumplings",
        "wings",
        "sushi",
        "pizza",
        "burger",
        "burgers",
        "tacos",
        "curry",
        "noodles",
        "dosa",
        "kebab",
        "kebabs",
        "falafel",
        "dim",
        "sum",
        "bbq",
        "steak",
        "poke",
        "bao",
        "pasta",
        "takeaway",
        "sandwich",
        "sandwiches",
        "bagel",
    ]
)
_TIME_PREPOSITIONS = frozenset({"after", "before", "during", "till", "until", "since", "by"})
_HOME = frozenset({"home", "house", "kitchen", "flat", "apartment", "couch", "sofa", "floor"})
_COOKING = frozenset({"cooking", "baking", "barbecuing", "meal prepping"})


def meal_mentions(
    tokens: Sequence[Token],
    segments: Sequence[Segment],
    mentions: Sequence[Mention],
    lexicon: Lexicon,
) -> list[Mention]:
    """ "eating out" mentions for segments that have a meal with company or at a place."""
    activity = lexicon.find(EATING_OUT)
    if activity is None:
        return []
    found: list[Mention] = []
    for segment in segments:
        if any(segment.lo <= m.lo < segment.hi for m in mentions):
            continue
        for i in range(segment.lo, segment.hi):
            if tokens[i].lower not in MEAL_WORDS:
                continue
            if i > segment.lo and tokens[i - 1].lower in _TIME_PREPOSITIONS:
                continue
            rest = tokens[i : min(segment.hi + 6, len(tokens))]
            place = find_place(rest)
            company = find_people(tokens[segment.lo : min(segment.hi + 4, len(tokens))])
            if (place is not None and place not in _HOME) or company:
                if not any(m.activity.name in _COOKING for m in mentions):
                    found.append(Mention(activity=activity, lo=i, hi=i + 1, size=1))
                break
    return found
