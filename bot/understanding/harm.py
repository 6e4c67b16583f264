"""Who is hurt, and by whom, in a story of violence: read from the people named around the violent word.

Indonesian tells it in two shapes. Passive: the one hurt before the verb, the one who hurts after it
("aku dipukulin mama", "tetangga sebelah dipukulin suaminya"); "korban" works the same way ("sy korban
pelecehan"). Active: the one who hurts before, the one hurt after ("bokap gw nyiksa nyokap"). Two
small words then settle most stories:

- "-nya" on a person ("suaminya", "bapaknya") is someone the writer tells about: her husband, his
  father. The one hurt is not the writer, whatever "saya" stands nearby ("sy yakin dipukul suaminya").
- A parent who hurts ("dipukul bapaknya", "aku dipukulin mama") hurts a child; so does anyone who hurts
  a writer of school age ("aku kelas 2 smp, aku dilecehin ...").

The routing follows from it (bot/flows/menu_text.py): a child hurt is a report of a child victim, an
adult hurt at home by family is domestic violence, an adult hurt by a boss or a stranger is a report of
a victim of violence. When the words do not say, `Harm` says nothing and the caller keeps its rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.understanding.patterns import Part, Phrase
from bot.understanding.words import Word

#: The classes of people, in the order a word is tried ("ibu" is a parent before a person).
ROLES = ("partner", "parent", "child", "family", "outsider", "person")
#: How far from the violent word the one hurt, or the one who hurts, may be named.
_BEFORE = 5
_AFTER = 4
_PASSIVE_PREFIXES = ("di", "ke", "ter")
_OWNED_BY_WRITER = ("ku",)  # "ayahku"
_OWNED_BY_OTHER = ("nya",)  # "suaminya"


@dataclass(frozen=True, slots=True)
class Person:
    """A person named in the story: their role, and whose they are ("suami sy": the writer's)."""

    role: str  # one of ROLES, or "writer"
    at: int
    width: int = 1
    of_writer: bool = False
    of_other: bool = False


@dataclass(frozen=True, slots=True)
class Harm:
    """The one hurt and the one who hurts; None where the words do not say.

    The one hurt: "writer", "child", "family" (the writer's grown-up relative), "home" (someone of the
    writer's household: "bapak sy ngamuk bawa parang" names who threatens, not whom), "other".
    The one who hurts: "partner", "parent", "family", "outsider", "writer" ("sy sampe mukul dia").
    """

    victim: str | None = None
    by: str | None = None

    @property
    def at_home(self) -> bool:
        return self.by in ("partner", "parent", "family")


class HarmReader:
    """Finds the people around violent words. `roles` maps each of ROLES to its vocabulary `Part`."""

    def __init__(self, roles: Mapping[str, Part], *, first_person: frozenset[str], pronouns: Part,
                 school_age: Part, age_words: frozenset[str], victim_marks: frozenset[str]) -> None:
        self._roles = roles
        self._first_person = first_person
        self._pronouns = pronouns  # "dia": the person named before it
        self._school_age = school_age  # "kelas 2 smp", "di bawah umur"
        self._age_words = age_words  # "umur", "usia": a number after it under 18 is a child's age
        self._victim_marks = victim_marks  # "korban": the one hurt is named before it

    def read(self, words: Sequence[Word], violent: Sequence[int]) -> Harm:
        """The first violent word whose story names someone decides; else nothing is known."""
        people = self._people(words)
        young = self._young(words)
        for at in sorted(violent):
            harm = self._around(words, people, at, young)
            if harm.victim is not None or harm.by is not None:
                return harm
        return Harm()

    def _around(self, words: Sequence[Word], people: Sequence[Person], at: int, young: bool) -> Harm:
        clause = _clause_of(words, at)
        marked = at > 0 and words[at - 1].key in self._victim_marks
        passive = marked or _is_passive(words[at])
        verb = at - 1 if marked else at
        before = [p for p in people if verb - _BEFORE <= p.at < verb and p.at >= clause.start]
        after = [p for p in people if at < p.at <= at + _AFTER and p.at < clause.stop]
        hurt, hurts = (before[-1:], after[:1]) if passive else (after[:1], before[-1:])
        victim = hurt[0] if hurt else None
        agent = hurts[0] if hurts else None
        if marked and agent is None:  # "sy korban pelecehan di tempat kerja, atasan sy"
            agent = next((p for p in people if p.at > at and p.role in _HURTERS), None)
        return Harm(_victim(victim, agent, young), _agent_role(agent))

    def _young(self, words: Sequence[Word]) -> bool:
        """A child's age or school is stated: "kelas 2 smp", "di bawah umur", "umurnya baru 15", "aku 14 thn"."""
        for i, word in enumerate(words):
            if _width_at(self._school_age, words, i):
                return True
            follows_age = word.key in self._age_words or (word.key in self._first_person and i + 2 < len(words)
                                                          and _is_year(words[i + 2]))
            if follows_age and any(_minor(w) for w in words[i + 1:i + 3]):
                return True
        return False

    def _people(self, words: Sequence[Word]) -> list[Person]:
        """Every person named, longest phrase first.

        "saya" after a person is theirs ("suami saya"); a person word after another describes it
        ("adik perempuan saya" is the sister); "dia" is the person named before it.
        """
        found: list[Person] = []
        i = 0
        while i < len(words):
            person = self._person_at(words, i, found)
            if person is None:
                i += 1
                continue
            end = i + person.width
            while person.role not in ("person", "writer") and end < len(words):
                described = self._person_at(words, end, found)
                if described is None or described.role != "person":
                    break
                person = replace(person, width=person.width + described.width)
                end = i + person.width
            if end < len(words) and words[end].key in self._first_person and not words[end].starts_clause:
                person = replace(person, width=person.width + 1, of_writer=True)
            found.append(person)
            i += person.width
        return found

    def _person_at(self, words: Sequence[Word], i: int, named: Sequence[Person]) -> Person | None:
        """The longest person phrase starting at `i` ("ibu ibu" is a person, "ibu" a parent)."""
        if words[i].key in self._first_person:
            return Person("writer", i)
        if _width_at(self._pronouns, words, i):
            earlier = next((p for p in reversed(named) if p.role != "writer"), None)
            return None if earlier is None else replace(earlier, at=i, width=1)
        width, role = max(((_width_at(self._roles[r], words, i), -n) for n, r in enumerate(ROLES)), default=(0, 0))
        if not width:
            return None
        last = words[i + width - 1]
        owned = last.surface != last.key
        return Person(ROLES[-role], i, width, of_writer=owned and last.surface.endswith(_OWNED_BY_WRITER),
                      of_other=owned and last.surface.endswith(_OWNED_BY_OTHER))


def _victim(victim: Person | None, agent: Person | None, young: bool) -> str | None:
    """Who is hurt, from the person named as hurt and the one named as hurting."""
    if agent is not None and agent.of_other and (victim is None or victim.role == "writer"):
        # "dipukul bapaknya": someone's child; "dipukul suaminya": someone's wife, not the writer
        return "child" if agent.role == "parent" or young else "other"
    if victim is None:
        if agent is not None and agent.of_writer and agent.role in _HOUSEHOLD:
            return "child" if agent.role == "parent" and young else "home"  # "bapak sy ngamuk bawa parang"
        return None
    if victim.role == "writer":
        return "child" if young or (agent is not None and agent.role == "parent") else "writer"
    if victim.role == "child":
        return "child"
    if victim.role in _HOUSEHOLD and (victim.of_writer or (agent is not None and agent.of_writer)):
        return "family"  # "bapak sy sering mukul ibu"
    return "child" if young else "other"


_HOUSEHOLD = ("partner", "parent", "family")
_HURTERS = (*_HOUSEHOLD, "outsider")


def _agent_role(agent: Person | None) -> str | None:
    if agent is None or agent.role == "child":
        return None
    return "outsider" if agent.role == "person" else agent.role


_YEAR_WORDS = ("tahun", "thn", "th", "taun", "years", "year")


def _minor(word: Word) -> bool:
    return word.surface.isdigit() and len(word.surface) <= 2 and int(word.surface) < 18


def _is_year(word: Word) -> bool:
    return word.surface in _YEAR_WORDS


def _is_passive(word: Word) -> bool:
    return word.surface != word.key and word.surface.startswith(_PASSIVE_PREFIXES)


def _clause_of(words: Sequence[Word], at: int) -> range:
    start = next((i for i in range(at, 0, -1) if words[i].starts_clause), 0)
    stop = next((i for i in range(at + 1, len(words)) if words[i].starts_clause), len(words))
    return range(start, stop)


def _width_at(part: Part, words: Sequence[Word], i: int) -> int:
    """How many words from `i` the longest of the part's phrases covers (0: none starts there)."""
    word = words[i]
    best = 0
    for key in (f"k:{word.key}", f"s:{word.surface}"):
        for phrase in part.by_first.get(key, ()):
            if len(phrase) > best and _matches(phrase, words, i):
                best = len(phrase)
    return best


def _matches(phrase: Phrase, words: Sequence[Word], i: int) -> bool:
    return i + len(phrase) <= len(words) and all(t.matches(words[i + n]) for n, t in enumerate(phrase))
