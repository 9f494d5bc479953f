"""The offline pipeline: note text in, moments and activities out, the same every run.

sentences -> tokens (+ typo fixes) -> activity mentions -> clause segments -> modality -> moment
groups -> people, place, time, amounts, feelings. Work is bounded: at most `MAX_PROCESSED_CHARS`
characters are read and at most `MAX_MOMENTS` / `MAX_ACTIVITIES` items are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from robonotes.domain.context import ExtractionContext
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
)
from robonotes.robo.offline.activities import ActivityMatcher, Mention
from robonotes.robo.offline.implied import implied_mentions
from robonotes.robo.offline.lexicon import Lexicon
from robonotes.robo.offline.meals import meal_mentions
from robonotes.robo.offline.moments import (
    MomentDraft,
    drop_generic,
    drop_incidental,
    group_sentence,
    segment_subjects,
    segment_trigger,
)
from robonotes.robo.offline.negation import Modality, is_injection, sentence_scope
from robonotes.robo.offline.people import find_mentioned_people, find_people
from robonotes.robo.offline.places import find_place
from robonotes.robo.offline.quantities import find_duration_minutes, find_quantity
from robonotes.robo.offline.sentences import split_segments, split_sentences
from robonotes.robo.offline.sentiment import emotions, valence
from robonotes.robo.offline.text import Token, is_inflected_verb, sanitize, tokenize
from robonotes.robo.offline.timing import Timing, find_part_of_day, find_timing, start_of

MAX_MOMENTS = 10
MAX_ACTIVITIES = 20
MAX_EVIDENCE_CHARS = 400
MAX_TITLE_CHARS = 100
_OBJECT_ACTIVITIES = frozenset(
    {"reading", "watching a movie", "watching tv", "cooking", "baking", "video games",
     "board games", "writing", "listening to music", "podcasts"}
)  # fmt: skip
_OBJECT_STOPS = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "our",
        "his",
        "her",
        "their",
        "some",
        "this",
        "that",
        "at",
        "in",
        "on",
        "to",
        "with",
        "for",
        "from",
        "of",
        "and",
        "but",
        "then",
        "so",
        "all",
        "after",
        "before",
        "during",
        "while",
        "it",
        "i",
        "me",
        "we",
        "for",
        "about",
        "again",
        "today",
        "tonight",
        "yesterday",
    ]
)
_WE_WORDS = frozenset({"we", "we're", "we've", "we'd", "together", "him", "them"})
"""Words that bring back people named earlier ("My sister Greta is here. We cooked...")."""
_CONTINUING = frozenset({"then", "afterwards", "afterward", "after", "later"})
"""A sentence opening with these goes on at the time of the one before."""
_OBJECT_CUES = frozenset(
    {"with", "w", "helped", "joined", "met", "took", "brought", "showed", "visited"}
)
"""After these "her" is the person ("helped her plant tomatoes"), not a possessive."""
_REMOTE = frozenset({"phone call", "texting"})
"""Company of a call is not in the room: "Called Amma. Then read" does not carry her along."""
_STATUS = {
    Modality.HAPPENED: MomentStatus.HAPPENED,
    Modality.PLANNED: MomentStatus.PLANNED,
    Modality.HABITUAL: MomentStatus.HABITUAL,
}


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the pipeline found in one note."""

    activities: tuple[ExtractedActivity, ...]
    moments: tuple[ExtractedMoment, ...]


@dataclass(slots=True)
class _Built:
    moment: ExtractedMoment
    mentions: list[Mention]
    tokens: Sequence[Token]
    draft: MomentDraft


class OfflineExtractor:
    """Runs the heuristics over one note; holds only immutable, precompiled state."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.matcher = ActivityMatcher(lexicon)

    def extract(self, text: str, context: ExtractionContext) -> Extraction:
        """Moments and activities of `text`, written at `context.created_at`."""
        clean = sanitize(text)
        base = _local_time(context)
        built: list[_Built] = []
        carried: Timing | None = None
        scene: Timing | None = None
        recent_people: tuple[str, ...] = ()
        for start, end in split_sentences(clean):
            tokens = self.matcher.correct_typos(tokenize(clean, start, end))
            if not tokens:
                continue
            if is_injection(clean[start:end]) or _is_heading(clean, start):
                continue
            segments = split_segments(tokens)
            mentions = drop_generic(self.matcher.find_mentions(tokens))
            mentions = sorted(
                [*mentions, *meal_mentions(tokens, segments, mentions, self.lexicon)],
                key=lambda m: m.lo,
            )
            mentions = sorted(
                [*mentions, *implied_mentions(tokens, segments, mentions, self.lexicon)],
                key=lambda m: m.lo,
            )
            mentions = drop_incidental(tokens, mentions)
            scope = sentence_scope(tokens)
            subjects = segment_subjects(tokens, segments)
            triggers = [
                segment_trigger(tokens, s, mentions, scope, subject)
                for s, subject in zip(segments, subjects, strict=True)
            ]
            drafts, loose = group_sentence(tokens, clean, segments, triggers, subjects)
            opening, from_head = _opening_timing(tokens, clean, drafts, base)
            drafts_from = 0 if from_head else 1
            if tokens[0].lower in _CONTINUING and carried is not None:
                opening, drafts_from = opening or carried, 0
            elif scene is not None and drafts:
                opening, drafts_from = opening or scene, 0
            scene = _scene_timing(clean[start:end], base) if not drafts else None
            carried = opening
            sentence_people = tuple(find_mentioned_people(tokens))
            for index, draft in enumerate(drafts):
                inherit = opening if index >= drafts_from else None
                item = self._build(clean, text, tokens, draft, base, inherit)
                earlier = tuple(find_mentioned_people(tokens[: draft.hi]))
                _resolve_people(item, earlier or recent_people, recent_people)
                continues = (
                    draft.continues
                    or (index == 0 and tokens[0].lower in _CONTINUING)
                    or tokens[draft.lo].lower in _CONTINUING
                    or _ends_with_after(tokens, draft)
                )
                if continues and built:
                    _continue_people(item, built[-1])
                elif index > 0 and _joined_without_subject(tokens, draft):
                    # "me n Dev grabbed wings and watched the game": one subject, one company
                    _continue_people(item, built[-1])
                built.append(item)
            recent_people = _latest_people(built, sentence_people, recent_people)
            if loose and built:
                _add_feelings(built, " ".join(loose))
            if len(built) >= MAX_MOMENTS * 3:
                break
        happened_first = sorted(built, key=lambda b: b.moment.status is not MomentStatus.HAPPENED)[
            :MAX_MOMENTS
        ]
        kept = [b for b in built if any(b is k for k in happened_first)]
        activities = self._activities(clean, text, kept, context)
        return Extraction(activities=activities, moments=tuple(b.moment for b in kept))

    def _build(
        self,
        clean: str,
        original: str,
        tokens: Sequence[Token],
        draft: MomentDraft,
        base: datetime,
        inherited: Timing | None,
    ) -> _Built:
        span = tokens[draft.lo : draft.hi]
        start, end = span[0].start, span[-1].end
        evidence = _evidence(clean, original, start, end)
        span_text = clean[start:end]
        timing = find_timing(span_text, base)
        if timing.part_of_day is None and timing.day is None and inherited is not None:
            timing = inherited
        people = tuple(_distinct_people([*find_people(span), *draft.company]))
        place = find_place(span)
        title = _title(draft, people, place)
        moment = ExtractedMoment(
            title=title,
            summary=evidence,
            status=_STATUS[draft.modality],
            evidence=evidence,
            time=MomentTime(
                text=timing.text,
                start=start_of(timing, base),
                part_of_day=timing.part_of_day,
            ),
            people=people,
            place=place,
            emotions=emotions(span_text),
            valence=valence(span_text),
            activities=tuple(draft.names),
        )
        return _Built(moment=moment, mentions=list(draft.mentions), tokens=tokens, draft=draft)

    def _activities(
        self,
        clean: str,
        original: str,
        built: Sequence[_Built],
        context: ExtractionContext,
    ) -> tuple[ExtractedActivity, ...]:
        by_name: dict[str, ExtractedActivity] = {}
        for item in built:
            if item.moment.status is not MomentStatus.HAPPENED:
                continue
            for mention in item.mentions:
                name = mention.activity.name
                if name in by_name or len(by_name) >= MAX_ACTIVITIES:
                    continue
                by_name[name] = self._activity(clean, original, item, mention, context)
        return tuple(by_name.values())

    def _activity(
        self,
        clean: str,
        original: str,
        item: _Built,
        mention: Mention,
        context: ExtractionContext,
    ) -> ExtractedActivity:
        tokens = item.tokens
        clause_lo, clause_hi = _clause_around(tokens, mention, item.draft)
        clause_text = clean[tokens[clause_lo].start : tokens[clause_hi - 1].end]
        activity = mention.activity
        return ExtractedActivity(
            name=activity.name,
            surface=_evidence(
                clean, original, tokens[mention.lo].start, tokens[mention.hi - 1].end
            ),
            evidence=item.moment.evidence,
            category=activity.category,
            object=_object(tokens, mention) if activity.name in _OBJECT_ACTIVITIES else None,
            duration_minutes=find_duration_minutes(clause_text),
            quantity=find_quantity(clause_text),
            existing_activity_idx=_candidate_index(activity.name, activity.forms, context),
        )


def _local_time(context: ExtractionContext) -> datetime:
    created = context.created_at
    if context.time_zone:
        try:
            return created.astimezone(ZoneInfo(context.time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            return created
    return created


def _opening_timing(
    tokens: Sequence[Token], clean: str, drafts: Sequence[MomentDraft], base: datetime
) -> tuple[Timing | None, bool]:
    """A time said before or in the sentence's first moment covers its later moments too.

    The flag says it was said before the first moment ("Tom made dinner and I washed up"), so
    it covers the first one as well.
    """
    if not drafts:
        return None, False
    first = drafts[0]
    if first.lo:
        head = find_timing(clean[tokens[0].start : tokens[first.lo - 1].end], base)
        if head.part_of_day is not None:
            return head, True
    span = clean[tokens[first.lo].start : tokens[first.hi - 1].end]
    timing = find_timing(span, base)
    return (None if timing.text is None else timing), False


def _scene_timing(sentence: str, base: datetime) -> Timing | None:
    """A sentence with no moment that sets the time ("A fine spring afternoon.") for the next."""
    timing = find_timing(sentence, base)
    return timing if timing.part_of_day is not None else None


def _evidence(clean: str, original: str, start: int, end: int) -> str:
    """A verbatim span of the note (the sanitised text only where the original has surrogates)."""
    if end - start > MAX_EVIDENCE_CHARS:
        cut = clean.rfind(" ", start, start + MAX_EVIDENCE_CHARS)
        end = cut if cut > start else start + MAX_EVIDENCE_CHARS
    piece = original[start:end]
    try:
        piece.encode("utf-8")
    except UnicodeEncodeError:
        piece = clean[start:end]
    return piece.strip()


def _title(draft: MomentDraft, people: Sequence[str], place: str | None) -> str:
    what = " and ".join(draft.names) or (draft.events[0] if draft.events else "moment")
    title = what[:1].upper() + what[1:]
    if people:
        title += " with " + ", ".join(people)
    if place:
        title += " at " + place
    return title[:MAX_TITLE_CHARS]


def _clause_around(
    tokens: Sequence[Token], mention: Mention, draft: MomentDraft
) -> tuple[int, int]:
    """The words of the mention's moment, cut at another activity's mention or at a "then".

    "Bench 3x8 at the gym, then 45 min on the bike": the sets belong before "then", the
    minutes after it, even when only one of the two activities was recognised.
    """
    lo, hi = draft.lo, draft.hi
    for other in draft.mentions:
        if other.lo > mention.lo and other.activity.name != mention.activity.name:
            hi = min(hi, other.lo)
        if other.hi <= mention.lo and other.activity.name != mention.activity.name:
            lo = max(lo, other.hi)
    for k in range(mention.hi, hi):
        if tokens[k].lower in _SEQUENCE_WORDS:
            hi = k
            break
    for k in range(mention.lo - 1, lo - 1, -1):
        if tokens[k].lower in _SEQUENCE_WORDS:
            lo = k + 1
            break
    return lo, max(hi, mention.hi)


_SEQUENCE_WORDS = frozenset({"then", "afterwards", "later"})


def _object(tokens: Sequence[Token], mention: Mention) -> str | None:
    """What was read, watched or cooked: the words right after the mention ("read Dune")."""
    words: list[str] = []
    for token in tokens[mention.hi : mention.hi + 4]:
        if not token.is_word or token.lower in _OBJECT_STOPS or token.text[:1].isdigit():
            break
        if words and not token.is_capitalized and words[-1][:1].isupper():
            break
        words.append(token.text)
    return " ".join(words)[:100] or None


def _candidate_index(name: str, forms: Sequence[str], context: ExtractionContext) -> int | None:
    """The person's existing activity with this name or one of its forms, by candidate index."""
    keys = {f.casefold() for f in forms} | {name.casefold()}
    for candidate in context.activities:
        names = {candidate.name.casefold(), *(a.casefold() for a in candidate.aliases)}
        if names & keys:
            return candidate.idx
    return None


def _add_feelings(built: list[_Built], text: str) -> None:
    """Feelings said apart from any moment ("Felt great.") colour the moment before them."""
    last = built[-1]
    found = emotions(text)
    if not found and valence(text) is None:
        return
    moment = last.moment
    merged = tuple(dict.fromkeys((*moment.emotions, *found)))[:10]
    score = valence(moment.evidence + ". " + text)
    last.moment = replace(moment, emotions=merged, valence=score)


def _resolve_people(item: _Built, recent: tuple[str, ...], before: tuple[str, ...] = ()) -> None:
    """Fill a moment's people from context: "we", "together", "her" refer back to them.

    With people already named, an object "her"/"him" still adds the one named before
    ("Élodie's birthday! Brunch with her and her sister Claire").
    """
    moment = item.moment
    span = item.tokens[item.draft.lo : item.draft.hi]
    if moment.people:
        if any(_listed_pronoun(span, i) for i in range(len(span))):
            own = {p.casefold() for p in moment.people}
            others = [p for p in (*recent, *before) if p.casefold() not in own]
            if others:
                item.moment = replace(moment, people=(*moment.people, others[-1]))
        return
    people: tuple[str, ...] = ()
    if any(
        t.lower in _WE_WORDS or _object_her(span, i) or _their_place(span, i)
        for i, t in enumerate(span)
    ):
        people = recent
    if people:
        item.moment = replace(moment, people=people)


def _latest_people(
    built: Sequence[_Built], sentence_people: tuple[str, ...], recent: tuple[str, ...]
) -> tuple[str, ...]:
    """The people the next "we" most likely means: named in this sentence, else before."""
    if sentence_people:
        return sentence_people
    if built and built[-1].moment.people:
        return built[-1].moment.people
    return recent


def _distinct_people(people: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for person in people:
        if person.casefold() not in seen:
            seen.add(person.casefold())
            result.append(person)
    return result


def _listed_pronoun(span: Sequence[Token], i: int) -> bool:
    """ "with her and her sister Claire", "helped her plant": a pronoun object that is one
    more person, not a possessive or the person already named ("mom called, called her back")."""
    if span[i].lower not in {"her", "him"} or i == 0:
        return False
    if span[i - 1].lower in _OBJECT_CUES:
        return True
    return (
        i + 1 < len(span) and span[i + 1].lower in {"and", "n", "&", ","} and _object_her(span, i)
    )


def _object_her(span: Sequence[Token], i: int) -> bool:
    """ "took her for dinner", "knitting her a scarf": "her" as an object, not "her favourite"."""
    if span[i].lower not in {"her", "him"}:
        return False
    nxt = span[i + 1].lower if i + 1 < len(span) else ""
    if i > 0 and span[i - 1].lower in _OBJECT_CUES:
        return True
    return i > 0 and (
        nxt in {"a", "an", "the", "for", "to", "back", "up", "out", "and", "n", "&", ""}
        or not nxt.isalpha()
    )


def _continue_people(item: _Built, previous: _Built) -> None:
    """ "..., then a swim in the lake": a continuation at no new time keeps the same company.

    Not when the writer names themself ("then I napped") or the clause gives its own time.
    """
    moment = item.moment
    span = item.tokens[item.draft.lo : item.draft.hi]
    own_time, _ = find_part_of_day(" ".join(t.text for t in span))
    if moment.people or own_time is not None:
        return
    if any(t.lower in {"i", "i'm", "i've", "alone", "solo"} for t in span):
        return
    if set(previous.moment.activities) & _REMOTE:
        return
    if previous.moment.status is MomentStatus.HAPPENED and previous.moment.people:
        item.moment = replace(moment, people=previous.moment.people)


def _their_place(span: Sequence[Token], i: int) -> bool:
    """ "at his place", "her flat": the person whose home it is was there."""
    return (
        span[i].lower in {"his", "her", "their"}
        and i + 1 < len(span)
        and span[i + 1].lower in {"place", "house", "flat", "apartment", "home"}
    )


def _is_heading(text: str, start: int) -> bool:
    """A Markdown heading ("# Camping trip, day 1") labels the note; it is not an experience."""
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start].strip() == "" and text.startswith("#", start)


def _ends_with_after(tokens: Sequence[Token], draft: MomentDraft) -> bool:
    """ "Pint at the clubhouse after": a clause ending in "after" follows on from the last one."""
    words = [t.lower for t in tokens[draft.lo : draft.hi] if t.is_word]
    return bool(words) and words[-1] in {"after", "afterwards", "afterward"}


def _joined_without_subject(tokens: Sequence[Token], draft: MomentDraft) -> bool:
    """A clause joined by "and" that opens with its verb shares the subject before it."""
    if draft.lo == 0 or tokens[draft.lo - 1].lower not in {"and", "n", "&"}:
        return False
    first = tokens[draft.lo].lower
    return is_inflected_verb(first)
