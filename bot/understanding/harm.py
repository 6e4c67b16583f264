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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.understanding.patterns import Part, Phrase
from bot.understanding.words import Word

#: "anak": a son or daughter ("anak sy", "anaknya"), of any age; not "cucunya", "adiknya".
OFFSPRING = "anak"
#: The classes of people, in the order a word is tried ("ibu" is a parent before a person).
ROLES = ("partner", "parent", "child", "family", "outsider", "person")
#: How far from the violent word the one hurt, or the one who hurts, may be named.
_BEFORE = 5
_AFTER = 4
_PASSIVE_PREFIXES = ("di", "ke", "ter")
_VERB_PREFIXES = ("me", "ny", "ng")  # active verbs: "mencuri", "nyolong" (as "mencuri"), "ngerampok"
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
    pronoun: bool = False  # "dia": the person named before it, said again


@dataclass(frozen=True, slots=True)
class Harm:
    """The one hurt and the one who hurts; None where the words do not say.

    The one hurt: "writer", "child", "family" (the writer's grown-up relative), "home" (someone of the
    writer's household: "bapak sy ngamuk bawa parang" names who threatens, not whom), "other".
    The one who hurts: "partner", "parent", "family", "outsider", "writer" ("sy sampe mukul dia").
    """

    victim: str | None = None
    by: str | None = None
    #: The one hurt is a child only by a word any age may have ("adik sy dikeroyok preman": a younger
    #: sibling, who may be 30), and no age or school says which.
    maybe_grown: bool = False

    @property
    def at_home(self) -> bool:
        return self.by in ("partner", "parent", "family")


class HarmReader:
    """Finds the people around violent words. `roles` maps each of ROLES to its vocabulary `Part`."""

    def __init__(
        self,
        roles: Mapping[str, Part],
        *,
        first_person: frozenset[str],
        pronouns: Part,
        school_age: Part,
        age_words: frozenset[str],
        victim_marks: frozenset[str],
        passive_marks: frozenset[str],
        agent_marks: frozenset[str],
        target_marks: frozenset[str],
        same_subject: frozenset[str],
        places: frozenset[str],
        asking: frozenset[str],
        saying: frozenset[str],
        siblings: frozenset[str],
        school_staff: frozenset[str],
        denials: frozenset[str],
    ) -> None:
        self._roles = roles
        self._first_person = first_person
        self._pronouns = pronouns  # "dia": the person named before it
        self._school_age = school_age  # "kelas 2 smp", "di bawah umur"
        self._age_words = age_words  # "umur", "usia": a number after it under 18 is a child's age
        self._victim_marks = victim_marks  # "korban": the one hurt is named before it
        self._passive_marks = passive_marks  # "kena pukul", "gets beaten": done to the one named before
        self._agent_marks = agent_marks  # "beaten by": the one who hurts follows
        self._target_marks = target_marks  # "marah sama anak sampe mukul": the child is hit, not hitting
        self._same_subject = same_subject  # "sudah", "pernah": a clause opening so goes on about the one before
        self._places = places  # "kampung", "rumah": a "saya" after them owns them
        self._asking = asking  # "mau", "lapor": a "saya" before them asks for the service, the story is next
        self._saying = saying  # "bilang", "ngomong": what follows are someone's words
        self._siblings = siblings  # "adik", "kakak", "sulung": children of one family
        self._school_staff = school_staff  # "guru", "ustadzah": "sy guru sd" works at the school
        self._denials = denials  # "bukan": "bukan sy, kakak sy yg dipukulin": the writer is not the one
        self._people_of = lru_cache(maxsize=_PEOPLE_CACHE)(self._find_people)

    def read(self, words: Sequence[Word], violent: Sequence[int]) -> Harm:
        """The first violent word whose story names the one hurt decides, or any that names a child hurt.

        When none does, the one who hurts is still known, and a child the story names is the one hurt
        ("sy mau lapor anak sd umur 11 ... kalo ga abis dipukul pake hanger"), unless the child hurts.
        """
        people = self._people(words)
        age = self._age(words)
        named = {i for p in people for i in range(p.at, p.at + p.width)}  # "bocah" in "bocah ditinggal" is no verb
        around = [self._around(words, people, at, age) for at in sorted(violent) if at not in named]
        # "bapak aku suka mukul ibu sm aku ..., semalam aku dipukul" (a pupil writes): a child hurt anywhere
        # in the story is the one the request is for, whoever else is hurt first
        said = [harm for harm, _ in around if harm.victim is not None]
        if said:
            return next((harm for harm in said if harm.victim == "child"), said[0])
        by = next((harm.by for harm, _ in around if harm.by is not None), None)
        hurting = {agent.at for _, agent in around if agent is not None}
        child = next((p for p in people if p.role == "child" and p.at not in hurting), None)
        if child is not None and violent and self._with_the_writer(words, people, child) is not None:
            return Harm("writer", by)
        hurt = child is not None and violent and _told_with(words, child.at, violent)
        return Harm("child" if hurt else None, by)

    def _with_the_writer(self, words: Sequence[Word], people: Sequence[Person], child: Person) -> Person | None:
        """The writer, when a child is named as being with them: "suami lg ngamuk ..., sy sm anak2 ngumpet di
        kamar" tells of the writer in danger, with the children."""
        if child.role != "child" or child.at < 2 or words[child.at - 1].surface not in self._target_marks:
            return None
        return next((p for p in people if p.role == "writer" and p.at == child.at - 2), None)

    def among_children(self, words: Sequence[Word], violent: Sequence[int]) -> bool:
        """Children hurting each other: "anak sulung suka mukul adiknya", "kakak adik berantem sampe pukul2an".

        A parent's worry to counsel, not a child hurt by a grown-up: every person named near the violent
        word is a child or a sibling, one of them a sibling, and no grown-up is among them.
        """
        people = [p for p in self._people(words) if p.role != "writer" and not p.pronoun]
        for at in violent:
            near = [p for p in people if at - _SIBLINGS_BEFORE <= p.at <= at + _AFTER]
            siblings = [
                p
                for p in near
                if p.role in ("child", "family")
                and (words[p.at].key in self._siblings or words[p.at + p.width - 1].key in self._siblings)
            ]
            if siblings and len(near) >= 2 and all(p.role == "child" or p in siblings for p in near):
                return True
        return False

    def own_child_does_it(self, words: Sequence[Word], acts: Sequence[int]) -> bool:
        """The writer's own child strikes, at no grown-up ("anak sy yg balita suka mukul kalo ga diturutin",
        "anak sy kalah main bola ngamuk dan mukul temennya"): a parent's worry to counsel, no child hurt.
        Not "anak sy (19) pukul sy" (the writer is hurt) nor "anak sy dipukul gurunya" (the child is)."""
        people = self._people(words)
        if not acts or any(
            _is_passive(words[at]) or (at > 0 and words[at - 1].surface in self._passive_marks) for at in acts
        ):
            return False
        for at in acts:
            clause = _clause_of(words, at)
            before = [p for p in people if clause.start <= p.at < at]
            after = [p for p in people if at < p.at < clause.stop]
            own = any(p.of_writer and words[p.at].key == OFFSPRING for p in before)
            if not own or not all(p.role == "child" for p in (*before, *after)):
                return False
        return True

    def told_about(self, words: Sequence[Word]) -> str | None:
        """Whose story it is: "self" when the writer comes first ("pak, sy ngerasa cemas terus"),
        "family" when one of the writer's own does ("kakak sy ditendang suaminya"); else None."""
        people = [
            p
            for p in self._people(words)
            if not (p.role == "writer" and (self._asks(words, p.at) or self._denied(words, p.at)))
        ]
        for i, person in enumerate(people):
            if person.role == "writer":
                return "self"
            if person.role == "partner" and not (person.of_writer or person.of_other or person.pronoun):
                return "self"  # "suami udh 2 thn gk nafkahin": a husband with no one's name is the writer's
            if person.of_writer and person.role in (*_HOUSEHOLD, "child"):
                later = people[i + 1 :]
                if (
                    person.role == "partner"
                    and any(p.role == "writer" for p in later)
                    and not any(p.pronoun for p in later)
                ):
                    # "suami sy mau nikah lagi diem2, sy harus gmn": the writer's own marriage; but "istri sy
                    # keguguran, sejak itu dia ga mau ngomong, sy bingung": the wife, said again, is the one
                    return "self"
                return "family"
        return None

    def _denied(self, words: Sequence[Word], at: int) -> bool:
        """ "bukan sy, kakak sy yg ...": the writer named only to say the story is not theirs."""
        return at > 0 and words[at - 1].key in self._denials

    def only_one_of_writers(self, words: Sequence[Word]) -> str | None:
        """The writer's own the whole story is about, when the writer never acts in it: "child" or "family".

        "istri sy depresi abis melahirkan, ngurung diri di kamar, bilang pengen mati": the wife wants to die.
        """
        people = self._people(words)
        if not people or any(p.role == "writer" for p in people):
            return None
        first = people[0]
        if not (first.of_writer and first.role in (*_HOUSEHOLD, "child")):
            return None
        return _victim(first, None, self._age(words))

    def speaker_of(self, words: Sequence[Word], said: Iterable[int]) -> str | None:
        """Who said the words at `said`, when a word of saying comes just before them and someone other than
        the writer was named before it: "ibu sy ... ngomong kalo pengen nyusul bapak. sy takut" is the mother."""
        people = self._people(words)
        writers = {p.at for p in people if p.role == "writer"}
        spoken = [
            i
            for i in said
            for j in range(max(0, i - 3), i)
            if words[j].key in self._saying
            and not _is_passive(words[j])  # "dibilang anak bodoh": said to
            and not writers.intersection(range(j, i))
        ]  # "..., aku sering nyilet": the writer does it
        if not spoken:
            return None
        at = min(spoken)
        before = [p for p in people if p.at < at and p.role != "writer"]
        return _victim(before[0], None, self._age(words)) if before else None

    def names_outsider(self, words: Sequence[Word]) -> bool:
        """Someone from outside the home is in the story: a boss, a debt collector, a stranger."""
        return any(p.role == "outsider" for p in self._people(words))

    def subjects_named(self, words: Sequence[Word]) -> tuple[range, ...]:
        """Where each person other than the writer is named who may be what a clause is about: not "dia"
        (one named before, said again), the agent of a passive verb ("disuruh bapaknya ngemis": the child
        begs) nor the owner of a place ("sekolah anak sy")."""
        return tuple(
            range(p.at, p.at + p.width)
            for p in self._people(words)
            if p.role != "writer"
            and not p.pronoun
            and (p.at == 0 or not (_is_passive(words[p.at - 1]) or words[p.at - 1].key in self._places))
        )

    def apart(self, words: Sequence[Word], people: Sequence[range]) -> int:
        """How many of `people` are named with other words between them: "anak balita" is one, "nenek ...,
        anaknya" two. A word that names a person only by its stem is a verb ("nyuri", "pacaran"), and an
        age ("umur 14") says how old the one before it is."""
        nouns = [
            p
            for p in people
            if words[p.start].key not in self._age_words
            and words[p.stop - 1].surface.removesuffix("nya").removesuffix("2") == words[p.stop - 1].key
        ]
        return sum(1 for n, p in enumerate(nouns) if n == 0 or nouns[n - 1].stop < p.start)

    def writer_named(self, words: Sequence[Word]) -> tuple[range, ...]:
        """Where the writer names themselves ("sy", "aku"), not as the owner of someone ("suami sy")."""
        return tuple(range(p.at, p.at + p.width) for p in self._people(words) if p.role == "writer")

    def person_positions(self, words: Sequence[Word]) -> frozenset[int]:
        """Where the story names a person ("pamannya" in "pamannya sendiri")."""
        return frozenset(i for p in self._people(words) for i in range(p.at, p.at + p.width))

    def _asks(self, words: Sequence[Word], at: int) -> bool:
        """ "saya mau konseling", "sy lapor": the writer asking for the service, not the one the story is about."""
        return at + 1 < len(words) and words[at + 1].key in self._asking

    def subject_before(self, words: Sequence[Word], at: int) -> str | None:
        """The role of the nearest person named before `at` in its clause ("istri sy kabur dari rumah")."""
        person = self._subject(words, at)
        return None if person is None else person.role

    def writers_own_before(self, words: Sequence[Word], at: int) -> bool:
        """The nearest person named before `at` in its clause is one of the writer's own ("adek sy ...")."""
        person = self._subject(words, at)
        return person is not None and person.of_writer and person.role in (*_HOUSEHOLD, "child")

    def writer_before(self, words: Sequence[Word], at: int) -> bool:
        """The nearest person named before `at` in its clause is the writer: "..., sy capek bgt pengen mati"."""
        person = self._subject(words, at)
        return person is not None and person.role == "writer"

    def someone_else_before(self, words: Sequence[Word], at: int) -> bool:
        """The nearest person named before `at` in its clause is someone the writer only knows: "ada cowok mau
        loncat", or someone's own ("ada keluarga ..., ibunya depresi, pernah mau bunuh diri")."""
        person = self._subject(words, at)
        return person is not None and (person.role in ("person", "outsider") or person.of_other)

    def _subject(self, words: Sequence[Word], at: int) -> Person | None:
        """The nearest person named before `at` in its clause; in the clause before when this one names no one
        and opens with a word that goes on about them ("ibunya depresi, pernah mau bunuh diri")."""
        clause = _clause_of(words, at)
        people = self._people(words)
        person = next((p for p in reversed(people) if clause.start <= p.at < at), None)
        if person is None and clause.start > 0 and words[clause.start].surface in self._same_subject:
            before = _clause_of(words, clause.start - 1)
            person = next((p for p in reversed(people) if before.start <= p.at < before.stop), None)
        return person

    def said_by(self, words: Sequence[Word], at: int) -> str | None:
        """Who the words at `at` are about, when it is not the writer: "dia" after the writer's last "saya"
        ("konseling buat adik sy, dia baru cerai, ... kadang bilang mending mati aja"). Indonesian drops
        the subject, so a clause without one belongs to the last that had one."""
        before = [p for p in self._people(words) if p.at < at and (p.role == "writer" or p.pronoun)]
        if not before or before[-1].role == "writer":
            return None
        return _victim(before[-1], None, self._age(words))

    def _around(
        self, words: Sequence[Word], people: Sequence[Person], at: int, age: str | None
    ) -> tuple[Harm, Person | None]:
        clause = _clause_of(words, at)
        marked = at > 0 and words[at - 1].key in self._victim_marks
        passive = (
            marked
            or _is_passive(words[at])
            or (at > 0 and words[at - 1].surface in self._passive_marks)
            or (at + 1 < len(words) and words[at + 1].surface in self._agent_marks)
        )  # "gets beaten by", "kena pukul"
        verb = at - 1 if marked else at
        before = [p for p in people if verb - _BEFORE <= p.at < verb and p.at >= clause.start]
        # "sy mau lapor pelecehan, ...": the writer asks for the service; what follows is reported, not done
        asking = [p for p in before if p.role == "writer" and self._asks(words, p.at)]
        before = [p for p in before if p not in asking]
        after = [p for p in people if at < p.at <= at + _AFTER and p.at < clause.stop]
        if passive:  # "... dipukulin, saya kasihan": the writer after a passive verb hurts only "oleh saya"
            after = [p for p in after if p.role != "writer" or words[p.at - 1].surface in self._agent_marks]
        if passive and not before:  # "ibu sy yg di depok ini sering dipukul bapak tiri": the clause's subject
            before = [p for p in people if clause.start <= p.at < verb][-1:]
        hurt, hurts = (before[-1:], after[:1]) if passive else (after[:1], before[-1:])
        if not passive and not hurt and hurts and self._a_target(words, people, hurts[0]):
            # "sy sering marah2 sm anak sy sampe mukul": the child, by the one before it in the clause (the writer)
            hurt, hurts = hurts, [p for p in people if clause.start <= p.at < hurts[0].at][-1:]
        victim = hurt[0] if hurt else None
        if victim is not None:
            victim = self._with_the_writer(words, people, victim) or victim
        agent = hurts[0] if hurts else None
        if victim is not None and victim.pronoun and not passive and agent is not None and not agent.pronoun:
            # "nenek2 di rumah sebelah, anak sm mantunya suka ... mukul dia": not the one hitting, but the one the
            # story named before this clause
            earlier = [p for p in people if p.at < clause.start and p.role != "writer" and not p.pronoun]
            victim = earlier[-1] if earlier else victim
        if (marked or asking) and agent is None:  # "sy korban pelecehan di tempat kerja, atasan sy"
            agent = next((p for p in people if p.at > at and p.role in _HURTERS), None)
        hurt_is = _victim(victim, agent, age)
        sibling = victim is not None and victim.role == "child" and words[victim.at].key in self._siblings
        maybe_grown = hurt_is == "child" and sibling and age is None and (agent is None or agent.role != "parent")
        return Harm(hurt_is, _agent_role(agent), maybe_grown), agent

    def _a_target(self, words: Sequence[Word], people: Sequence[Person], person: Person) -> bool:
        """Named after "sama" that follows a verb ("marah2 sama anak sy"), not one joining two people ("sy sama
        anak ngunci di kamar": the writer and the child)."""
        mark = person.at - 1
        return mark > 0 and words[mark].surface in self._target_marks and all(p.at + p.width != mark for p in people)

    def years(self, words: Sequence[Word]) -> int | None:
        """The age the story states of someone first: "umur 3", "anaknya yg masih 2 thn", "anak 7 tahun"
        (not "udh 5 thn", a time)."""
        return next(self.every_age(words), None)

    def only_grown_ups(self, words: Sequence[Word], ages: Sequence[int]) -> bool:
        """Every age the story states (`ages`, from `every_age`) is a grown-up's, and no school is named
        ("anak smp ... om2 umur 40an" names a child, whatever the man's age)."""
        return (
            bool(ages)
            and min(ages) >= _GROWN_UP
            and not any(_width_at(self._school_age, words, i) for i in range(len(words)))
        )

    def every_age(self, words: Sequence[Word]) -> Iterator[int]:
        """Every age the story states, in order ("ibu 40 tahun ... anaknya 3 tahun": 40, then 3)."""
        for i, word in enumerate(words):
            if i == 0 or not (word.surface.isdigit() and len(word.surface) <= 2):
                continue
            before = words[i - 1]
            said_at = i - 1
            while said_at > 0 and words[said_at].surface in _ABOUT:  # "umurnya kira2 80"
                said_at -= 1
            if before.key in self._age_words or words[said_at].key in self._age_words:
                yield int(word.surface)
                continue
            # "anak 7 tahun", "anak kecil 3 taunan", "anak kecil kira2 3 taun": right after the person it is said
            # of (not "keluarganya udh 2 taun", a time)
            near = i - 1
            while near > 0 and words[near].surface in _APPROXIMATELY:
                near -= 1
            told = words[near].surface in _STILL or any(p.at + p.width == near + 1 for p in self._people(words))
            if told and i + 1 < len(words) and _is_year(words[i + 1]):
                yield int(word.surface)

    def writer_is_young(self, words: Sequence[Word]) -> bool:
        """The writer says they are a child: "sy umur 12", "aku 14 thn", "sy kelas 8", "aku anak smp" (not "anak sy
        4 th": the "sy" of someone the writer names)."""
        owned = {p.at + p.width - 1 for p in self._people(words) if p.of_writer}
        for i, word in enumerate(words):
            if word.key not in self._first_person or i in owned:
                continue
            near = range(i + 1, min(i + 4, len(words)))
            school = next((j for j in near if _width_at(self._school_age, words, j)), None)
            if school is not None and not any(words[k].key in self._school_staff for k in range(i + 1, school)):
                return True
            ages = [int(words[j].surface) for j in near if words[j].surface.isdigit() and len(words[j].surface) <= 2]
            said_as_age = any(words[j].key in self._age_words or _is_year(words[j]) for j in near)
            if ages and said_as_age and ages[0] < _GROWN_UP:
                return True
        return False

    def _age(self, words: Sequence[Word]) -> str | None:
        """ "young" when a child's age or school is stated ("kelas 2 smp", "di bawah umur", "umurnya baru
        15", "aku 14 thn"), "grown" for a grown-up's age ("sy cowo umur 22"), else None."""
        stated = self.years(words)  # "anak tetangga 19thn", "anaknya umur 7"
        if stated is not None and not any(_width_at(self._school_age, words, i) for i in range(len(words))):
            return "young" if stated < _GROWN_UP else "grown"
        for i, word in enumerate(words):
            if _width_at(self._school_age, words, i):
                return "young"
            follows_age = word.key in self._age_words or (
                word.key in self._first_person and i + 2 < len(words) and _is_year(words[i + 2])
            )
            ages = [int(w.surface) for w in words[i + 1 : i + 3] if w.surface.isdigit() and len(w.surface) <= 2]
            if follows_age and ages:
                return "young" if ages[0] < _GROWN_UP else "grown"
        return None

    def _people(self, words: Sequence[Word]) -> tuple[Person, ...]:
        """Every person named; found once per message, however many questions a reading asks of them."""
        return self._people_of(tuple(words))

    def _find_people(self, words: tuple[Word, ...]) -> tuple[Person, ...]:
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
        return tuple(found)

    def _person_at(self, words: Sequence[Word], i: int, named: Sequence[Person]) -> Person | None:
        """The longest person phrase starting at `i` ("ibu ibu" is a person, "ibu" a parent)."""
        if words[i].key in self._first_person:
            # "di kampung sy suka ngamuk": the village's, not the writer doing it
            return None if i > 0 and words[i - 1].key in self._places else Person("writer", i)
        if _width_at(self._pronouns, words, i):
            earlier = next((p for p in reversed(named) if p.role != "writer"), None)
            return None if earlier is None else replace(earlier, at=i, width=1, pronoun=True)
        width, role = max(((_width_at(self._roles[r], words, i), -n) for n, r in enumerate(ROLES)), default=(0, 0))
        if not width:
            return None
        last = words[i + width - 1]
        bare = last.surface.removesuffix("nya").removesuffix("ku")  # "menantunya" is the son-in-law
        if width == 1 and bare != last.key and bare.startswith(_VERB_PREFIXES):
            return None  # "bocah nyolong hp" (mencuri): a thief's stem, said as a verb, names no one
        owned = last.surface != last.key
        return Person(
            ROLES[-role],
            i,
            width,
            of_writer=owned and last.surface.endswith(_OWNED_BY_WRITER),
            of_other=owned and last.surface.endswith(_OWNED_BY_OTHER),
        )


def _victim(victim: Person | None, agent: Person | None, age: str | None) -> str | None:
    """Who is hurt, from the person named as hurt and the one named as hurting."""
    young = age == "young"
    if agent is not None and agent.of_other and agent.role == "partner" and victim is not None and not young:
        # "adik sy dipukulin suaminya": whoever has a husband is grown up (unless an age says otherwise)
        return "family" if victim.of_writer and victim.role in (*_HOUSEHOLD, "child") else "other"
    if agent is not None and agent.of_other and (victim is None or victim.role == "writer"):
        # "dipukul bapaknya": someone's child; "dipukul suaminya": someone's wife, not the writer
        return "child" if agent.role == "parent" or young else "other"
    if victim is None:
        if agent is not None and agent.of_writer and agent.role in _HOUSEHOLD:
            return "child" if agent.role == "parent" and young else "home"  # "bapak sy ngamuk bawa parang"
        return None
    if victim.role == "writer":  # "aku dipukulin mama": a child, unless an age says otherwise ("sy cowo umur 22")
        return "child" if young or (agent is not None and agent.role == "parent" and age != "grown") else "writer"
    if agent is not None and agent.of_other and agent.role == "parent" and victim.role == "person" and age != "grown":
        return "child"  # "temen sy yg dipukulin bapaknya": someone beaten by their own father is a child
    if victim.role == "child":  # "anak sy umur 20 diculik": a son, grown up
        return ("family" if victim.of_writer else "other") if age == "grown" else "child"
    if victim.role in _HOUSEHOLD and (victim.of_writer or (agent is not None and agent.of_writer)):
        return "family"  # "bapak sy sering mukul ibu"
    return "child" if young else "other"


_HOUSEHOLD = ("partner", "parent", "family")
#: How far before a violent word children fighting may be named ("kakak adik berantem terus, sampe pukul2an").
_SIBLINGS_BEFORE = 8
_HURTERS = (*_HOUSEHOLD, "outsider")


def _agent_role(agent: Person | None) -> str | None:
    if agent is None or agent.role == "child":
        return None
    return "outsider" if agent.role == "person" else agent.role


_YEAR_WORDS = ("tahun", "thn", "th", "taun", "years", "year", "taunan", "tahunan", "thnan")
_APPROXIMATELY = ("kira", "sekitar", "kurang", "hampir", "lebih")  # "anak kecil kira2 3 taun"
_ABOUT = (*_APPROXIMATELY, "udah", "sudah")  # "umurnya kira2 80", "umurnya udah 80": still an age


_GROWN_UP = 18
#: Messages whose people are kept: one reading asks about them several times (whose story, who said it, ...).
_PEOPLE_CACHE = 64
_STILL = ("masih", "baru")  # "yg masih 2 thn": an age


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


def _told_with(words: Sequence[Word], at: int, violent: Sequence[int]) -> bool:
    """A person named before a violent word, or after it in its clause: "..., tp gak berani pergi krn anak" names
    the children as a reason in a later clause, not as the ones hurt."""
    return any(at < v or at in _clause_of(words, v) for v in violent)
