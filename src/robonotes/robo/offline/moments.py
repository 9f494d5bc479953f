"""Group a sentence's clause segments into moments: one per distinct experience.

A segment with an activity or a social event (dinner with Lea, met Sam) starts a moment; segments
without one join the moment before them when they add who, where, when or how much ("with Sam
and Ana"), or the next one when they open the sentence ("After work, I ran"). A strong boundary
("then", "afterwards", ";") or a different activity starts a new moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from robonotes.robo.offline.activities import Mention
from robonotes.robo.offline.negation import Modality, classify
from robonotes.robo.offline.people import (
    RELATIONS,
    find_people,
    is_name,
    starts_with_person,
    subject_people,
)
from robonotes.robo.offline.places import find_place
from robonotes.robo.offline.quantities import find_duration_minutes, find_quantity
from robonotes.robo.offline.sentences import Segment
from robonotes.robo.offline.text import Token, could_be_name, is_inflected_verb
from robonotes.robo.offline.timing import find_part_of_day

EVENT_NOUNS = frozenset(
    [
        "breakfast",
        "brunch",
        "lunch",
        "dinner",
        "supper",
        "coffee",
        "drinks",
        "drink",
        "beer",
        "beers",
        "wine",
        "tea",
        "cocktails",
        "party",
        "appointment",
        "meeting",
        "wedding",
        "funeral",
        "picnic",
        "barbecue",
        "bbq",
        "celebration",
        "reunion",
        "sleepover",
        "playdate",
        "ceremony",
        "festival",
        "gig",
        "concert",
        "date",
    ]
)
EVENT_NOUN_VERBS = frozenset(
    ["have", "grab", "get", "eat", "go", "meet", "enjoy", "attend", "host", "share"]
)
"""Lemmas that make a meal or gathering an event ("had dinner", not "after dinner")."""
EVENT_VERBS = frozenset(
    [
        "meet",
        "see",
        "visit",
        "call",
        "phone",
        "facetime",
        "hang",
        "catch",
        "spend",
        "chat",
        "talk",
        "hug",
        "host",
        "attend",
        "celebrate",
    ]
)
"""Lemmas that make a moment when someone else is there ("met Sam", "called Mom")."""
MOVE_VERBS = frozenset(["go", "head", "pop", "drop", "stop"])
"""Lemmas that make a moment with a place ("went to the market")."""
GENERIC_ACTIVITIES = frozenset({"working out"})
"""Dropped when a specific fitness activity is in the same sentence (gym + lifted weights)."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """What makes a segment a moment: activity mentions and/or an event word, with modality."""

    names: tuple[str, ...]
    event: str | None
    modality: Modality
    mentions: tuple[Mention, ...]


@dataclass(slots=True)
class MomentDraft:
    """A moment being built from the segments of one sentence."""

    lo: int
    hi: int
    modality: Modality
    names: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    continues: bool = False
    company: list[str] = field(default_factory=list)


def drop_generic(mentions: list[Mention]) -> list[Mention]:
    """Without "working out" when a more specific fitness or sport activity is there too."""
    specific = any(
        m.activity.name not in GENERIC_ACTIVITIES and m.activity.category in {"fitness", "sport"}
        for m in mentions
    )
    if not specific:
        return mentions
    return [m for m in mentions if m.activity.name not in GENERIC_ACTIVITIES]


SHARED_ACTIVITIES = frozenset({"phone call"})
"""Activities that are the writer's too when someone else is the subject ("Sam called")."""
_OWNED_SESSIONS = frozenset(
    ["lesson", "lessons", "class", "classes", "practice", "game", "match", "recital", "race",
     "training", "tournament", "meet", "gala", "trial", "trials", "session"]
)  # fmt: skip
_FERRY_LEMMAS = frozenset(["drive", "drop", "ferry", "chauffeur"])
_TRAVEL_ACTIVITIES = frozenset(["driving", "traveling", "commuting"])
_SETTING_ACTIVITIES = frozenset(["beach day"])
"""Named by where they happen; another activity in the sentence is what was done there."""


def drop_incidental(tokens: Sequence[Token], mentions: list[Mention]) -> list[Mention]:
    """Without mentions that are someone else's or only the means or setting of another.

    "Noah's first swim lesson" and "Drove Ava to soccer practice" are the child's; in "drove out
    to Bolton Abbey for a wander" the drive is the way there (GUIDE.md: a trip names its
    purpose); "a swim at the beach" is swimming, not a beach day.
    """
    kept: list[Mention] = []
    for mention in mentions:
        others = [m for m in mentions if m is not mention]
        name = mention.activity.name
        if _someone_elses(tokens, mention):
            continue
        if name in _SETTING_ACTIVITIES and any(
            m.activity.name not in _SETTING_ACTIVITIES for m in others
        ):
            continue
        if name in _TRAVEL_ACTIVITIES and any(
            m.lo > mention.lo
            and m.activity.name not in _TRAVEL_ACTIVITIES
            and any(t.lower == "for" for t in tokens[mention.hi : m.lo])
            for m in others
        ):
            continue
        kept.append(mention)
    return kept


def _someone_elses(tokens: Sequence[Token], mention: Mention) -> bool:
    before = tokens[max(0, mention.lo - 3) : mention.lo]
    after = [t.lower for t in tokens[mention.hi : mention.hi + 2]]
    owned = any(
        t.is_capitalized and t.lower.endswith(("'s", "’s")) and could_be_name(t.lower[:-2])
        for t in before
    )
    if owned and _OWNED_SESSIONS & set(after):
        return True
    later = tokens[mention.hi : mention.hi + 4]
    for k, token in enumerate(later[:-1]):
        # "swim lessons for Max": the lesson is Max's
        if token.lower in _OWNED_SESSIONS and later[k + 1].lower == "for":
            rest = later[k + 2 :]
            if rest and is_name(rest[0]) and could_be_name(rest[0].lower):
                return True
    window = tokens[max(0, mention.lo - 6) : mention.lo]
    for k, token in enumerate(window):
        if token.keys & _FERRY_LEMMAS and k + 1 < len(window):
            rest = window[k + 1 :]
            if (
                starts_with_person(rest)
                and any(t.lower in {"to", "at", "off"} for t in rest)
                and not any(t.lower in WRITER_WORDS for t in rest)
            ):
                return True
    return False


WRITER_WORDS = frozenset(
    ["i", "i'm", "i've", "i'd", "i'll", "we", "we're", "we've", "we'd", "me", "myself", "us"]
)
_OBJECTS = frozenset({"me", "myself", "us"})
_JOINERS = frozenset({"and", "n", "&"})
OTHER_PRONOUNS = frozenset(["he", "she", "they", "he's", "she's", "they're"])
_SUBJECT_SKIP = frozenset(["my", "our", "his", "her", "their", "the", "a", "an"])
_TITLES = frozenset(["dr", "mr", "mrs", "ms", "prof", "coach"])
_CAUSATIVES = frozenset(["make", "let", "have", "get", "help"])


def subject_of(clause: Sequence[Token]) -> str | None:
    """ "writer", "other" (someone else does it: "Tom made dinner") or None (no subject)."""
    for i, token in enumerate(clause[:4]):
        nxt = clause[i + 1].lower if i + 1 < len(clause) else ""
        if token.lower in WRITER_WORDS and (token.lower not in _OBJECTS or nxt in _JOINERS):
            return "writer"
        if token.lower == "me" and i > 0 and clause[i - 1].keys & _CAUSATIVES:
            return "writer"  # "mom made me clean my room": the writer did it
    for index, token in enumerate(clause[:4]):
        word = token.lower
        if word in _SUBJECT_SKIP:
            continue
        if word.endswith(("'s", "’s")) and index + 1 < len(clause):
            continue  # "my cousin's kids ran": whose they are; the head noun comes next
        verb_at = index + 1
        if word in _TITLES or is_name(token):
            # "Dr Okafor suggested", "Mary Jane cooked": the verb comes after the whole name
            while verb_at < min(len(clause), index + 3) and is_name(clause[verb_at]):
                verb_at += 1
            if verb_at < len(clause) and clause[verb_at].text == "." and word in _TITLES:
                verb_at += 2
        following = clause[verb_at].lower if verb_at < len(clause) else ""
        if word in _TITLES and verb_at > index + 1:
            return "other" if is_inflected_verb(following) else None
        is_person = (
            word in OTHER_PRONOUNS or word in RELATIONS or (is_name(token) and could_be_name(word))
        )
        if is_person and is_inflected_verb(following):
            return "other"
        return None
    return None


def segment_subjects(tokens: Sequence[Token], segments: Sequence[Segment]) -> list[str | None]:
    """Each segment's subject; a verb-first segment after "and" keeps the one before it."""
    subjects: list[str | None] = []
    previous: str | None = None
    for segment in segments:
        subject = subject_of(segment.tokens)
        if subject is None and segment.lo > 0 and tokens[segment.lo - 1].lower == "and":
            subject = previous
        subjects.append(subject)
        previous = subject
    return subjects


def segment_trigger(
    tokens: Sequence[Token],
    segment: Segment,
    mentions: Sequence[Mention],
    scope: Modality | None,
    subject: str | None = None,
) -> Trigger | None:
    """The segment's trigger, or None when it names no activity and no event."""
    inside = [m for m in mentions if segment.lo <= m.lo < segment.hi]
    if subject == "other":
        # "Tom made dinner" is Tom's; "mum rang" is a call the writer was on
        inside = [m for m in inside if m.activity.name in SHARED_ACTIVITIES]
    clause = tokens[segment.lo : segment.hi]
    happened: list[Mention] = []
    others: list[tuple[Mention, Modality]] = []
    for mention in inside:
        modality = classify(clause, mention.lo - segment.lo, mention.hi - segment.lo, scope)
        if modality is Modality.HAPPENED:
            happened.append(mention)
        else:
            others.append((mention, modality))
    if happened:
        names = tuple(dict.fromkeys(m.activity.name for m in happened))
        return Trigger(
            names=names, event=None, modality=Modality.HAPPENED, mentions=tuple(happened)
        )
    if others:
        modality = others[0][1]
        if modality is Modality.NEGATED:
            return Trigger(names=(), event=None, modality=modality, mentions=())
        names = tuple(dict.fromkeys(m.activity.name for m, _ in others))
        return Trigger(names=names, event=None, modality=modality, mentions=())
    event_at = _event_index(clause)
    if event_at is None:
        return None
    modality = classify(clause, event_at, event_at + 1, scope)
    return Trigger(names=(), event=clause[event_at].lower, modality=modality, mentions=())


def _event_index(clause: Sequence[Token]) -> int | None:
    for i, token in enumerate(clause):
        if token.lower in EVENT_NOUNS:
            window = clause[max(0, i - 4) : i]
            if any(t.keys & EVENT_NOUN_VERBS for t in window) or _followed_by_company(clause, i):
                return i
    for i, token in enumerate(clause):
        if token.keys & EVENT_VERBS and find_people(clause[i:]):
            return i
        if token.keys & MOVE_VERBS and find_place(clause[i:]) is not None:
            return i
    return None


def _followed_by_company(clause: Sequence[Token], i: int) -> bool:
    rest = clause[i + 1 : i + 6]
    return any(t.lower in {"with", "at"} for t in rest[:2]) and bool(
        find_people(rest) or find_place(rest)
    )


def has_details(tokens: Sequence[Token], text: str) -> bool:
    """Whether a trigger-less segment says who, where, when or how much."""
    return bool(
        find_people(tokens)
        or find_place(tokens) is not None
        or find_part_of_day(text)[0] is not None
        or find_duration_minutes(text) is not None
        or find_quantity(text) is not None
    )


def group_sentence(
    tokens: Sequence[Token],
    text: str,
    segments: Sequence[Segment],
    triggers: Sequence[Trigger | None],
    subjects: Sequence[str | None] | None = None,
) -> tuple[list[MomentDraft], list[str]]:
    """Moments of one sentence, and the text of segments that joined none (for feelings)."""
    drafts: list[MomentDraft] = []
    loose: list[str] = []
    prefix: list[Segment] = []
    current: MomentDraft | None = None
    opener: Segment | None = None
    subjects = subjects or [None] * len(segments)
    for index, (segment, trigger) in enumerate(zip(segments, triggers, strict=True)):
        seg_text = text[segment.start : segment.end]
        if trigger is None and _opens_next(segments, index, tokens):
            opener = segment
            continue
        if trigger is None and subjects[index] == "other":
            if current is not None and tokens[segment.lo - 1].lower != "while":
                current.company.extend(subject_people(segment.tokens))
            loose.append(seg_text)
            continue
        if trigger is None:
            if current is not None and (
                has_details(segment.tokens, seg_text) or starts_with_person(segment.tokens)
            ):
                current.hi = segment.hi
            elif current is None and has_details(segment.tokens, seg_text):
                prefix.append(segment)
            else:
                loose.append(seg_text)
            continue
        if trigger.modality is Modality.NEGATED:
            current = None
            prefix = []
            loose.append(seg_text)
            continue
        same = (
            current is not None
            and not segment.strong
            and current.modality is trigger.modality
            and (
                bool(set(current.names) & set(trigger.names))
                or (not trigger.names and trigger.event is None)
            )
        )
        if current is not None and same:
            current.hi = segment.hi
            current.names.extend(n for n in trigger.names if n not in current.names)
            current.mentions.extend(trigger.mentions)
            continue
        lo = segment.lo
        if current is None and prefix:
            lo = prefix[0].lo
        if opener is not None:
            lo = min(lo, opener.lo)
            opener = None
        prefix = []
        current = MomentDraft(
            lo=lo,
            hi=segment.hi,
            modality=trigger.modality,
            names=list(trigger.names),
            events=[trigger.event] if trigger.event else [],
            mentions=list(trigger.mentions),
            continues=segment.strong and bool(drafts),
        )
        drafts.append(current)
    loose.extend(text[s.start : s.end] for s in prefix)
    return drafts, loose


def _opens_next(segments: Sequence[Segment], index: int, tokens: Sequence[Token]) -> bool:
    """ "Jess and I made tacos": a person right before "and I" belongs to the next clause."""
    if index + 1 >= len(segments):
        return False
    nxt = segments[index + 1]
    return (
        starts_with_person(segments[index].tokens, lenient=index == 0)
        and len(segments[index].tokens) <= 4
        and nxt.tokens[0].lower in {"i", "we", "me"}
        and tokens[nxt.lo - 1].lower in {"and", "n", "&"}
    )
