"""Scores extraction against hand-annotated gold notes by the rules of docs/quality.md.

Pure functions over plain dataclasses, so any provider (offline, OpenAI, a file of `robonotes
extract` output) is scored the same way. Gold files are untrusted input: every line is checked
explicitly and a bad one raises `GoldFormatError` naming the line and the field.

Rules, as GUIDE.md states them:
- activities per note: a predicted name matches a gold item when it equals the gold name or one of
  its aliases after case folding; each gold item and each prediction is used at most once
  (maximum bipartite matching); micro-averaged precision, recall and F1;
- moments per note: only predicted moments whose status is `happened` (or absent) take part; a
  predicted and a gold moment are a candidate pair when at least half of the gold evidence's word
  tokens occur in the predicted evidence, or the reverse; pairs are matched one to one, greatest
  overlap first; micro-averaged precision, recall and F1;
- on matched moments: people (exact set after case folding), part of day (only where gold has
  one), place (gold's tokens a subset of the prediction's or the reverse; null only equals null).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from robonotes.domain.exceptions import RoboNotesError
from robonotes.domain.results import PartOfDay, RoboProcessingResult

PARTS_OF_DAY = frozenset(p.value for p in PartOfDay)
_WORD = re.compile(r"\w+", re.UNICODE)


class GoldFormatError(RoboNotesError, ValueError):
    """A gold file line is not a well-formed gold note; the message names the line and field."""

    def __init__(self, message: str, *, line_no: int | None = None) -> None:
        prefix = f"line {line_no}: " if line_no is not None else ""
        super().__init__(prefix + message)
        self.line_no = line_no


class PredictionFormatError(RoboNotesError, ValueError):
    """A prediction object (the `robonotes extract` JSON shape) is malformed."""


# --- gold notes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoldActivity:
    """One activity the writer really did, by canonical name, with names a scorer also accepts."""

    name: str
    aliases: tuple[str, ...] = ()

    def accepts(self, predicted: str) -> bool:
        """Whether a predicted name is this activity's name or one of its aliases, case-folded."""
        key = _fold(predicted)
        return key == _fold(self.name) or any(key == _fold(a) for a in self.aliases)


@dataclass(frozen=True, slots=True)
class GoldMoment:
    """One experience that happened, anchored by a verbatim span of the note."""

    evidence: str
    activities: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    place: str | None = None
    part_of_day: str | None = None


@dataclass(frozen=True, slots=True)
class GoldNote:
    """One annotated note of the gold set."""

    id: str
    user: str
    created_at: datetime
    text: str
    activities: tuple[GoldActivity, ...]
    moments: tuple[GoldMoment, ...]


def _require(obj: Mapping[str, object], key: str, where: str) -> object:
    if key not in obj:
        raise GoldFormatError(f"{where}: missing field {key!r}")
    return obj[key]


def _str(value: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise GoldFormatError(f"{where}: expected a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise GoldFormatError(f"{where}: must not be empty")
    return value


def _opt_str(value: object, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _str_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise GoldFormatError(f"{where}: expected a list, got {type(value).__name__}")
    return tuple(_str(item, f"{where}[{i}]") for i, item in enumerate(value))


def _obj(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise GoldFormatError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _parse_activity(value: object, where: str) -> GoldActivity:
    obj = _obj(value, where)
    name = _str(_require(obj, "name", where), f"{where}.name")
    aliases = _str_list(obj.get("aliases", []), f"{where}.aliases")
    return GoldActivity(name=name, aliases=aliases)


def _parse_moment(value: object, where: str) -> GoldMoment:
    obj = _obj(value, where)
    part = _opt_str(_require(obj, "part_of_day", where), f"{where}.part_of_day")
    if part is not None and part not in PARTS_OF_DAY:
        raise GoldFormatError(
            f"{where}.part_of_day: {part!r} is not one of {sorted(PARTS_OF_DAY)} or null"
        )
    return GoldMoment(
        evidence=_str(_require(obj, "evidence", where), f"{where}.evidence"),
        activities=_str_list(_require(obj, "activities", where), f"{where}.activities"),
        people=_str_list(_require(obj, "people", where), f"{where}.people"),
        place=_opt_str(_require(obj, "place", where), f"{where}.place"),
        part_of_day=part,
    )


def parse_gold_note(obj: object) -> GoldNote:
    """Validate one decoded gold object and build a GoldNote; raise GoldFormatError when bad."""
    note = _obj(obj, "note")
    note_id = _str(_require(note, "id", "note"), "id")
    where = f"note {note_id!r}"
    raw_created = _str(_require(note, "created_at", where), f"{where}.created_at")
    try:
        created_at = datetime.fromisoformat(raw_created)
    except ValueError:
        raise GoldFormatError(
            f"{where}.created_at: not an ISO 8601 time: {raw_created!r}"
        ) from None
    if created_at.tzinfo is None:
        raise GoldFormatError(f"{where}.created_at: needs a UTC offset: {raw_created!r}")
    raw_activities = _require(note, "activities", where)
    raw_moments = _require(note, "moments", where)
    if not isinstance(raw_activities, list):
        raise GoldFormatError(f"{where}.activities: expected a list")
    if not isinstance(raw_moments, list):
        raise GoldFormatError(f"{where}.moments: expected a list")
    return GoldNote(
        id=note_id,
        user=_str(_require(note, "user", where), f"{where}.user"),
        created_at=created_at,
        text=_str(_require(note, "text", where), f"{where}.text", allow_empty=True),
        activities=tuple(
            _parse_activity(a, f"{where}.activities[{i}]") for i, a in enumerate(raw_activities)
        ),
        moments=tuple(_parse_moment(m, f"{where}.moments[{i}]") for i, m in enumerate(raw_moments)),
    )


def parse_gold_lines(lines: Iterable[str]) -> list[GoldNote]:
    """Parse a gold JSONL stream (blank lines skipped); raise GoldFormatError at a bad line."""
    notes: list[GoldNote] = []
    seen: set[str] = set()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            decoded = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise GoldFormatError(f"not valid JSON ({exc})", line_no=line_no) from None
        try:
            note = parse_gold_note(decoded)
        except GoldFormatError as exc:
            raise GoldFormatError(str(exc), line_no=line_no) from None
        if note.id in seen:
            raise GoldFormatError(f"duplicate id {note.id!r}", line_no=line_no)
        seen.add(note.id)
        notes.append(note)
    return notes


# --- predictions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PredictedMoment:
    """The parts of a predicted moment the scorer looks at."""

    evidence: str
    status: str | None = None
    people: tuple[str, ...] = ()
    place: str | None = None
    part_of_day: str | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a provider extracted from one note, reduced to what is scored."""

    activities: tuple[str, ...] = ()
    moments: tuple[PredictedMoment, ...] = ()
    error: str | None = None


def prediction_from_result(result: RoboProcessingResult) -> Prediction:
    """Reduce a domain RoboProcessingResult to a Prediction."""
    return Prediction(
        activities=tuple(a.name for a in result.activities),
        moments=tuple(
            PredictedMoment(
                evidence=m.evidence,
                status=str(m.status),
                people=tuple(m.people),
                place=m.place,
                part_of_day=None if m.time.part_of_day is None else str(m.time.part_of_day),
            )
            for m in result.moments
        ),
    )


def _pred_str(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PredictionFormatError(f"{where}: expected a string or null")
    return value


def _pred_list(value: object, where: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PredictionFormatError(f"{where}: expected a list")
    return value


def prediction_from_json(obj: object) -> Prediction:
    """Build a Prediction from one `robonotes extract` output object; errors score empty."""
    if not isinstance(obj, dict):
        raise PredictionFormatError("prediction: expected an object")
    if obj.get("error") is not None:
        return Prediction(error=str(obj["error"]))
    names: list[str] = []
    for i, item in enumerate(_pred_list(obj.get("activities"), "activities")):
        if not isinstance(item, dict):
            raise PredictionFormatError(f"activities[{i}]: expected an object")
        name = _pred_str(item.get("name"), f"activities[{i}].name")
        if name is None:
            raise PredictionFormatError(f"activities[{i}].name: missing")
        names.append(name)
    moments: list[PredictedMoment] = []
    for i, item in enumerate(_pred_list(obj.get("moments"), "moments")):
        where = f"moments[{i}]"
        if not isinstance(item, dict):
            raise PredictionFormatError(f"{where}: expected an object")
        time = item.get("time") or {}
        if not isinstance(time, dict):
            raise PredictionFormatError(f"{where}.time: expected an object or null")
        people = []
        for j, person in enumerate(_pred_list(item.get("people"), f"{where}.people")):
            text = _pred_str(person, f"{where}.people[{j}]")
            if text is not None:
                people.append(text)
        moments.append(
            PredictedMoment(
                evidence=_pred_str(item.get("evidence"), f"{where}.evidence") or "",
                status=_pred_str(item.get("status"), f"{where}.status"),
                people=tuple(people),
                place=_pred_str(item.get("place"), f"{where}.place"),
                part_of_day=_pred_str(time.get("part_of_day"), f"{where}.time.part_of_day"),
            )
        )
    return Prediction(activities=tuple(names), moments=tuple(moments))


# --- scoring -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def tokens(text: str) -> list[str]:
    """Case-folded word tokens of a text, as the moment and place rules count them."""
    return _WORD.findall(text.casefold())


def evidence_overlap(gold: str, predicted: str) -> float:
    """The larger share of one evidence's word tokens found in the other (0 if one is empty)."""
    gold_tokens, pred_tokens = tokens(gold), tokens(predicted)
    if not gold_tokens or not pred_tokens:
        return 0.0
    gold_set, pred_set = set(gold_tokens), set(pred_tokens)
    gold_share = sum(t in pred_set for t in gold_tokens) / len(gold_tokens)
    pred_share = sum(t in gold_set for t in pred_tokens) / len(pred_tokens)
    return max(gold_share, pred_share)


def place_matches(gold: str | None, predicted: str | None) -> bool:
    """Gold's place tokens are a subset of the prediction's or the reverse; null equals null."""
    if gold is None or predicted is None:
        return gold is None and predicted is None
    gold_set, pred_set = set(tokens(gold)), set(tokens(predicted))
    if not gold_set or not pred_set:
        return gold_set == pred_set
    return gold_set <= pred_set or pred_set <= gold_set


def people_match(gold: Sequence[str], predicted: Sequence[str]) -> bool:
    """Exact set equality after case folding."""
    return {_fold(p) for p in gold} == {_fold(p) for p in predicted}


def match_activities(
    gold: Sequence[GoldActivity], predicted: Sequence[str]
) -> list[tuple[int, int]]:
    """Largest one-to-one matching of predicted names to gold items, as (gold, pred) pairs."""
    accepts = [[g for g, item in enumerate(gold) if item.accepts(name)] for name in predicted]
    owner: dict[int, int] = {}

    def augment(pred_idx: int, visited: set[int]) -> bool:
        for g in accepts[pred_idx]:
            if g in visited:
                continue
            visited.add(g)
            if g not in owner or augment(owner[g], visited):
                owner[g] = pred_idx
                return True
        return False

    for pred_idx in range(len(predicted)):
        augment(pred_idx, set())
    return sorted(owner.items())


def match_moments(
    gold: Sequence[GoldMoment], predicted: Sequence[PredictedMoment]
) -> list[tuple[int, int]]:
    """Greedy one-to-one pairing of candidate pairs, greatest overlap first (ties by position)."""
    candidates: list[tuple[float, int, int]] = []
    for g, gold_moment in enumerate(gold):
        for p, pred_moment in enumerate(predicted):
            overlap = evidence_overlap(gold_moment.evidence, pred_moment.evidence)
            if overlap >= 0.5:
                candidates.append((overlap, g, p))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, g, p in candidates:
        if g in used_gold or p in used_pred:
            continue
        used_gold.add(g)
        used_pred.add(p)
        pairs.append((g, p))
    return sorted(pairs)


def counts_happened(moment: PredictedMoment) -> bool:
    """Only moments that happened (or carry no status) are scored."""
    return moment.status is None or moment.status == "happened"


@dataclass(frozen=True, slots=True)
class AttributeMiss:
    """A matched moment whose people, part of day or place disagrees with gold."""

    evidence: str
    field: str
    gold: str
    predicted: str


@dataclass(frozen=True, slots=True)
class NoteScore:
    """Counts and errors of one note, for the totals and for debugging."""

    note_id: str
    activity_tp: int
    activity_fp: int
    activity_fn: int
    moment_tp: int
    moment_fp: int
    moment_fn: int
    people_correct: int
    people_total: int
    part_of_day_correct: int
    part_of_day_total: int
    place_correct: int
    place_total: int
    missed_activities: tuple[str, ...] = ()
    spurious_activities: tuple[str, ...] = ()
    missed_moments: tuple[str, ...] = ()
    spurious_moments: tuple[str, ...] = ()
    attribute_misses: tuple[AttributeMiss, ...] = ()
    error: str | None = None

    @property
    def is_perfect(self) -> bool:
        """No miss of any kind in this note."""
        return not (
            self.missed_activities
            or self.spurious_activities
            or self.missed_moments
            or self.spurious_moments
            or self.attribute_misses
            or self.error
        )


def _fmt(value: object) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return "null" if value is None else str(value)


def score_note(gold: GoldNote, prediction: Prediction) -> NoteScore:
    """Score one note's prediction against its gold annotation."""
    act_pairs = match_activities(gold.activities, prediction.activities)
    matched_gold_acts = {g for g, _ in act_pairs}
    matched_pred_acts = {p for _, p in act_pairs}
    happened = [m for m in prediction.moments if counts_happened(m)]
    mom_pairs = match_moments(gold.moments, happened)
    matched_gold_moms = {g for g, _ in mom_pairs}
    matched_pred_moms = {p for _, p in mom_pairs}

    misses: list[AttributeMiss] = []
    people_ok = pod_ok = pod_total = place_ok = 0
    for g, p in mom_pairs:
        gm, pm = gold.moments[g], happened[p]
        if people_match(gm.people, pm.people):
            people_ok += 1
        else:
            misses.append(AttributeMiss(gm.evidence, "people", _fmt(gm.people), _fmt(pm.people)))
        if gm.part_of_day is not None:
            pod_total += 1
            if pm.part_of_day == gm.part_of_day:
                pod_ok += 1
            else:
                misses.append(
                    AttributeMiss(gm.evidence, "part_of_day", gm.part_of_day, _fmt(pm.part_of_day))
                )
        if place_matches(gm.place, pm.place):
            place_ok += 1
        else:
            misses.append(AttributeMiss(gm.evidence, "place", _fmt(gm.place), _fmt(pm.place)))

    return NoteScore(
        note_id=gold.id,
        activity_tp=len(act_pairs),
        activity_fp=len(prediction.activities) - len(act_pairs),
        activity_fn=len(gold.activities) - len(act_pairs),
        moment_tp=len(mom_pairs),
        moment_fp=len(happened) - len(mom_pairs),
        moment_fn=len(gold.moments) - len(mom_pairs),
        people_correct=people_ok,
        people_total=len(mom_pairs),
        part_of_day_correct=pod_ok,
        part_of_day_total=pod_total,
        place_correct=place_ok,
        place_total=len(mom_pairs),
        missed_activities=tuple(
            a.name for i, a in enumerate(gold.activities) if i not in matched_gold_acts
        ),
        spurious_activities=tuple(
            n for i, n in enumerate(prediction.activities) if i not in matched_pred_acts
        ),
        missed_moments=tuple(
            m.evidence for i, m in enumerate(gold.moments) if i not in matched_gold_moms
        ),
        spurious_moments=tuple(
            m.evidence for i, m in enumerate(happened) if i not in matched_pred_moms
        ),
        attribute_misses=tuple(misses),
        error=prediction.error,
    )


@dataclass(frozen=True, slots=True)
class PRF:
    """Micro-averaged precision, recall and F1 from true/false positive and false negatives."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted and nothing was expected."""
        predicted = self.tp + self.fp
        if predicted == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / predicted

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was expected and nothing was predicted."""
        expected = self.tp + self.fn
        if expected == 0:
            return 1.0 if self.fp == 0 else 0.0
        return self.tp / expected

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Share of correct attribute values among the matched moments that were checked."""

    correct: int
    total: int

    @property
    def value(self) -> float | None:
        """correct / total, or None when nothing was checked."""
        return None if self.total == 0 else self.correct / self.total


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """Totals over a gold set plus every note's score."""

    notes: int
    activities: PRF
    moments: PRF
    people: Accuracy
    part_of_day: Accuracy
    place: Accuracy
    per_note: tuple[NoteScore, ...] = field(default=())
    errors: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready totals (per-note detail excluded)."""

        def prf(value: PRF) -> dict[str, object]:
            return {
                "precision": round(value.precision, 4),
                "recall": round(value.recall, 4),
                "f1": round(value.f1, 4),
                "tp": value.tp,
                "fp": value.fp,
                "fn": value.fn,
            }

        def acc(value: Accuracy) -> dict[str, object]:
            rounded = None if value.value is None else round(value.value, 4)
            return {"accuracy": rounded, "correct": value.correct, "total": value.total}

        return {
            "notes": self.notes,
            "errors": self.errors,
            "activities": prf(self.activities),
            "moments": prf(self.moments),
            "people": acc(self.people),
            "part_of_day": acc(self.part_of_day),
            "place": acc(self.place),
        }


def summarise(scores: Sequence[NoteScore]) -> EvaluationReport:
    """Add up note scores into micro-averaged totals."""
    return EvaluationReport(
        notes=len(scores),
        activities=PRF(
            tp=sum(s.activity_tp for s in scores),
            fp=sum(s.activity_fp for s in scores),
            fn=sum(s.activity_fn for s in scores),
        ),
        moments=PRF(
            tp=sum(s.moment_tp for s in scores),
            fp=sum(s.moment_fp for s in scores),
            fn=sum(s.moment_fn for s in scores),
        ),
        people=Accuracy(
            correct=sum(s.people_correct for s in scores), total=sum(s.people_total for s in scores)
        ),
        part_of_day=Accuracy(
            correct=sum(s.part_of_day_correct for s in scores),
            total=sum(s.part_of_day_total for s in scores),
        ),
        place=Accuracy(
            correct=sum(s.place_correct for s in scores), total=sum(s.place_total for s in scores)
        ),
        per_note=tuple(scores),
        errors=sum(1 for s in scores if s.error is not None),
    )


def evaluate(pairs: Iterable[tuple[GoldNote, Prediction]]) -> EvaluationReport:
    """Score every (gold, prediction) pair and add them up."""
    return summarise([score_note(gold, prediction) for gold, prediction in pairs])
