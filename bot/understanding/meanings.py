"""What a message means, as ranked guesses: the understanding step's output.

Pure values, no behaviour beyond reading them: the flows decide what to do with a guess (take it, ask
"Maksud Anda ...?", or say they did not understand).
"""

from __future__ import annotations

from dataclasses import dataclass

#: A meaning is taken alone when it explains at least one word more than the next one.
MARGIN = 1.0
#: At most this many close meanings are offered as buttons; more than that is not a guess worth asking.
MAX_OFFERED = 3


@dataclass(frozen=True, slots=True)
class Guess:
    code: str
    score: float


@dataclass(frozen=True, slots=True)
class Guesses:
    """Candidates for one kind of meaning, best first (ties in a stable, catalog order)."""

    ranked: tuple[Guess, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.ranked)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.ranked)

    def clear(self) -> str | None:
        """The meaning clearly ahead of every other, or None."""
        if not self.ranked:
            return None
        if len(self.ranked) == 1 or self.ranked[0].score - self.ranked[1].score >= MARGIN:
            return self.ranked[0].code
        return None

    def close(self) -> tuple[str, ...]:
        """The meanings within reach of the best, when there are two or three of them; else ()."""
        if not self.ranked or self.clear() is not None:
            return ()
        top = self.ranked[0].score
        near = tuple(g.code for g in self.ranked if top - g.score < MARGIN)
        return near if 2 <= len(near) <= MAX_OFFERED else ()

    def score_of(self, code: str) -> float:
        return next((g.score for g in self.ranked if g.code == code), 0.0)

    def without(self, *codes: str) -> Guesses:
        return Guesses(tuple(g for g in self.ranked if g.code not in codes))

    def scored(self, code: str, score: float) -> Guesses:
        """The same guesses with `code` at `score` (added if missing), ranked again."""
        ranked = (Guess(code, score), *self.without(code).ranked)
        return Guesses(tuple(sorted(ranked, key=lambda g: -g.score)))


NOTHING = Guesses()


@dataclass(frozen=True, slots=True)
class Danger:
    """Someone seems in danger now: what kind, and who (a child, the writer, at home)."""

    kind: str  # "violence", "sexual", "self_harm", "captive", "threat", "missing", "neglect", "at_risk"
    child: bool = False
    self_: bool = False
    at_home: bool = False
    third_party: bool = False  # told by a neighbour, a friend, an employer: not the writer's own home
    adult: bool = False  # the story says the one hurt is grown up ("dipukul suaminya"), whatever children it names
    by: str | None = None  # who hurts: "partner", "parent", "family", "outsider" (a boss, a stranger), or unknown
    maybe_grown: bool = False  # a child only by a word any age may have ("adik sy"): a grown-up's category fits too
    young_writer: bool = False  # the writer says they are a child ("sy umur 12", "aku kelas 8")


@dataclass(frozen=True, slots=True)
class Meanings:
    """Every meaning found in one message.

    `region` and `kecamatan` rank region codes and areaid kecamatan codes; a kecamatan found also
    ranks its region. `outside` names a place outside Banten the message mentions. `words` counts the
    message's content words (not stopwords), `explained` how many of them some meaning accounts for.
    """

    text: str
    intent: Guesses = NOTHING
    category: Guesses = NOTHING
    topic: Guesses = NOTHING
    region: Guesses = NOTHING
    kecamatan: Guesses = NOTHING
    #: `region` and `kecamatan` without the places where someone works ("sy kerja di pabrik di kec cikande"):
    #: a counseling story's family lives elsewhere as often as not.
    region_off_work: Guesses = NOTHING
    kecamatan_off_work: Guesses = NOTHING
    outside: str = ""
    ticket_code: str | None = None
    danger: Danger | None = None
    words: int = 0
    explained: int = 0
    real_words: int = 0  # words of the language (in the dictionary or the vocabulary), not "qwrty"
    only_courtesy: bool = False  # nothing but greetings, thanks and forms of address
    greeting: bool = False
    thanks: bool = False
    hints: Guesses = NOTHING  # "report" / "counseling": how the story is told, when its content is even
    question: str | None = None  # a question about the service ("cost", "secrecy", ...): catalog `faq.<code>`
    other_question: str | None = None  # a second one as close: "ini resmi? nama pelapor dirahasiain kan"
    # a question mark, a question word opening it ("kok ...", "apakah ..."), "tanya" anywhere, or a closing tag
    # ("..., itu bener ga")
    asks: bool = False
    contact_word: bool = False  # a word of being contacted: "telpon", "hubungi", "chat"
    supposing: bool = False  # a report or counseling named after "kalau": "kalo lapor bisa dicabut lagi ga?"
    correcting: bool = False  # "bukan", "salah", "ganti": says something given is wrong
    handled: bool = False  # "udh ditangani", "udh dijemput petugas": a case said to be taken care of
    about: str | None = None  # whose story: "self" (the writer first) or "family" (one of the writer's own)
    people: int = 0  # how many people besides the writer it names apart ("ibu2 tua ..., anaknya ...": two)

    @property
    def is_story(self) -> bool:
        """Several words of its own: worth keeping as the description of what happened."""
        return self.words >= 4

    @property
    def understood_nothing(self) -> bool:
        return not (
            self.intent
            or self.category
            or self.topic
            or self.region
            or self.kecamatan
            or self.outside
            or self.ticket_code
            or self.danger
            or self.only_courtesy
            or self.question
        )
