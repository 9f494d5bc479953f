"""The shipped activity lexicon: canonical activities with their aliases and verb forms.

The file is `robonotes/data/activities.json`, read through importlib.resources so it works from a
wheel or a zip. Its format (version 1):

    {"format_version": 1,
     "activities": [
       {"name": "running",            canonical name: lowercase, a gerund for verbs, else the noun
        "category": "fitness",        a coarse group: fitness, sport, outdoors, household, ...
        "aliases": ["jogging"],       other names of the same activity (nouns, noun phrases)
        "verbs": ["run", "go for a run"],      verb lemmas and verb phrases, in the base form
        "phrases": ["5k", "half marathon"],    other trigger forms (objects, jargon, slang)
        "exclude": ["run into", "run out"]}    phrases in which a trigger does NOT mean the activity
     ]}

Every name, alias, verb and phrase names exactly one activity (the lexicon tests check this), so
`Lexicon.find(form)` can normalise any of them to the canonical name. Matching is token by token on
lowercase forms and lemmas: "ran" matches the verb "run", "went for a quick run" matches "go for a
run" (a multi-word pattern may skip up to two words between its tokens).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

LEXICON_PACKAGE = "robonotes.data"
LEXICON_FILE = "activities.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class LexiconActivity:
    """One canonical activity and every form that names or triggers it."""

    name: str
    category: str
    aliases: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The name first, then aliases, verbs and phrases: everything that triggers it."""
        return (self.name, *self.aliases, *self.verbs, *self.phrases)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All activities, in file order, with a lookup from any lowercase form to its activity."""

    activities: tuple[LexiconActivity, ...]
    _by_form: dict[str, LexiconActivity] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for activity in self.activities:
            for form in activity.forms:
                self._by_form.setdefault(_key(form), activity)

    def find(self, form: str) -> LexiconActivity | None:
        """The activity a name, alias, verb or phrase belongs to, or None."""
        return self._by_form.get(_key(form))

    def get(self, name: str) -> LexiconActivity:
        """The activity with this canonical name; KeyError when there is none."""
        activity = self.find(name)
        if activity is None or activity.name != _key(name):
            raise KeyError(name)
        return activity

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical names in file order."""
        return tuple(a.name for a in self.activities)


def _key(form: str) -> str:
    return " ".join(form.lower().split())


def parse_lexicon(raw: str) -> Lexicon:
    """Build a Lexicon from the JSON text; ValueError when the format is not version 1."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"activity lexicon must have format_version {FORMAT_VERSION}")
    items = data.get("activities")
    if not isinstance(items, list):
        raise ValueError("activity lexicon needs an 'activities' list")
    activities = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError(f"activity lexicon entry without a name: {item!r}")
        activities.append(
            LexiconActivity(
                name=_key(item["name"]),
                category=str(item.get("category") or "other"),
                aliases=_strings(item, "aliases"),
                verbs=_strings(item, "verbs"),
                phrases=_strings(item, "phrases"),
                exclude=_strings(item, "exclude"),
            )
        )
    return Lexicon(activities=tuple(activities))


def _strings(item: dict[str, object], key: str) -> tuple[str, ...]:
    values = item.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"activity {item.get('name')!r}: {key} must be a list of strings")
    return tuple(_key(v) for v in values if v.strip())


@cache
def load_lexicon() -> Lexicon:
    """The shipped lexicon, read once per process from package data."""
    raw = resources.files(LEXICON_PACKAGE).joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    return parse_lexicon(raw)
