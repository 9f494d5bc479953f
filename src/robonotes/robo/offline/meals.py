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
from robonotes.robo.offline.sentences import Segment, bare_segments
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
        "brekkie",
        "brekky",
        "roast",
        "poutine",
        "samosa",
        "samosas",
        "chaat",
        "puri",
        "bhaji",
        "biryani",
        "thali",
        "momos",
        "chippy",
        "paella",
        "pintxos",
        "burrito",
        "burritos",
        "enchiladas",
        "nachos",
        "empanadas",
        "arepas",
        "shawarma",
        "gyros",
        "souvlaki",
        "bibimbap",
        "hotpot",
        "laksa",
        "banh",
        "crepes",
        "crêpes",
        "galettes",
        "meal",
        "feast",
        "buffet",
        "bite",
    ]
)
"""Meals and dishes; matched on lemmas too, so "lunched with Derek" is a meal out."""
_ORDERED = frozenset({"order", "deliver", "delivery", "delivered", "takeout"})
"""A meal ordered in ("Ordered dosa on Swiggy") is not eating out, wherever the app is named."""
_TIME_PREPOSITIONS = frozenset({"after", "before", "during", "till", "until", "since", "by"})
_HOME = frozenset(
    {"home", "house", "kitchen", "flat", "apartment", "couch", "sofa", "floor", "deck", "patio",
     "garden", "balcony", "table", "desk", "bed", "car", "tram", "train", "bus", "way"}
)  # fmt: skip
_EAT_LEMMAS = frozenset({"eat", "dine"})
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
    for segment in bare_segments(segments, (m.lo for m in mentions)):
        for i in range(segment.lo, segment.hi):
            if tokens[i].keys & _EAT_LEMMAS and _ate_out(tokens, i, segment):
                if not any(m.activity.name in _COOKING for m in mentions):
                    found.append(Mention(activity=activity, lo=i, hi=i + 1, size=1))
                break
            if not tokens[i].keys & MEAL_WORDS:
                continue
            if i > segment.lo and tokens[i - 1].lower in _TIME_PREPOSITIONS:
                continue
            if any(t.keys & _ORDERED for t in tokens[segment.lo : segment.hi]):
                break
            if any(m.hi <= i and i - m.hi <= 3 for m in mentions):
                break  # "had chai and samosa at the canteen": the snack goes with the drink
            rest = tokens[i : min(segment.hi + 6, len(tokens))]
            place = find_place(rest)
            company = find_people(tokens[segment.lo : min(segment.hi + 4, len(tokens))])
            if (place is not None and place not in _HOME) or company:
                if not any(m.activity.name in _COOKING for m in mentions):
                    found.append(Mention(activity=activity, lo=i, hi=i + 1, size=1))
                break
    return found


def _ate_out(tokens: Sequence[Token], i: int, segment: Segment) -> bool:
    """ "we ate jollof rice at Mama Cass": eating at a named or public place, not at home."""
    if tokens[i].lower in {"eat", "eating"} and i > segment.lo and tokens[i - 1].lower == "to":
        return False  # "went to eat" is caught by the lexicon; "want to eat" is a wish
    place = find_place(tokens[i + 1 : min(segment.hi + 6, len(tokens))])
    return place is not None and place not in _HOME and place.split()[-1] not in _HOME
