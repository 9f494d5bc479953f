"""Other people present in a clause: names and roles, never the writer.

People are read after social cues ("with", "met", "saw", "called", "for ... and Ana"), before
"and I", and as the subject of a visit ("Sam came over"). A relation word followed by a name gives
the name ("my sister Greta" -> Greta); alone it gives the role ("Mom" -> mom, "my friends" ->
friends).
"""

from __future__ import annotations

from collections.abc import Sequence

from lemminflect import getAllLemmas

from robonotes.robo.offline.text import Token, could_be_name, is_inflected_verb, is_known_word

CUE_WORDS = frozenset(
    [
        "with",
        "w",
        "met",
        "meet",
        "meeting",
        "saw",
        "see",
        "seeing",
        "visited",
        "visit",
        "visiting",
        "called",
        "call",
        "calling",
        "phoned",
        "texted",
        "facetimed",
        "joined",
        "hugged",
        "helped",
        "thanked",
        "invited",
        "hosted",
        "accompanied",
        "beside",
        "alongside",
        "took",
        "showed",
        "brought",
        "drove",
        "drive",
        "take",
        "bring",
        "pick",
        "walked",
        "rang",
        "ring",
        "ringing",
        "skyped",
        "con",
        "wi",
        "avec",
        "mit",
        "chez",
        "bei",
    ]
)
"""Words after which a person usually follows (also "con", "avec", "mit", "chez": notes mix
languages, and "chez Mathieu" means at his home, so he was there)."""
SUBJECT_VERBS = frozenset(
    [
        "came",
        "come",
        "comes",
        "joined",
        "join",
        "visited",
        "dropped",
        "stopped",
        "popped",
        "showed",
        "invited",
        "called",
        "phoned",
        "texted",
        "picked",
        "cooked",
        "made",
        "took",
        "brought",
        "taught",
        "helped",
        "hosted",
        "drove",
        "met",
        "rang",
        "skyped",
        "facetimed",
        "and",
    ]
)
"""Verbs (and "and", for "Sam and I") after which a leading name is a person present."""

RELATIONS: dict[str, str] = {
    "mom": "mom", "mum": "mom", "mommy": "mom", "mummy": "mom", "mother": "mom", "ma": "mom",
    "dad": "dad", "daddy": "dad", "father": "dad", "pa": "dad", "papa": "dad",
    "parents": "parents", "folks": "parents", "sister": "sister", "sis": "sister",
    "brother": "brother", "bro": "brother", "siblings": "siblings", "wife": "wife",
    "husband": "husband", "hubby": "husband", "partner": "partner", "boyfriend": "boyfriend",
    "girlfriend": "girlfriend", "bf": "boyfriend", "gf": "girlfriend", "fiance": "fiance",
    "fiancé": "fiance", "fiancee": "fiancee", "fiancée": "fiancee", "son": "son",
    "daughter": "daughter", "kids": "kids", "kid": "kid", "children": "kids", "child": "kid",
    "baby": "baby", "toddler": "toddler", "grandma": "grandma", "granny": "grandma",
    "nan": "grandma", "nana": "grandma", "grandmother": "grandma", "grandpa": "grandpa",
    "grandad": "grandpa", "granddad": "grandpa", "grandfather": "grandpa",
    "grandparents": "grandparents", "aunt": "aunt", "auntie": "aunt", "uncle": "uncle",
    "cousin": "cousin", "cousins": "cousins", "niece": "niece", "nephew": "nephew",
    "friend": "friend", "friends": "friends", "buddy": "buddy", "buddies": "buddies",
    "mate": "mate", "mates": "mates", "pal": "pal", "bestie": "bestie", "roommate": "roommate",
    "roommates": "roommates", "flatmate": "flatmate", "flatmates": "flatmates",
    "housemate": "housemate", "neighbor": "neighbor", "neighbour": "neighbour",
    "neighbors": "neighbors", "neighbours": "neighbours", "coworker": "coworker",
    "coworkers": "coworkers", "co-worker": "coworker", "co-workers": "coworkers",
    "colleague": "colleague", "colleagues": "colleagues", "boss": "boss", "manager": "manager",
    "team": "team", "teammates": "teammates", "classmates": "classmates", "coach": "coach",
    "trainer": "trainer", "teacher": "teacher", "therapist": "therapist", "doctor": "doctor",
    "family": "family", "in-laws": "in-laws", "stepdad": "stepdad", "stepmom": "stepmom",
    "group": "group", "crew": "crew", "gang": "gang", "club": "club", "date": "date",
    "kiddo": "kid", "kiddos": "kids", "twins": "twins", "girls": "girls", "guys": "guys",
    "boys": "boys",
    "lads": "lads", "ladies": "ladies", "squad": "squad", "missus": "wife", "wifey": "wife",
    "grandkids": "grandkids", "grandson": "grandson", "granddaughter": "granddaughter",
    "grandchildren": "grandchildren", "stepson": "stepson", "stepdaughter": "stepdaughter",
    "colleages": "colleagues", "classmate": "classmate", "teammate": "teammate",
    "abuela": "abuela", "abuelo": "abuelo", "abuelos": "abuelos", "tio": "tio", "tío": "tio",
    "tia": "tia", "tía": "tia", "primo": "primo", "prima": "prima", "primos": "primos",
    "mamá": "mamá", "papá": "papá", "hermana": "hermana", "hermano": "hermano",
    "novio": "novio", "novia": "novia", "amigos": "amigos", "amigas": "amigas",
    "familia": "familia", "copine": "copine", "copain": "copain", "mère": "mère",
    "père": "père", "frère": "frère", "sœur": "sœur", "soeur": "soeur", "amis": "amis",
    "oma": "oma", "opa": "opa", "mutti": "mutti", "schwester": "schwester",
    "bruder": "bruder", "freundin": "freundin", "freund": "freund", "amma": "amma",
    "appa": "appa", "ammi": "ammi", "abbu": "abbu", "nani": "nani", "dadi": "dadi",
    "wean": "wean", "weans": "weans", "bairn": "bairn", "bairns": "bairns", "da": "da",
    "didi": "didi", "bhaiya": "bhaiya", "chacha": "chacha", "mami": "mami",
}  # fmt: skip
"""Relation words; a relation alone is reported as written ("mum", "abuela"), as annotators do."""
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "prof"})
_OWNED_EVENTS = frozenset(
    {"birthday", "party", "show", "goodbye", "wedding", "leaving", "opening", "gig", "recital",
     "bbq", "barbecue", "do", "housewarming", "80th", "50th", "40th", "30th", "21st", "18th"}
)  # fmt: skip
_HOMES = frozenset({"house", "place", "flat", "apartment", "home", "garden", "cabin", "farm"})
"""At "Beto's house" the person whose home it is was there."""
_SEPARATORS = frozenset({",", "and", "&", "plus", "+", "n"})
_FAMILY_TITLES = frozenset(
    {"mom", "mum", "dad", "grandma", "grandpa", "nana", "granny", "papa", "amma", "appa", "abuela",
     "abuelo", "oma", "opa", "mamá", "papá"}
)  # fmt: skip
"""Relation words that are also used as a name ("Mom called")."""

_DETERMINERS = frozenset(
    [
        "my",
        "our",
        "his",
        "her",
        "their",
        "the",
        "a",
        "an",
        "some",
        "two",
        "three",
        "four",
        "both",
        "few",
        "several",
        "couple",
        "of",
        "new",
        "old",
        "whole",
        "entire",
        "same",
        "la",
        "el",
        "mi",
        "mis",
        "ma",
        "mon",
        "mes",
        "meine",
        "mein",
    ]
)
_WRITER = frozenset({"i", "me", "myself", "we", "us", "ourselves", "i'm", "i've", "i'd"})
_ARTICLES = frozenset({"the", "a", "an"})
_OBJECT_PRONOUNS = frozenset({"her", "him", "them"})
"""After "with the" a capitalised word is a thing ("the Hanteln", "the new Pixar movie"), not a
person; roles still read ("with the kids")."""
NUMBER_WORDS = frozenset(
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
     "twelve", "dozen", "hundred", "people", "ppl", "others", "everyone", "everybody", "someone"]
)  # fmt: skip
"""Counts and crowd words are never a name, even when no dictionary knows them."""
NOT_NAMES = frozenset(
    [
        "i",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "morning",
        "afternoon",
        "evening",
        "night",
        "the",
        "a",
        "an",
        "it",
        "this",
        "that",
        "then",
        "and",
        "but",
        "so",
        "felt",
        "feel",
        "was",
        "is",
        "god",
        "omg",
        "lol",
        "ok",
        "okay",
        "netflix",
        "youtube",
        "spotify",
        "instagram",
        "zoom",
        "facetime",
        "whatsapp",
        "google",
        "amazon",
        "english",
        "spanish",
        "french",
        "german",
        "italian",
        "chinese",
        "japanese",
        "christmas",
        "easter",
        "thanksgiving",
        "halloween",
        "covid",
        "til",
        "till",
        "rn",
        "tho",
        "ngl",
        "tbh",
        "haha",
        "lmao",
        "idk",
        "pls",
        "asap",
    ]
)


_PRONOUNS = frozenset(
    [
        "i",
        "we",
        "you",
        "he",
        "she",
        "they",
        "it",
        "me",
        "us",
        "them",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "who",
    ]
)


def is_name(token: Token) -> bool:
    """A capitalised word that is not a relation, a day, a month or another known non-name."""
    word = token.lower
    return (
        token.is_capitalized
        and token.text.replace("'", "").replace("’", "").replace("-", "").isalpha()
        and word not in NOT_NAMES
        and word not in _PRONOUNS
        and word not in RELATIONS
        and len(word) <= 30
    )


def _name_text(token: Token) -> str:
    text = token.text
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _lenient_name(token: Token) -> bool:
    """A lower-case word no dictionary knows, read as a name in casual notes ("w dev")."""
    word = token.lower
    return (
        not token.is_capitalized
        and word.isalpha()
        and 3 <= len(word) <= 20
        and word not in NOT_NAMES
        and word not in NUMBER_WORDS
        and not is_known_word(word)
    )


def _read_person(
    tokens: Sequence[Token], i: int, *, lenient: bool = False
) -> tuple[str | None, int]:
    """One person starting at tokens[i]: (name or role, index after it); (None, i) if none."""
    j = i
    while j < len(tokens) and tokens[j].lower in _DETERMINERS and j - i < 3:
        j += 1
    role: str | None = None
    article = any(t.lower in _ARTICLES for t in tokens[i:j])
    if j < len(tokens) and _relation(tokens[j]) is not None:
        role = _relation(tokens[j])
        j += 1
        if (
            [t.lower for t in tokens[j : j + 3]] == ["-", "in", "-"]
            and j + 3 < len(tokens)
            and tokens[j + 3].lower in {"law", "laws"}
        ):
            # "my brother-in-law Walt": the hyphens split the relation into tokens
            role = f"{role}-in-{tokens[j + 3].lower}"
            j += 4
    if (
        j + 2 < len(tokens)
        and tokens[j].lower in _TITLES
        and tokens[j + 1].text == "."
        and is_name(tokens[j + 2])
    ):
        return f"{tokens[j].text}. {_name_text(tokens[j + 2])}", j + 3
    if (
        j + 1 < len(tokens)
        and tokens[j].lower.endswith("'s")
        and tokens[j + 1].is_word
        and not tokens[j + 1].is_capitalized
        and role is None
    ):
        return None, i
    if article and role is None:
        return None, i
    if j < len(tokens) and (
        is_name(tokens[j]) or (lenient and _lenient_name(tokens[j]) and not _modifier(tokens, j))
    ):
        parts = [_name_text(tokens[j])]
        j += 1
        while j < len(tokens) and is_name(tokens[j]) and len(parts) < 3:
            parts.append(_name_text(tokens[j]))
            j += 1
        return " ".join(parts), j
    if role is not None:
        return role, j
    return None, i


_NOT_HEADS = frozenset({"all", "both", "lot", "bit", "while"})


def _modifier(tokens: Sequence[Token], j: int) -> bool:
    """ "with miso glaze": an unknown word before a plain noun modifies it; it is not a name."""
    if j + 1 >= len(tokens):
        return False
    after = tokens[j + 1]
    if after.is_capitalized or not after.lower.isalpha() or after.lower in _NOT_HEADS:
        return False
    kinds = getAllLemmas(after.lower)
    return "NOUN" in kinds and "ADV" not in kinds


def _relation(token: Token) -> str | None:
    """The relation word as written, lower-case, also in the possessive ("my uncle's")."""
    word = token.lower
    for suffix in ("'s", "’s"):
        if word.endswith(suffix) and word[: -len(suffix)] in RELATIONS:
            return word[: -len(suffix)]
    return word if word in RELATIONS else None


def _read_list(tokens: Sequence[Token], i: int, *, lenient: bool = False) -> list[str]:
    """People at tokens[i:], separated by commas, "and", "&" or "plus"."""
    people: list[str] = []
    while i < len(tokens):
        word = tokens[i].lower
        if word in _WRITER or (
            word in _OBJECT_PRONOUNS
            and (i + 1 >= len(tokens) or tokens[i + 1].lower in _SEPARATORS)
        ):
            # the writer is not a person present; "with her and her sister" names two, and
            # the extractor resolves "her" from earlier sentences
            i += 1
        else:
            person, after = _read_person(tokens, i, lenient=lenient)
            if person is None:
                break
            people.append(person)
            i = after
        if i < len(tokens) and tokens[i].lower in _SEPARATORS:
            i += 1
            continue
        break
    return people


def _hosts_event(tokens: Sequence[Token], i: int) -> bool:
    """ "Fatima's goodbye party", "at Mara's show": whose event it is was there."""
    token = tokens[i]
    word = token.lower
    if not (token.is_capitalized and word.endswith(("'s", "’s")) and could_be_name(word[:-2])):
        return False
    before = tokens[i - 1].lower if i > 0 else ""
    if (
        i > 0
        and tokens[i - 1].is_word
        and before not in {"at", "to", "and", "then", "chez"}
        and before not in RELATIONS
    ):
        return False
    if any(t.lower in _OWNED_EVENTS for t in tokens[i + 1 : i + 3]):
        return True
    return before in {"at", "to", "chez"} | RELATIONS.keys() and (
        i + 1 < len(tokens) and tokens[i + 1].lower in _HOMES
    )


def find_people(tokens: Sequence[Token]) -> list[str]:
    """Distinct people present in the tokens, in order of first mention."""
    found: list[str] = []
    for i, token in enumerate(tokens):
        word = token.lower
        if _hosts_event(tokens, i):
            found.append(_name_text(token))
        elif (
            word == "casa"
            and i + 2 < len(tokens)
            and tokens[i + 1].lower == "de"
            and (tokens[i + 2].lower in _DETERMINERS or tokens[i + 2].lower in RELATIONS)
        ):
            # "en casa de la abuela": at someone's home; "Casa de Campo" is a park
            found.extend(_read_list(tokens, i + 2))
        elif _party_host(tokens, i):
            host = tokens[i + 2] if tokens[i + 1].lower in {"my", "our"} else tokens[i + 1]
            found.append(_relation(host) or _name_text(host))
        elif word in CUE_WORDS or (word == "for" and _followed_by_people(tokens, i + 1)):
            start = i + 2 if i + 1 < len(tokens) and tokens[i + 1].text == "/" else i + 1
            # "coffee with appeltaart": after food a long unknown word is what came with it;
            # short ones are still names ("coffee w dev")
            lenient = word in {"w", "with"} and not (
                i > 0
                and tokens[i - 1].lower in _FOODS
                and start < len(tokens)
                and len(tokens[start].text) > 6
            )
            found.extend(_read_list(tokens, start, lenient=lenient))
        elif (
            i + 2 < len(tokens)
            and tokens[i + 1].lower in _SEPARATORS
            and tokens[i + 2].lower in _WRITER
            and (_starts_clause(tokens, i) or (is_name(token) and could_be_name(word)))
            and (is_name(token) or _lenient_name(token) or word in RELATIONS)
        ):
            found.extend(_read_list(tokens, i, lenient=True))
        elif word in _WRITER and i + 1 < len(tokens) and tokens[i + 1].lower in _SEPARATORS:
            found.extend(_read_list(tokens, i))
        elif (word == "my" or word == "our") and i + 1 < len(tokens):
            person, after = _read_person(tokens, i)
            if person is not None and _relation(tokens[i + 1]) is None:
                person = None  # "read my Bible": a bare "my" + capital is a thing
            if person is not None and (
                after >= len(tokens) or tokens[after].lower in SUBJECT_VERBS
            ):
                found.append(person)
        elif (
            (is_name(token) and could_be_name(word)) or word in _FAMILY_TITLES
        ) and _starts_clause(tokens, i):
            people = _read_list(tokens, i)
            end = i + 1
            while end < len(tokens) and tokens[end].lower not in SUBJECT_VERBS and end - i < 8:
                end += 1
            if (
                people
                and end < len(tokens)
                and tokens[end].lower in SUBJECT_VERBS
                and (tokens[end].lower != "and" or _writer_follows(tokens, end + 1))
            ):
                found.extend(people)
    return _distinct(found)


_FOODS = frozenset(
    {"coffee", "tea", "cake", "toast", "pasta", "rice", "pancakes", "waffles", "chai", "beer",
     "wine", "curry", "salad", "bread", "eggs", "chips", "fries", "pie", "cream", "milk"}
)  # fmt: skip
_GATHERINGS = frozenset(
    {"bbq", "barbecue", "party", "drinks", "games", "sleepover", "cookout", "potluck", "do",
     "night", "club", "housewarming"}
)  # fmt: skip


def _party_host(tokens: Sequence[Token], i: int) -> bool:
    """ "bbq at Luke's.": a gathering at someone's (home) means they were there.

    Only right after a gathering word: "tacos at Torchy's" names a restaurant, not a host.
    """
    if tokens[i].lower not in {"at", "to"} or i + 1 >= len(tokens) or i == 0:
        return False
    if tokens[i + 1].lower in {"my", "our"} and i + 2 < len(tokens):
        i += 1  # "bbq at my uncle's"
        if _relation(tokens[i + 1]) is None:
            return False
        return tokens[i - 2].lower in _GATHERINGS and tokens[i + 1].lower.endswith(("'s", "’s"))
    host = tokens[i + 1]
    ends = (
        i + 2 >= len(tokens)
        or not tokens[i + 2].is_word
        or tokens[i + 2].lower in {"tonight", "today", "yesterday", "last", "this", "on"}
    )
    return (
        host.is_capitalized
        and host.lower.endswith("'s")
        and could_be_name(host.lower[:-2])
        and ends
        and tokens[i - 1].lower in _GATHERINGS
    )


def _followed_by_people(tokens: Sequence[Token], i: int) -> bool:
    """ "for me and Ana", "for my sister": "for" is followed by people, not "for an hour"."""
    people = _read_list(tokens, i)
    return bool(people) and not any(p.lower() in NOT_NAMES for p in people)


def starts_with_person(tokens: Sequence[Token], *, lenient: bool = False) -> bool:
    """Whether the words open with a person ("his girlfriend Inès", "Hana"): a list goes on.

    `lenient` also takes an unknown lower-case word ("diego and i"), for casual notes.
    """
    person, _ = _read_person(tokens, 0, lenient=lenient)
    return person is not None and (
        tokens[0].lower in RELATIONS
        or is_name(tokens[0])
        or tokens[0].lower in _DETERMINERS
        or (lenient and _lenient_name(tokens[0]))
    )


def _starts_clause(tokens: Sequence[Token], i: int) -> bool:
    return i == 0 or not tokens[i - 1].is_word or tokens[i - 1].lower in {"and", "then", "so"}


def _writer_follows(tokens: Sequence[Token], i: int) -> bool:
    return i < len(tokens) and tokens[i].lower in _WRITER


def _distinct(people: list[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for person in people:
        key = person.casefold()
        if key not in seen:
            seen.add(key)
            result.append(person if person[:1].isupper() else person.lower())
    return result


_MENTION_NOUNS = _OWNED_EVENTS | {"place", "house", "flat"}


def find_mentioned_people(tokens: Sequence[Token]) -> list[str]:
    """People named in the words even when not present ("My sister Greta is here",
    "Nadia's birthday"): what a later "we" or "her" may refer to."""
    found = find_people(tokens)
    for i, token in enumerate(tokens):
        word = token.lower
        if word in {"my", "our"}:
            person, _ = _read_person(tokens, i)
            if person is not None:
                found.append(person)
        elif (
            is_name(token)
            and could_be_name(word)
            and i + 1 < len(tokens)
            and is_inflected_verb(tokens[i + 1].lower)
        ) or (
            token.is_capitalized
            and word.endswith(("'s", "’s"))
            and i + 1 < len(tokens)
            and tokens[i + 1].lower in _MENTION_NOUNS
            and could_be_name(word[:-2])
        ):
            found.append(_name_text(token))
    return _distinct(found)


def subject_people(tokens: Sequence[Token]) -> list[str]:
    """The people a clause opens with ("Dev filmed it", "Dr Okafor said"): they were there."""
    if not tokens or not is_name(tokens[0]):
        return []
    if tokens[0].lower in _TITLES and len(tokens) > 1 and is_name(tokens[1]):
        return [f"{tokens[0].text} {_name_text(tokens[1])}"]
    return _distinct(_read_list(tokens, 0))
