"""Where a clause happened: the head noun phrase after at/in/to/along..., without articles.

A place is either a proper name ("in Lake Tahoe", "at Luigi's") or a phrase ending in a known
place noun ("at the new climbing gym" -> "climbing gym"), so "in the morning" and "in a good mood"
are never places.
"""

from __future__ import annotations

from collections.abc import Sequence

from robonotes.robo.offline.people import NOT_NAMES, RELATIONS
from robonotes.robo.offline.text import Token

PREPOSITIONS = frozenset(
    [
        "at",
        "in",
        "to",
        "along",
        "around",
        "near",
        "by",
        "on",
        "through",
        "across",
        "into",
        "inside",
        "outside",
        "round",
        "from",
    ]
)
MOTION_LEMMAS = frozenset(
    [
        "go",
        "come",
        "get",
        "drive",
        "fly",
        "walk",
        "run",
        "ride",
        "bike",
        "cycle",
        "head",
        "travel",
        "move",
        "hike",
        "swim",
        "take",
        "trip",
        "return",
        "arrive",
        "jog",
        "commute",
        "visit",
    ]
)
"""After a motion verb, "to" + a proper name is a place: "drove to Tahoe", not "talked to Sam"."""
PLACE_NOUNS = frozenset(
    [
        "cafe",
        "café",
        "coffeeshop",
        "park",
        "gym",
        "pool",
        "beach",
        "lake",
        "river",
        "sea",
        "ocean",
        "mountain",
        "mountains",
        "hill",
        "hills",
        "trail",
        "trails",
        "track",
        "forest",
        "woods",
        "wood",
        "garden",
        "backyard",
        "yard",
        "office",
        "library",
        "school",
        "university",
        "campus",
        "studio",
        "store",
        "shop",
        "supermarket",
        "market",
        "mall",
        "restaurant",
        "bar",
        "pub",
        "club",
        "bakery",
        "kitchen",
        "bedroom",
        "balcony",
        "rooftop",
        "church",
        "temple",
        "mosque",
        "synagogue",
        "museum",
        "gallery",
        "theatre",
        "theater",
        "cinema",
        "stadium",
        "court",
        "courts",
        "field",
        "pitch",
        "rink",
        "slopes",
        "valley",
        "canal",
        "harbour",
        "harbor",
        "pier",
        "marina",
        "airport",
        "station",
        "hospital",
        "clinic",
        "salon",
        "spa",
        "sauna",
        "hotel",
        "hostel",
        "cabin",
        "cottage",
        "campsite",
        "trailhead",
        "lakeside",
        "waterfront",
        "promenade",
        "boardwalk",
        "square",
        "plaza",
        "downtown",
        "city",
        "town",
        "village",
        "neighborhood",
        "neighbourhood",
        "street",
        "path",
        "island",
        "coast",
        "bay",
        "dunes",
        "desert",
        "farm",
        "zoo",
        "aquarium",
        "playground",
        "daycare",
        "venue",
        "arena",
        "hall",
        "center",
        "centre",
        "house",
        "place",
        "apartment",
        "flat",
        "bookstore",
        "bookshop",
        "dojo",
        "crag",
        "garage",
        "basement",
        "attic",
        "shed",
        "porch",
        "deck",
        "couch",
        "sofa",
        "bed",
        "bathroom",
        "patio",
        "lounge",
        "studio",
        "reservoir",
        "waterfall",
        "canyon",
        "cliffs",
        "meadow",
        "orchard",
        "vineyard",
        "winery",
        "brewery",
        "diner",
        "bistro",
        "pizzeria",
        "trattoria",
        "taqueria",
        "deli",
        "dock",
        "quay",
        "riverside",
        "seafront",
        "seaside",
        "countryside",
        "lido",
        "velodrome",
        "dojo",
        "boxgym",
        "allotment",
        "greenhouse",
        "church",
        "chapel",
        "cathedral",
        "castle",
        "palace",
        "ruins",
        "lighthouse",
        "fountain",
        "memorial",
        "market",
        "bazaar",
        "arcade",
        "casino",
        "bowling",
        "alley",
        "hostel",
        "resort",
        "ranch",
        "stable",
        "stables",
        "barn",
        "clubhouse",
        "rec",
        "centre",
        "gymnasium",
        "library",
        "laundromat",
        "st",
        "road",
        "rd",
        "ave",
        "avenue",
        "lane",
        "stall",
        "canteen",
        "cafeteria",
        "truck",
        "kiosk",
        "shack",
        "dhaba",
        "izakaya",
        "brasserie",
        "tavern",
        "inn",
        "gastropub",
        "steakhouse",
        "centre",
        "biergarten",
        "speakeasy",
        "lane",
        "pad",
        "legion",
        "apt",
        "office",
        "uni",
        "hall",
        "marché",
        "mercado",
    ]
)
HOME_WORDS = frozenset({"home", "work"})
_PHRASE_STOPS = PREPOSITIONS | frozenset(
    [
        "with",
        "and",
        "or",
        "but",
        "for",
        "of",
        "all",
        "after",
        "before",
        "during",
        "while",
        "then",
        "the",
        "a",
        "an",
        "my",
        "our",
    ]
)
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "his",
        "her",
        "their",
        "this",
        "that",
        "some",
        "your",
        "its",
        "one",
    ]
)
_MODIFIERS_DROPPED = frozenset(
    [
        "new",
        "old",
        "local",
        "usual",
        "favourite",
        "favorite",
        "little",
        "big",
        "nice",
        "lovely",
        "tiny",
        "huge",
        "same",
        "other",
    ]
)


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
CALENDAR_WORDS = frozenset((*_DAYS, *(d + "s" for d in _DAYS), *_MONTHS, "christmas", "easter"))
"""After "on" or "in" these are times ("on Sundays", "in May"), never places."""


def _proper_place(tokens: Sequence[Token], j: int) -> tuple[str | None, int]:
    if tokens[j].lower in CALENDAR_WORDS:
        return None, j
    parts: list[str] = []
    while j < len(tokens) and len(parts) < 4:
        token = tokens[j]
        word = token.lower
        if (token.is_capitalized and token.is_word and word not in NOT_NAMES) or (
            parts
            and word in {"of", "de", "del", "la", "le"}
            and j + 1 < len(tokens)
            and tokens[j + 1].is_capitalized
        ):
            parts.append(token.text)
        else:
            break
        j += 1
    if parts and (j >= len(tokens) or tokens[j].lower not in PLACE_NOUNS):
        return " ".join(parts), j
    if parts:
        return " ".join(parts) + " " + tokens[j].text, j + 1
    return None, j


def _common_place(tokens: Sequence[Token], j: int) -> str | None:
    words: list[str] = []
    for k in range(j, min(j + 4, len(tokens))):
        token = tokens[k]
        if not token.is_word or token.lower in _PHRASE_STOPS:
            break
        words.append(token.text)
        if token.lower in PLACE_NOUNS:
            nxt = tokens[k + 1].lower if k + 1 < len(tokens) else ""
            if nxt in PLACE_NOUNS:
                continue
            kept = [w for w in words if w.lower() not in _MODIFIERS_DROPPED]
            return " ".join(kept).lower() if kept else None
    return None


def find_place(tokens: Sequence[Token]) -> str | None:
    """The first place named in the tokens, or None."""
    for i, token in enumerate(tokens[:-1]):
        word = token.lower
        if word not in PREPOSITIONS:
            continue
        j = i + 1
        nxt = tokens[j].lower
        if nxt in HOME_WORDS and word in {"at", "from"}:
            return nxt
        possessive = False
        while j < len(tokens) and tokens[j].lower in _DETERMINERS:
            possessive = possessive or tokens[j].lower in {"my", "our", "his", "her", "their"}
            j += 1
        if j >= len(tokens):
            break
        if tokens[j].is_capitalized and not possessive:
            if word == "to" and not _after_motion(tokens, i):
                continue
            name, _ = _proper_place(tokens, j)
            if name is not None and tokens[j].lower not in RELATIONS:
                return name
            continue
        common = _common_place(tokens, j)
        if common is not None:
            return common
    return None


def _after_motion(tokens: Sequence[Token], i: int) -> bool:
    return any(tokens[k].keys & MOTION_LEMMAS for k in range(max(0, i - 3), i))
