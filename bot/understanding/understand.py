"""The understanding step: free text to ranked meanings, from the catalogs' vocabulary. Pure, no I/O.

Built once per process (`load_understanding`); `read(text)` takes well under a millisecond for an
everyday message once its words have been seen (bench/understanding.py). How a meaning wins is in
bot/understanding/patterns.py: the one that explains more of the message's words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.domain.regions import RegionCatalog, places_elsewhere
from bot.domain.tickets import parse_ticket_code
from bot.i18n import Catalog
from bot.understanding.harm import OFFSPRING, ROLES, HarmReader
from bot.understanding.meanings import MAX_OFFERED, NOTHING, Danger, Guess, Guesses, Meanings
from bot.understanding.patterns import PART_CAP, Message, Pattern, PatternCompiler, explained, first_keys
from bot.understanding.places import PlaceFinder, PlaceVocabulary
from bot.understanding.words import Word, WordShaper

#: Families whose patterns count only content words (not stopwords) as evidence.
CONTENT_FAMILIES = ("category", "topic", "danger")
#: "saya" this many words or fewer from a violent word makes the writer the one in danger ("saya dipukul").
_WRITER_NEAR = 2
#: When a message says several kinds of danger, the one that decides the form ("beats me ... cant leave").
_GRAVEST_FIRST = ("sexual", "violence", "self_harm")
#: Families of the form's buttons, read on demand at their own question.
OPTION_FAMILIES = (
    "answer",
    "more_photos",
    "contact_mode",
    "for_whom",
    "story_for_whom",
    "story_contact",
    "contact_time",
)
#: Families every message is read for; an option family is scored only at its own question (`options`).
_READ_FAMILIES = ("intent", "question", *CONTENT_FAMILIES)
_FAMILIES = (*_READ_FAMILIES, *OPTION_FAMILIES)
_REQUESTS = ("report", "counseling")
_DONE_TO = ("di", "ter", "ke")  # passive prefixes
_THEIR = ("nya",)  # "anak2nya": someone's children
_SOLD = "jual"  # the stem of "dijual": a thing sold is no one trafficked
_COURTESY = ("greeting", "thanks", "courtesy")
#: Up to this many content words a message may be an answer naming an option ("yg lain aja": "Lainnya").
_AN_ANSWER = 5
#: Word classes naming the one a category is about: "@anak + buta" is a blind child only when nobody else is
#: named between them (bot/understanding/patterns.py `_of_them`).
_DESCRIBED = frozenset({"anak", "balita", "lansia", "perempuan", "keponakan", "saya"})
_HINTS = ("report_hint", "counseling_hint")
_NOT_INTENTS = (*_COURTESY, *_HINTS, "correction", "handled")  # scored with the intents, no request of their own
#: A meaning that includes every other ("kapan saja"): said with one turned around, it is no answer.
_EVERY_ONE = frozenset({"anytime"})
#: Never offered as the rest of a meaning turned around: "jangan pagi" says no time is safe now.
_NOT_THE_REST = frozenset({*_EVERY_ONE, "now"})
#: Option questions where turning one option around leaves the others to offer ("jangan pagi").
_THE_REST_OFFERED = ("contact_time",)
_TYPO_CUTOFF = 86.0
_TYPO_MIN_LENGTH = 5
# A ticket code inside a sentence: "ABC-DEF", or six letters and digits with at least one digit ("hbx27r").
_CODE_DASHED = re.compile(
    r"(?<![A-Za-z0-9])([A-HJ-NP-Za-hj-np-z2-9]{3})[-–]([A-HJ-NP-Za-hj-np-z2-9]{3})(?![A-Za-z0-9])"
)
_CODE_SPACED = re.compile(r"(?<![A-Za-z0-9])([A-HJ-NP-Za-hj-np-z2-9]{3}) ([A-HJ-NP-Za-hj-np-z2-9]{3})(?![A-Za-z0-9])")
_CODE_PLAIN = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z2-9]*[2-9])(?=[A-Za-z2-9]*[A-Za-z])(?![A-Za-z]{5}2)"
    r"([A-HJ-NP-Za-hj-np-z2-9]{6})(?![A-Za-z0-9])"
)  # "kakek2" is a word repeated
_REPEATED = re.compile(r"[a-z]+2(an|nya|in)?")
_TIMES = re.compile(r"\b\d+ ?(x|kali)\b")  # "udh 3x", "2 kali": a count of times, a habit
# "ZXT-K71": a code typed with a 1 or 0 (or I, O) the service never gives; looked up as typed, it is "not found"
_CODE_MISTYPED = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[0-9])(?=[A-Za-z0-9-]*[A-Za-z])([A-Za-z0-9]{3})[-–]([A-Za-z0-9]{3})(?![A-Za-z0-9])"
)
MESSAGE_CACHE = 2048
WORD_CACHE = 8192


class Understanding:
    """Reads messages with the vocabulary of both catalogs and Banten's places."""

    def __init__(self, catalog: Catalog, regions: RegionCatalog) -> None:
        vocabulary = _Vocabulary(catalog)
        self.shaper = WordShaper(vocabulary.slang(), vocabulary.words("roots"))
        self._stop = frozenset(self.shaper.key(w) for w in vocabulary.words("stopwords")) | frozenset(
            s for w in vocabulary.words("stopwords") for s in self.shaper.surfaces(w)
        )
        self._negation = frozenset(s for w in vocabulary.words("negation") for s in self.shaper.surfaces(w))
        self._conditional = frozenset(s for w in vocabulary.words("conditional") for s in self.shaper.surfaces(w))
        self._contact_words = frozenset(s for w in vocabulary.words("contact_words") for s in self.shaper.surfaces(w))
        self._opening_a_question = frozenset(
            s for w in vocabulary.words("question_opening") for s in self.shaper.surfaces(w)
        )
        self._asking = frozenset(s for w in vocabulary.words("question_asking") for s in self.shaper.surfaces(w))
        self._if_words = self._conditional - self._opening_a_question  # "kalo", not "apakah"
        self._tags = frozenset(
            tuple(self.shaper.key(w) for w in phrase.split()) for phrase in vocabulary.words("question_tag")
        )
        self._not_this = frozenset(s for w in vocabulary.words("not_this") for s in self.shaper.surfaces(w))
        self._not_this_bridge = frozenset(
            s for w in vocabulary.words("not_this_bridge") for s in self.shaper.surfaces(w)
        )
        self._taken_back = tuple(
            tuple(w.surface for w in self.shaper.words(phrase)) for phrase in vocabulary.words("taken_back")
        )
        self._option_names = {family: tuple(vocabulary.names(family)) for family in _THE_REST_OFFERED}
        self._same_subject = frozenset(s for w in vocabulary.words("same_subject") for s in self.shaper.surfaces(w))
        self._never = frozenset(s for w in vocabulary.words("never") for s in self.shaper.surfaces(w))
        self._never_bridge = frozenset(s for w in vocabulary.words("never_bridge") for s in self.shaper.surfaces(w))
        self._past = frozenset(s for w in vocabulary.words("past") for s in self.shaper.surfaces(w))
        self._child_categories = tuple(code for code in vocabulary.names("category") if code.startswith("anak_"))
        self._found_again = tuple(
            " ".join(w.surface for w in self.shaper.words(p)) for p in vocabulary.words("found_again")
        )
        self._habitual = frozenset(s for w in vocabulary.words("habitual") for s in self.shaper.surfaces(w))
        self._kept_away_by = frozenset(self.shaper.key(w) for w in vocabulary.words("kept_away_by"))
        self._cannot_go_home = frozenset(
            w.surface for p in vocabulary.words("cannot_go_home") for w in self.shaper.words(p)
        )
        self._earlier_report = tuple(vocabulary.words("earlier_report"))  # beginnings of words, as typed
        self._reported_before = frozenset(
            s for w in vocabulary.words("reported_before") for s in self.shaper.surfaces(w)
        )
        self._reported_to = frozenset(s for w in vocabulary.words("reported_to") for s in self.shaper.surfaces(w))
        self._report_verbs = frozenset(self.shaper.key(w) for w in vocabulary.words("report_verbs"))
        self._other_words = frozenset(self.shaper.key(w) for w in vocabulary.words("other_words"))
        self._new_case = tuple(tuple(w.surface for w in self.shaper.words(p)) for p in vocabulary.words("new_case"))
        self._again = frozenset(s for w in vocabulary.words("again") for s in self.shaper.surfaces(w))
        self._people_of_place = frozenset(self.shaper.key(w) for w in vocabulary.words("people_of_place"))
        self._reflexive = frozenset(s for w in vocabulary.words("reflexive") for s in self.shaper.surfaces(w))
        self._own_body = frozenset(s for w in vocabulary.words("own_body") for s in self.shaper.surfaces(w))
        self._locked_things = frozenset(self.shaper.key(w) for w in vocabulary.words("locked_things"))
        self._not_codes = frozenset(vocabulary.words("not_a_code"))
        self._ticket_words = frozenset(vocabulary.words("ticket_words"))
        self._struck_things = frozenset(self.shaper.key(w) for w in vocabulary.words("struck_things"))
        self._strike_verbs = frozenset(self.shaper.key(w) for w in vocabulary.words("strike_verbs"))
        self._sold_things = frozenset(self.shaper.key(w) for w in vocabulary.words("sold_things"))
        self._but = frozenset(s for w in vocabulary.words("but") for s in self.shaper.surfaces(w))
        self._describing = frozenset(s for w in vocabulary.words("describing") for s in self.shaper.surfaces(w))
        self._joining = frozenset(s for w in vocabulary.words("joining") for s in self.shaper.surfaces(w))
        classes = {name: vocabulary.words(f"class.{name}") for name in vocabulary.names("class")}
        compiler = PatternCompiler(classes, self.shaper, _DESCRIBED)
        first_person, self._third_party, self._at_home = compiler.compile(
            "who", ["@saya", "@pihak_lain", "@keluarga_pelaku"]
        )
        self._first_person = frozenset(p[0].key for p in first_person.parts[0].phrases if len(p) == 1)  # not "diri"
        self._persons = frozenset(s for w in classes["orang"] for s in self.shaper.surfaces(w))
        role_classes = dict(
            zip(ROLES, ("pasangan", "orang_tua", "korban_anak", "keluarga_pelaku", "pelaku_luar", "sosok"), strict=True)
        )
        roles = {role: compiler.compile(role, [f"@{name}"])[0].parts[0] for role, name in role_classes.items()}
        pronouns, school_age, violent = compiler.compile("harm", ["@dia", "@usia_sekolah", "@pukul + @seksual"])
        self._violent = violent.parts  # every violent word of a story, not only the one a pattern counted
        self._children = frozenset(p[0].key for p in roles["child"].phrases if len(p) == 1)
        # "..., anak2nya gk sekolah", "..., keluarganya gk mampu": a clause about the kin of the one the story is about
        self._kin = self._children | frozenset(self.shaper.key(w) for w in vocabulary.words("kin"))
        self._harm = HarmReader(
            roles,
            first_person=self._first_person,
            pronouns=pronouns.parts[0],
            school_age=school_age.parts[0],
            age_words=frozenset(self.shaper.key(w) for w in classes["umur"]),
            victim_marks=frozenset(self.shaper.key(w) for w in classes["korban"]),
            passive_marks=frozenset(vocabulary.words("passive_mark")),
            agent_marks=frozenset(vocabulary.words("agent_mark")),
            target_marks=frozenset(vocabulary.words("target_mark")),
            same_subject=self._same_subject,
            places=frozenset(self.shaper.key(w) for w in classes["tempat_milik"]),
            asking=frozenset(self.shaper.key(w) for w in classes["meminta"]),
            saying=frozenset(self.shaper.key(w) for w in classes["berkata"]),
            siblings=frozenset(self.shaper.key(w) for w in classes["saudara_kandung"]),
            school_staff=frozenset(self.shaper.key(w) for w in classes["staf_sekolah"]),
            # "bukan", "selain" (not "ga": "ngobrol ga? sy lagi ...")
            denials=frozenset(self.shaper.key(w) for w in vocabulary.words("negation"))
            - frozenset(self.shaper.key(w) for w in vocabulary.words("never")),
        )
        self._index: dict[str, list[tuple[str, Pattern]]] = defaultdict(list)
        known: set[str] = set()
        spelled: dict[str, str] = {}  # how the vocabulary writes a word -> its key, for typos
        for family in _FAMILIES:
            for meaning in vocabulary.names(family):
                entries = vocabulary.words(f"{family}.{meaning}")
                for pattern in compiler.compile(meaning, entries):
                    for key in first_keys(pattern):
                        self._index[key].append((family, pattern))
                    for term in (t for part in pattern.parts for phrase in part.phrases for t in phrase):
                        known.add(term.key)
                        if not term.exact and len(term.surface) >= _TYPO_MIN_LENGTH:
                            spelled.setdefault(term.surface, term.key)
        self._known_keys = frozenset(known)
        self._spelled = spelled
        self._typo_targets = sorted(spelled)
        self._places = PlaceFinder(regions, vocabulary.places(), self.shaper)
        self.read = lru_cache(maxsize=MESSAGE_CACHE)(self._read)
        self.meant_key = lru_cache(maxsize=WORD_CACHE)(self._typo_of)  # a word's reading never changes

    def _read(self, text: str, *, answering_where: bool = False) -> Meanings:
        """Every meaning of `text`; `answering_where` when it answers "which kabupaten/kecamatan?"."""
        words = self._with_typos_mended(self.shaper.words(text))
        back = _after_last(words, self._taken_back, first=1)  # "pengemis eh bukan, gelandangan"
        fresh = _after_last(words, self._new_case)  # "udh pernah lapor ttg nenek ..., skrg ada lg yg baru, ..."
        denied = self._denied(words, back) | self._done_to_things(words)
        places = self._places.find(words, answer=answering_where, denied=denied)
        # A place said before the slip, when another is said after it ("balaraja eh bukan, cikupa"), and the old
        # report's place, whatever follows ("sy yg bulan lalu lapor banjir di sepatan. skrg mau lapor yg lain"):
        # withdrawn
        for turn, said_again in ((back, True), (fresh, False)):
            before = frozenset(i for i in places.positions if turn is not None and i < turn)
            if before and (not said_again or max(places.positions) >= (turn or 0)):
                places = self._places.find(words, answer=answering_where, denied=denied | before)
        # "orang baduy": where, and who (a remote indigenous community)
        place_words = frozenset(i for i in places.positions if words[i].key not in self._people_of_place)
        content = frozenset(
            i
            for i, w in enumerate(words)
            if w.key not in self._stop and w.surface not in self._stop and i not in place_words
        )
        message = self._message(words)
        scored = self._score(message, content, place_words, denied)
        for turn in (back, fresh):
            if turn is not None:
                scored = _said_again(scored, turn)
        other = scored["topic"].get("lainnya")
        if (
            other
            and len(content) > _AN_ANSWER
            and all(words[i].key in self._other_words and message.clauses[i] > 0 for i in other[1] & content)
        ):
            # "..., kayaknya udh punya yg lain": someone else, not the option "Lainnya" ("yg lain aja, soal ...")
            del scored["topic"]["lainnya"]
        ages = tuple(self._harm.every_age(words))  # read once: it moves categories and may rule out a child's
        scored["category"] = _by_age(scored["category"], ages[0] if ages else None)
        if not ages:
            scored["category"] = self._of_any_age(scored["category"], words)
        own_child_strikes = self._own_child_strikes(words, scored["danger"])
        danger = self._danger(scored, message, own_child_strikes=own_child_strikes)
        if danger is None and own_child_strikes:
            # "anak sy yg balita suka mukul kalo ga diturutin": no child hurt, a parent's worry
            for code in _VICTIMS:
                scored["category"].pop(code, None)
        if danger is not None and self._harm.writer_is_young(words):  # "..., sy umur 12, tolong"
            danger = replace(danger, young_writer=True)
        # one question clearly ahead, or two as close ("ini beneran dr pemerintah? nama pelapor dirahasiain kan")
        asked = _guesses(scored["question"])
        close_questions = asked.close()
        question = asked.clear() or (close_questions[0] if close_questions else None)
        other_question = close_questions[1] if len(close_questions) > 1 else None
        # "kalo lapor bisa dicabut lagi ga?": the service asked for only in an "if"
        supposing = any(
            self._supposed(words, hit[1], self._if_words) for m, hit in scored["intent"].items() if m in _REQUESTS
        )
        if question is not None:  # "kalo lapor, nama sy dikasih tau gk?": asks about reporting, does not report
            scored["intent"] = {
                m: v for m, v in scored["intent"].items() if m not in _REQUESTS or not self._supposed(words, v[1])
            }
        grown = self._harm.only_grown_ups(words, ages)
        new_case = bool(scored["category"]) and fresh is not None
        if new_case and "status" in scored["intent"]:  # "udh pernah lapor ..., skrg ada lg yg baru": a report
            status = scored["intent"].pop("status")
            scored["intent"]["report"] = max(status, scored["intent"].get("report", status), key=lambda hit: hit[0])
        ticket_code = None if new_case else self._ticket_code(text)  # "yg kmrn tiket XK4-22P udh beres. ini beda ..."
        earlier = not new_case and self._reported_earlier(scored["intent"], words)
        if ticket_code is None and not earlier and self._still_a_report(scored, words):
            scored["intent"].pop("status")
        elif ticket_code is None and not earlier and scored["category"] and self._taken_elsewhere(words):
            # "pak kades udh lapor ke bpbd tp bantuan blm dtg": waiting on another office, reported here now
            scored["intent"].pop("status", None)
        elif earlier:
            # "kemarin sy lapor ada pengemis ..., skrg dia udh pindah, gmn?": about the report made then
            report = scored["intent"].pop("report")
            scored["intent"]["status"] = max(report, scored["intent"].get("status", report), key=lambda hit: hit[0])
        courtesy = set().union(*(scored["intent"].get(m, (0.0, frozenset()))[1] for m in _COURTESY))
        explained_words = set().union(*(hit[1] for family in CONTENT_FAMILIES for hit in scored[family].values()))
        return Meanings(
            text=text,
            intent=_guesses(scored["intent"], exclude=_NOT_INTENTS),
            # every age a grown-up's ("anak tetangga 19thn dijual"): no child's category hides a grown-up's
            category=_guesses(scored["category"], exclude=self._child_categories if grown else ()),
            topic=_guesses(scored["topic"]),
            region=places.region,
            kecamatan=places.kecamatan,
            region_off_work=places.region_off_work,
            kecamatan_off_work=places.kecamatan_off_work,
            outside=places.outside,
            ticket_code=ticket_code,
            danger=danger,
            words=len(content),
            explained=len(explained_words & content),
            real_words=sum(
                1 for w in words if self.shaper.is_root(w.key) or w.key in self._known_keys or w.key in self._stop
            ),
            only_courtesy=bool(courtesy)
            and content <= courtesy
            and not any(scored["intent"].get(m) for m in scored["intent"] if m not in _NOT_INTENTS),
            greeting=bool(scored["intent"].get("greeting")),
            thanks=bool(scored["intent"].get("thanks")),
            hints=_guesses({m.removesuffix("_hint"): v for m, v in scored["intent"].items() if m in _HINTS}),
            question=question,
            other_question=other_question,
            asks="?" in text
            or bool(words and words[0].surface in self._opening_a_question)
            or any(w.surface in self._asking for w in words)
            or any(tuple(w.key for w in words[-len(tag) :]) == tag for tag in self._tags),
            contact_word=any(w.surface in self._contact_words for w in words),
            supposing=supposing,
            correcting=bool(scored["intent"].get("correction")),
            handled=bool(scored["intent"].get("handled")),
            about=self._harm.told_about(words),
            people=self._harm.apart(words, message.people),
        )

    def _of_any_age(self, scores: _Scores, words: Sequence[Word]) -> _Scores:
        """ "tetangga pasung anaknya yg sakit jiwa": someone's son or daughter of no stated age may well be
        grown, so a disabled child's category, told only so, gets a disabled grown-up's as an even rival."""
        hit = scores.get(_A_DISABLED_CHILD)
        target = _FOR_A_GROWN_UP[_A_DISABLED_CHILD][0]
        children = [i for i in hit[1] if words[i].key in self._children] if hit else []
        if (
            hit is None
            or not children
            or not all(words[i].key == OFFSPRING and words[i].surface.endswith(_THEIR) for i in children)
            or any(code not in (_A_DISABLED_CHILD, target) and score >= hit[0] for code, (score, _) in scores.items())
        ):
            return scores  # not "kakek buta sm cucunya", "lansia ... di rumah anaknya": another story leads
        best = scores.get(target, (0.0, frozenset()))
        return {**scores, target: (max(hit[0], best[0]), hit[1] | best[1])}

    def _message(self, words: Sequence[Word]) -> Message:
        """The words, ready for the patterns: who is named where, and the words that tie them together."""
        return Message(
            words,
            self._same_subject,
            self._harm.subjects_named(words),
            describing=frozenset(i for i, w in enumerate(words) if w.surface in self._describing),
            joining=frozenset(
                i for i, w in enumerate(words) if w.surface in self._joining or w.key in self._first_person
            ),
            writer=self._harm.writer_named(words),
        )

    def _still_a_report(
        self, scored: Mapping[str, Mapping[str, tuple[float, frozenset[int]]]], words: Sequence[Word]
    ) -> bool:
        """ "lapor, kampung sy kebanjiran ... dulu pernah dpt bantuan tp skrg blm ada yg dtg" reports a case;
        "nasib laporan sy ttg nenek di cisoka? blm ada yg dateng" asks about one. Without a ticket code,
        words of waiting ("belum ada yang datang") next to "lapor" and a case told are still the report,
        unless the message names the earlier report ("laporan gw ... udh ditangani blm") or its ticket; one
        that says the report was made before ("udh lapor 3 hari lalu", `_reported_earlier`) is not asked.
        """
        intents = scored["intent"]
        if "status" not in intents or "report" not in intents or not scored["category"]:
            return False
        if intents["report"][1] <= intents["status"][1]:
            return False  # the waiting words are the report's own ("udh lapor ... blm ada kabar")
        return not any(w.surface.startswith(self._earlier_report) for w in words)

    def _reported_earlier(self, intents: Mapping[str, tuple[float, frozenset[int]]], words: Sequence[Word]) -> bool:
        """ "sy kemarin lapor soal ...", "udh lapor 3 hari lalu": the report was made before, here, and is not
        made again now ("..., sy laporin lg ya", "udh pernah lapor ..., skrg mau lapor yg lain"); not "udah
        lapor guru ga digubris", reported to someone else."""
        if "report" not in intents:
            return False
        last = max(intents["report"][1])
        after = words[last + 1 : last + 3]
        return any(w.surface in self._reported_before for w in words[max(0, last - 2) : last]) and not any(
            w.surface in self._again or w.surface in self._reported_to for w in after
        )

    def _taken_elsewhere(self, words: Sequence[Word]) -> bool:
        """The case was taken to another office: a verb of reporting with the office one or two words after
        ("udh ngajuin ke kelurahan", "lapor polisi"), so words of waiting are about that office."""
        return any(
            w.key in self._report_verbs and any(after.surface in self._reported_to for after in words[i + 1 : i + 3])
            for i, w in enumerate(words)
        )

    def explain(self, text: str) -> list[str]:
        """Why `text` means what it does: each matched vocabulary entry and the words it explains."""
        words = self._with_typos_mended(self.shaper.words(text))
        message = self._message(words)
        lines = [" ".join(f"{w.surface}/{w.key}" for w in words)]
        for family, pattern in {id(p): (f, p) for w in words for f, p in self._index.get(w.key, ())}.values():
            hit = explained(pattern, message, frozenset(range(len(words))))
            if hit is not None:
                lines.append(
                    f"{family}.{pattern.meaning}: {pattern.source!r} -> "
                    f"{' '.join(words[i].surface for i in sorted(hit[0]))} ({hit[1]:g})"
                )
        return lines

    def options(self, text: str, family: str) -> Guesses:
        """A typed answer to one of the form's button questions ("pagi", "boleh lewat wa", "iya").

        A meaning said after "bukan", "jangan" is turned around: dropped, and when no other meaning
        accounts for its words ("kapan saja asal bukan pagi") the answer is not clear: better asked again
        than a promise to call in the morning. "jangan telepon" stays clear: a phrase of its own says it.
        """
        words = self._with_typos_mended(self.shaper.words(text))
        scored = self._score(Message(words), frozenset(range(len(words))), families=(family,))[family]
        said = set().union(*(covered for _, covered in scored.values()))
        negated = {
            m
            for m, (_, covered) in scored.items()
            if self._cannot(words, max(covered))
            or any(
                i > 0 and words[i - 1].surface in self._negation and i - 1 not in said and not words[i].starts_clause
                for i in covered
            )
        }  # "jangan, rahasiakan": a new clause
        kept = {m: v for m, v in scored.items() if m not in negated}
        if not negated:
            return _guesses(kept)
        if kept and not set(kept) & _EVERY_ONE:  # "jgn malem, pagi aja": the evening is out, the morning said
            return _guesses(kept)
        if not kept and family in _THE_REST_OFFERED:  # "jangan pagi": the afternoon or the evening
            rest = [m for m in self._option_names[family] if m not in negated and m not in _NOT_THE_REST]
            # "jgn pagi, siang juga gk bisa": the one left is the answer
            return Guesses(tuple(Guess(m, 1.0) for m in rest)) if 1 <= len(rest) <= MAX_OFFERED else NOTHING
        unexplained = set().union(*(scored[m][1] for m in negated)) - set().union(*(v[1] for v in kept.values()))
        return NOTHING if unexplained else _guesses(kept)

    def _cannot(self, words: Sequence[Word], last: int) -> bool:
        """ "siang (juga) gk bisa": the option said just before is refused."""
        after = [w for w in words[last + 1 : last + 4] if w.key != "juga"]
        return len(after) >= 2 and after[0].surface in self._negation and after[1].key == "bisa"

    # --- scoring ---------------------------------------------------------------------------------

    def _score(
        self,
        message: Message,
        content: frozenset[int],
        places: frozenset[int] = frozenset(),
        denied: frozenset[int] = frozenset(),
        families: Sequence[str] = _READ_FAMILIES,
    ) -> dict[str, dict[str, tuple[float, frozenset[int]]]]:
        """Per family and meaning: (score, words explained).

        The score is its best pattern's, plus a tenth for each further word its other patterns explain
        (more evidence, never enough to outweigh one more word of the best); the words are all its
        patterns'. Patterns that only repeat the same word ("lapor", "melapor") add nothing.
        """
        words = message.words
        everything = frozenset(range(len(words)))
        candidates = {id(p): (f, p) for w in words for f, p in self._index.get(w.key, ()) if f in families}
        # "..., anak2nya gk sekolah": a clause about the children of the one the story is about
        theirs = {
            i for i, w in enumerate(words) if w.key in self._kin and w.surface.endswith(_THEIR) and w.starts_clause
        }
        candidates.update({id(p): (f, p) for w in words for f, p in self._index.get(w.surface, ()) if f in families})
        scored: dict[str, dict[str, tuple[float, frozenset[int]]]] = {f: {} for f in families}
        best: dict[tuple[str, str], frozenset[int]] = {}
        for family, pattern in candidates.values():
            allowed = content if family in CONTENT_FAMILIES else everything
            content_family = family in CONTENT_FAMILIES
            hit = explained(
                pattern,
                message,
                allowed,
                places if content_family else frozenset(),
                cap=PART_CAP if content_family else float("inf"),
            )
            if hit is None or (content_family and hit[0] & denied):
                continue  # "bukan anak2, udh ibu2 dewasa, minta2 di bus": not a street child
            covered, weight = hit
            if family == "category" and any(i in theirs for i in covered):
                weight /= 3  # "pemulung tinggal di gubuk, anak2nya gk sekolah": the story is the scavengers'
            score, union = scored[family].get(pattern.meaning, (0.0, frozenset()))
            if weight > score:
                best[family, pattern.meaning] = covered
            scored[family][pattern.meaning] = (max(score, weight), union | covered)
        for (family, meaning), words_of_best in best.items():
            score, union = scored[family][meaning]
            scored[family][meaning] = (score + 0.1 * min(len(union - words_of_best), 4), union)
        return scored

    def _danger(
        self,
        scored: Mapping[str, Mapping[str, tuple[float, frozenset[int]]]],
        message: Message,
        *,
        own_child_strikes: bool = False,
    ) -> Danger | None:
        """Danger, and who is in it: a child, the writer, someone at home, someone the writer only knows."""
        words = message.words
        hits = {kind: hit for kind, hit in scored["danger"].items() if self._happens(kind, hit[1], words)}
        if "violence" in hits and (own_child_strikes or self._harm.among_children(words, sorted(hits["violence"][1]))):
            # "anak sulung suka mukul adiknya", "anak sy yg balita suka mukul": children hitting, a worry to counsel
            del hits["violence"]
        kinds = _guesses(hits)
        if not kinds:
            return None
        kind = next(k for k in (*_GRAVEST_FIRST, *kinds.codes) if k in kinds.codes)
        category = _guesses(scored["category"])
        child = any(code.startswith("anak_") for code in category.codes[:2])
        everything = frozenset(range(len(words)))
        third = explained(self._third_party, message, everything) is not None
        home = explained(self._at_home, message, everything) is not None
        said = self._harm.said_by(words, min(hits[kind][1])) if kind == "self_harm" else None
        if kind == "self_harm" and said is None:
            said = self._harm.only_one_of_writers(words) or self._harm.speaker_of(words, hits[kind][1])
        if kind == "self_harm" and said is None:
            if self._harm.writer_before(words, max(hits[kind][1])):
                # "bisa bantu orang yg udh ga kuat hidup? sy capek bgt pengen mati aja": the writer, last
                said = "writer"
            elif self._harm.someone_else_before(words, min(hits[kind][1])):
                said = "other"  # "ada cowok mau loncat dr jembatan": someone the writer sees
            elif self._harm.writers_own_before(words, min(hits[kind][1])):
                said = "family"  # "adek sy suka nyayat2 tangannya sendiri": one of the writer's own
        if kind == "self_harm" and said not in (None, "writer"):
            # "konseling buat adik sy, dia baru cerai, ... kadang bilang mending mati aja": the sister
            return Danger(
                kind,
                child=said == "child",
                at_home=said in ("family", "home"),
                third_party=said == "other",
                adult=said != "child",
            )
        where = set().union(*(hit[1] for code, hit in hits.items() if code != "self_harm"))
        where |= {
            i
            for part in self._violent
            for spot in message.found_all(part)
            for i in spot
            if self._happens("violence", frozenset(spot), words)
        }
        harm = self._harm.read(words, sorted(where))
        if harm.by is None and self._harm.names_outsider(words):  # "dipukulin debt collector di depan rumah"
            harm = replace(harm, by="outsider")
        if harm.victim is not None:  # the story says who is hurt: that settles it
            return Danger(
                kind,
                child=harm.victim == "child",
                self_=harm.victim == "writer",
                at_home=harm.at_home or (home and harm.victim != "other" and harm.by != "outsider"),
                third_party=harm.victim == "other",
                adult=harm.victim != "child",
                by=harm.by,
                maybe_grown=harm.maybe_grown,
            )
        where |= set().union(*(hit[1] for hit in hits.values()))
        near = any(abs(i - j) <= _WRITER_NEAR for i in self._writers(words, where) for j in where)
        writer = near or (kind == "self_harm" and not third)
        return Danger(
            kind,
            child=child or harm.by == "parent",
            self_=writer,
            at_home=home or harm.at_home,
            third_party=third and not near,
            by=harm.by,
        )

    def _own_child_strikes(self, words: Sequence[Word], hits: Mapping[str, tuple[float, frozenset[int]]]) -> bool:
        """The violence told is the writer's own child striking a peer or no one: see HarmReader."""
        violence = hits.get("violence")
        acts = sorted(i for i in violence[1] if words[i].key in self._strike_verbs) if violence else []
        return self._harm.own_child_does_it(words, acts)

    def _happens(self, kind: str, said: frozenset[int], words: Sequence[Word]) -> bool:
        """Not "tp ga pernah mukul sih" (two words before), nor "mukul2 kepala sendiri" (three words after),
        nor "istri sy kabur dari rumah ... 2 anak" (a missing child whose clause is about a wife)."""
        first, last = min(said), max(said)
        if self._denied_before(words, first) or self._in_the_past(words, first, last):
            return False
        if kind == "missing":
            verb = min((i for i in said if words[i].key not in self._children), default=first)
            if any(words[i - 1].surface in self._habitual for i in said if i > 0 and i - 1 not in said):
                return False  # "sering kabur dr rumah": a habit, not someone missing now
            told_after = " ".join(w.surface for w in words[last + 1 :])
            if _TIMES.search(told_after) or any(f" {p} " in f" {told_after} " for p in self._found_again):
                return False  # "kabur dr rumah udh 3x tahun ini", "gk pulang2, ... udh ketemu": not missing now
            return self._harm.subject_before(words, verb) != "partner"
        before = [w.key for w in words[max(0, first - 2) : first] if w.surface not in _THEIR]
        if kind == "captive" and before and before[-1] in self._locked_things:
            return False  # "hp dikunci", "hp nya dikunci": a phone
        if before and before[-1] in self._sold_things and words[first].key == _SOLD:
            return False  # "rumahnya dijual cucunya": a house
        if (
            kind == "captive"
            and {words[i].surface for i in said} <= self._cannot_go_home
            and (
                any(w.key in self._kept_away_by for w in words[max(0, first - 5) : first])
                or (last + 1 < len(words) and words[last + 1].surface == "ke")
            )
        ):
            # "sy kerja di jakarta ga bisa pulang": kept away by work, not held; "gk bisa pulang ke sumatera,
            # duitnya abis": stranded far from home, not held
            return False
        if kind == "self_harm" or words[first].surface.startswith(_DONE_TO):
            return True  # "dicabuli pamannya sendiri": done to someone, by his own uncle
        # "mukul2 kepala sendiri" hurts oneself; "pelakunya pamannya sendiri" names whose uncle
        people = self._harm.person_positions(words)
        after = range(last + 1, min(last + 4, len(words)))
        same_clause = [j for j in after if not any(words[k].starts_clause for k in range(last + 1, j + 1))]
        if last + 1 < len(words) and words[last + 1].surface in self._own_body and not people.intersection(same_clause):
            return False  # "suka ngamuk jedotin kepala": a toddler bangs his own head; not "mukul kepala anaknya"
        return not any(words[j].surface in self._reflexive and j - 1 not in people for j in after)

    def _in_the_past(self, words: Sequence[Word], first: int, last: int) -> bool:
        """ "dulu sy korban kdrt", "sy korban kdrt dulu": a word of the past in the clause of the harm, up to
        five words before it or two after."""
        for i in range(first - 1, max(-1, first - 6), -1):
            if words[i].surface in self._past:
                return True
            if words[i].starts_clause:
                break
        for i in range(last + 1, min(last + 3, len(words))):
            if words[i].starts_clause:
                return False
            if words[i].surface in self._past:
                return True
        return False

    def _denied_before(self, words: Sequence[Word], first: int) -> bool:
        """ "ga mukul", "ga pernah mukul" in one clause; not "udh gk kuat, pengen mati" (another clause)."""
        if first == 0 or words[first].starts_clause:
            return False
        if words[first - 1].surface in self._never:
            return True
        return (
            first >= 2
            and not words[first - 1].starts_clause
            and words[first - 1].surface in self._never_bridge
            and words[first - 2].surface in self._never
        )

    def says_but(self, text: str) -> bool:
        """ "bener semua tp ...": a "but" that takes back part of what came before it."""
        return any(word.surface in self._but for word in self.shaper.words(text)[1:])

    def denied_words(self, text: str) -> frozenset[str]:
        """The words `text` says are not the case, as typed: "bukan kota serang" -> {"kota"}."""
        words = self.shaper.words(text)
        return frozenset(words[i].surface for i in self._denied(words))

    def _denied(self, words: Sequence[Word], back: int | None = None) -> frozenset[int]:
        """Words said not to be the case: the one after "bukan" or "bukan yg" (with its repeat, "bukan anak2");
        not the first word of a new clause ("ya bukan, ...") nor the one after a slip taken back ("eh bukan")."""
        denied: set[int] = set()
        for i in range(1, len(words)):
            if i == back or words[i].starts_clause:
                continue
            bridged = (
                i >= 2 and words[i - 1].surface in self._not_this_bridge and words[i - 2].surface in self._not_this
            )
            if (
                words[i - 1].surface in self._not_this
                or bridged
                or (i - 1 in denied and words[i].key == words[i - 1].key)
            ):
                denied.add(i)
        return frozenset(denied)

    def _done_to_things(self, words: Sequence[Word]) -> frozenset[int]:
        """A verb of beating with a thing right after it ("mukulin kasur", "gebukin bedug"): no one is hurt."""
        return frozenset(
            i
            for i in range(len(words) - 1)
            if words[i + 1].key in self._struck_things and words[i].key in self._strike_verbs
        )

    def _supposed(self, words: Sequence[Word], said: frozenset[int], marks: frozenset[str] | None = None) -> bool:
        """The words follow "kalau", "jika", "if" (or `marks`): a supposition ("kalo mo lapor, harus pake ktp?")."""
        first = min(said)
        marks = self._conditional if marks is None else marks
        return any(words[i].surface in marks for i in range(max(0, first - 3), first))

    def _writers(self, words: Sequence[Word], violent: set[int]) -> list[int]:
        """Where "saya" is the writer: starting a clause, after a small word, or as the one a violent verb
        is done to ("memukul saya"); not after a noun it belongs to ("tetangga saya", "kampung saya")."""
        return [
            i
            for i, w in enumerate(words)
            if w.key in self._first_person
            and (
                i == 0
                or w.starts_clause
                or (i - 1) in violent
                or (words[i - 1].key in self._stop and words[i - 1].surface not in self._persons)
            )
        ]

    def _ticket_code(self, text: str) -> str | None:
        """A ticket code inside a sentence: "ABC-DEF", "hbx27r", "YB3 WQ7"; never two words ("blm dpt")."""
        for pattern in (_CODE_DASHED, _CODE_PLAIN, _CODE_SPACED):
            for match in _overlapping(pattern, text):
                found = match.group(0)
                groups = [g.lower() for g in match.groups()] if pattern is _CODE_SPACED else []
                if pattern is _CODE_SPACED and (
                    not (any(c.isdigit() for c in found) or self._after_ticket_word(text, match.start()))
                    or any(self.shaper.is_root(g) or g in self._stop for g in groups)
                ):
                    continue
                if _REPEATED.fullmatch(found.lower()) or found.lower() in self._not_codes:
                    continue  # "deg2an", "lari2in": a word said twice, not a code; "p2tp2a", an office
                if (code := parse_ticket_code(found)) is not None:
                    return code
        mistyped = _CODE_MISTYPED.search(text)
        return f"{mistyped.group(1)}-{mistyped.group(2)}".upper() if mistyped else None

    def _after_ticket_word(self, text: str, at: int) -> bool:
        """ "tiket sy vkd pwg": a word for the ticket within the two words before `at`."""
        return any(w.lower().strip(".,:") in self._ticket_words for w in text[:at].split()[-2:])

    def _with_typos_mended(self, words: tuple[Word, ...]) -> tuple[Word, ...]:
        """A word we do not know and the dictionary does not either, close to one we know, is that one."""
        return tuple(
            Word(word.surface, self.meant_key(word.surface, word.key), word.starts_clause)
            if len(word.surface) >= _TYPO_MIN_LENGTH
            and word.key not in self._known_keys
            and not self.shaper.is_root(word.key)
            and not word.key.isdigit()
            and not self._places.names_a_place(word.surface)  # "serpong" is no "serong" (cheating)
            else word
            for word in words
        )

    def _typo_of(self, surface: str, key: str) -> str:
        """The key of the known word an unknown one is a typo of ("pengemsi": "pengemis"), else its own."""
        found = process.extractOne(surface, self._typo_targets, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
        return key if found is None else self._spelled[found[0]]


#: The child's category a grown-up's or an older child's becomes when the story states an age below the bound.
_FOR_A_CHILD = {"penyandang_disabilitas": ("anak_disabilitas", 18), "anak_telantar": ("anak_balita_telantar", 6)}
#: A child's category said of someone this old is a grown-up's ("anak sy umur 20 diculik"), and neglect or
#: frailty past 60 is old age's ("umurnya kira2 80, ... anak2nya pada merantau", "mbah sy 82 thn, stroke").
#: In order: a disabled "anak" of 70 is first a disabled grown-up, then an old one.
_FOR_A_GROWN_UP = {
    "anak_korban_kekerasan": ("korban_kekerasan", 18),
    "anak_disabilitas": ("penyandang_disabilitas", 18),
    "penyandang_disabilitas": ("lansia_telantar", 60),
    "anak_telantar": ("lansia_telantar", 60),
    "anak_balita_telantar": ("lansia_telantar", 60),
}
_Scores = dict[str, tuple[float, frozenset[int]]]
_A_DISABLED_CHILD = "anak_disabilitas"
_VICTIMS = ("anak_korban_kekerasan", "korban_kekerasan")


def _by_age(scores: _Scores, years: int | None) -> _Scores:
    """ "anak umur 3 thn yg kakinya bengkok" is a disabled child; "anaknya yg masih 2 thn sendirian" a toddler;
    "tetangga sy umurnya kira2 80 tinggal sendiri, anak2nya pada merantau" an old man left alone."""
    if years is None:
        return scores
    moved = dict(scores)
    young = {code: target for code, (target, under) in _FOR_A_CHILD.items() if years < under}
    old = {code: target for code, (target, over) in _FOR_A_GROWN_UP.items() if years >= over}
    for code, target in (*young.items(), *old.items()):
        if code in moved:
            score, said = moved.pop(code)
            best = moved.get(target, (0.0, frozenset()))
            moved[target] = (max(score, best[0]), said | best[1])
    return moved


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, also those that overlap an earlier one ("cek YB3 WQ7": "cek YB3", then "YB3 WQ7")."""
    start = 0
    while (match := pattern.search(text, start)) is not None:
        yield match
        start = match.start() + 1


def _guesses(scores: Mapping[str, tuple[float, frozenset[int]]], exclude: Sequence[str] = ()) -> Guesses:
    """Ranked meanings; one whose evidence lies wholly inside a stronger one's is no rival to it.

    "anak ngemis" explains {anak, ngemis} as a street child; "pengemis" explains only {ngemis}, which
    the street child already accounts for, so it does not make the two look close.
    """
    kept = {m: (s, words) for m, (s, words) in scores.items() if m not in exclude and s > 0}
    rivals = {
        m: v for m, v in kept.items() if not any(o != m and s > v[0] and words > v[1] for o, (s, words) in kept.items())
    }
    order = sorted(((m, s) for m, (s, _) in rivals.items()), key=lambda i: -i[1])
    return Guesses(tuple(Guess(m, s) for m, s in order)) if order else NOTHING


class _Vocabulary:
    """The catalogs' `understand` section, both languages merged."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def words(self, key: str) -> list[str]:
        return [str(w) for w in self._catalog.words_all_languages(f"understand.{key}")]

    def names(self, section: str) -> list[str]:
        """The meanings listed under a section ("category" -> the 26 codes), in catalog order."""
        return self._catalog.names_under(f"understand.{section}")

    def slang(self) -> dict[str, str]:
        return dict(_pair(line) for line in self.words("slang"))

    def places(self) -> PlaceVocabulary:
        return PlaceVocabulary(
            region_names={code: self.words(f"region.{code}") for code in self.names("region")},
            kecamatan_aliases=dict(_pair(line) for line in self.words("kecamatan_alias")),
            landmarks=dict(_pair(line) for line in self.words("landmark")),
            outside=self.words("outside_banten"),
            markers=self.words("place_marker"),
            away=self.words("away_marker"),
            home=self.words("home_marker"),
            here=self.words("here_marker"),
            relatives=self.words("relative_marker"),
            lives=self.words("lives_marker"),
            abroad=self.words("abroad"),
            origin=self.words("origin_marker"),
            kin=self.words("kin_marker"),
            case=self.words("case_marker"),
            common_names=self.words("common_place_name"),
            as_a_thing=self.words("as_a_thing"),
            work=self.words("work_word"),
            service_office=self.words("service_office"),
            elsewhere=places_elsewhere(),
            but=self.words("but"),
        )


def _pair(line: str) -> tuple[str, str]:
    left, sep, right = line.partition(" = ")
    if not sep:
        raise ValueError(f"vocabulary line {line!r} needs 'typed = meant'")
    return left.strip().lower(), right.strip()


def _after_last(words: Sequence[Word], phrases: Sequence[tuple[str, ...]], *, first: int = 0) -> int | None:
    """Where the words after the last of `phrases` said begin (at word `first` or later), when some follow:
    "pengemis eh bukan, gelandangan" -> 3 (after "eh bukan"); None without one."""
    surfaces = tuple(w.surface for w in words)
    ends = [
        start + len(phrase)
        for phrase in phrases
        for start in range(first, len(surfaces) - len(phrase))
        if surfaces[start : start + len(phrase)] == phrase
    ]
    return max(ends, default=None)


def _said_again(
    scored: dict[str, dict[str, tuple[float, frozenset[int]]]], back: int
) -> dict[str, dict[str, tuple[float, frozenset[int]]]]:
    """ "pengemis eh bukan, gelandangan": in a family with a meaning said after the slip, the meanings said
    only before it are withdrawn; a family said only before it stands ("ada pengemis di cikupa eh bukan
    balaraja" is still about a beggar)."""
    kept = dict(scored)
    for family in CONTENT_FAMILIES:
        meanings = scored[family]
        if any(max(covered) >= back for _, covered in meanings.values()):
            kept[family] = {m: hit for m, hit in meanings.items() if max(hit[1]) >= back}
    return kept
