"""Which queue gets a request, how urgent it is and its SLA, read from the operator's routing file.

The rules of DESIGN.md section 3 live in `config/routing.yaml`, not in code, so an operator can move a
category to another agency without a release. A hand-edited file is checked strictly at start-up and
every mistake is reported with the file's line number: a silently ignored typo would misroute reports of
children at risk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

import holidays
import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES, UNCLASSIFIED
from bot.domain.regions import PROVINCE, PROVINCE_NAME, REGION_CODES, RegionCatalog, load_regions
from bot.sla import BusinessCalendar, SlaPolicy, Urgency

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_Loc = tuple[str | int, ...]


class RoutingFileError(ValueError):
    """The routing file cannot be used; the message names the file and the line of each mistake."""


@dataclass(frozen=True)
class Route:
    """Where one request goes: `queue_code` is "<agency>-<region>", region may be PROVINCE."""

    queue_code: str
    agency: str
    region: str
    urgency: Urgency


@dataclass(frozen=True)
class QueueSpec:
    """One agency queue of one region, as staff and coordinators see it."""

    code: str
    agency: str
    region: str
    name: str


# --- the file's schema -------------------------------------------------------------------------------


def _check(is_valid: Callable[[str], bool], complaint: str) -> AfterValidator:
    """Validator whose error is a sentence an operator reads, e.g. "unknown category 'anak_jalan'"."""

    def check(value: str) -> str:
        if not is_valid(value):
            raise ValueError(complaint.format(value))
        return value

    return AfterValidator(check)


def _clock_time(value: Any) -> time:
    """Parse "HH:MM"; unquoted 8:00 reaches us as the YAML integer 480, so only strings are taken."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError(f'time must be written in quotes as "HH:MM", got {value!r}')
    hours, minutes = map(int, value.strip().split(":"))
    return time(hours, minutes)


_Category = Annotated[str, _check(PMKS_CATEGORIES.__contains__, "unknown category '{}'")]
_Topic = Annotated[str, _check(COUNSELING_TOPICS.__contains__, "unknown topic '{}'")]
_TimeZone = Annotated[str, _check(lambda name: name in available_timezones(), "unknown time zone '{}'")]
_HolidayCountry = Annotated[
    str, _check(lambda code: code in holidays.list_supported_countries(), "unknown holiday country '{}'")
]
_AgencyCode = Annotated[  # it becomes part of queue codes such as "lk3-kota-serang"
    str, _check(re.compile(r"[a-z0-9]+").fullmatch, "agency code '{}' must be lower-case letters/digits")
]
_PositiveWhole = Annotated[int, Field(strict=True, gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Target(_Model):
    agency: str
    urgency: Urgency


class _SightingRule(_Target):
    categories: list[_Category] = Field(min_length=1)


class _CounselingRule(_Target):
    topics: list[_Topic] = Field(min_length=1)


class _Section(_Model):
    default: _Target


class _SightingSection(_Section):
    rules: list[_SightingRule] = []


class _CounselingSection(_Section):
    rules: list[_CounselingRule] = []


class _UrgentSla(_Model):
    claim_hours: _PositiveWhole
    first_contact_hours: _PositiveWhole


class _NormalSla(_Model):
    claim_business_days: _PositiveWhole
    first_contact_business_days: _PositiveWhole


class _SlaSection(_Model):
    urgent: _UrgentSla
    normal: _NormalSla


class _BusinessHours(_Model):
    timezone: _TimeZone = "Asia/Jakarta"
    start: Annotated[time, BeforeValidator(_clock_time)]
    end: Annotated[time, BeforeValidator(_clock_time)]
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    holidays: _HolidayCountry
    # Cuti bersama: YYYY-MM-DD dates on which offices close beyond the public holidays.
    cuti_bersama: list[Annotated[date, Field(strict=False)]] = []


class _RoutingFile(_Model):
    agencies: dict[_AgencyCode, Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    sla: _SlaSection
    business_hours: _BusinessHours
    sighting: _SightingSection
    counseling: _CounselingSection
    unclassified: _Target = _Target(agency="dinsos", urgency="normal")


# --- the table ---------------------------------------------------------------------------------------


class RoutingTable:
    """Routes requests to queues by category or topic and region; holds the SLA and office calendar."""

    def __init__(
        self,
        *,
        agencies: Mapping[str, str],
        sighting: Mapping[str, tuple[str, Urgency]],
        counseling: Mapping[str, tuple[str, Urgency]],
        unclassified: tuple[str, Urgency] = ("dinsos", "normal"),
        sla: SlaPolicy,
        calendar: BusinessCalendar,
        regions: RegionCatalog,
    ) -> None:
        self._agencies = dict(agencies)
        self._sighting = dict(sighting)
        self._counseling = dict(counseling)
        self._unclassified = unclassified
        self._regions = regions
        self.sla = sla
        self.calendar = calendar

    def public_figures(self) -> dict[str, str]:
        """The office hours and first-contact times the catalogs' answers about the service name."""
        return {
            "office_opens": self.calendar.start.strftime("%H.%M"),
            "office_closes": self.calendar.end.strftime("%H.%M"),
            "urgent_contact_hours": str(self.sla.urgent_first_contact_hours),
            "normal_contact_days": str(self.sla.normal_first_contact_business_days),
        }

    def route_sighting(self, category: str, region: str | None) -> Route:
        """Queue and urgency of a PMKS sighting; KeyError for an unknown category."""
        return self._route(*(self._unclassified if category == UNCLASSIFIED else self._sighting[category]), region)

    def route_counseling(self, topic: str, region: str | None) -> Route:
        """Queue and urgency of a counseling request; KeyError for an unknown topic."""
        return self._route(*(self._unclassified if topic == UNCLASSIFIED else self._counseling[topic]), region)

    def urgent_topics(self) -> frozenset[str]:
        """The counseling topics this file makes urgent: their form asks for a safe time to be contacted."""
        return frozenset(
            topic
            for topic in (*self._counseling, UNCLASSIFIED)
            if self.route_counseling(topic, None).urgency == "urgent"
        )

    def _route(self, agency: str, urgency: Urgency, region: str | None) -> Route:
        """Unknown or missing regions fall back to the agency's provincial queue, urgency unchanged."""
        where = region if region in REGION_CODES else PROVINCE
        return Route(queue_code=f"{agency}-{where}", agency=agency, region=where, urgency=urgency)

    def queues(self) -> list[QueueSpec]:
        """Every queue: each agency in each kabupaten/kota, then its provincial queue."""
        return [
            QueueSpec(f"{agency}-{region}", agency, region, f"{name} {self._region_name(region)}")
            for agency, name in self._agencies.items()
            for region in (*REGION_CODES, PROVINCE)
        ]

    def _region_name(self, region: str) -> str:
        return PROVINCE_NAME if region == PROVINCE else self._regions.region(region).name


def _targets(
    default: _Target, rules: Sequence[_Target], field: str, codes: Sequence[str]
) -> dict[str, tuple[str, Urgency]]:
    """Expand rules to one (agency, urgency) per code, the default where no rule names the code."""
    table = dict.fromkeys(codes, (default.agency, default.urgency))
    for rule in rules:
        table.update(dict.fromkeys(getattr(rule, field), (rule.agency, rule.urgency)))
    return table


def _table(spec: _RoutingFile) -> RoutingTable:
    """Turn a checked file into the routing table the service uses."""
    hours, sighting, counseling = spec.business_hours, spec.sighting, spec.counseling
    return RoutingTable(
        agencies=spec.agencies,
        sighting=_targets(sighting.default, sighting.rules, "categories", PMKS_CATEGORIES),
        counseling=_targets(counseling.default, counseling.rules, "topics", COUNSELING_TOPICS),
        unclassified=(spec.unclassified.agency, spec.unclassified.urgency),
        sla=SlaPolicy(
            urgent_claim_hours=spec.sla.urgent.claim_hours,
            urgent_first_contact_hours=spec.sla.urgent.first_contact_hours,
            normal_claim_business_days=spec.sla.normal.claim_business_days,
            normal_first_contact_business_days=spec.sla.normal.first_contact_business_days,
        ),
        calendar=BusinessCalendar(
            tz=ZoneInfo(hours.timezone),
            start=hours.start,
            end=hours.end,
            weekdays=frozenset(_WEEKDAYS.index(day) for day in hours.weekdays),
            holiday_country=hours.holidays,
            closed_days=frozenset(hours.cuti_bersama),
        ),
        regions=load_regions(),
    )


# --- loading and line-numbered errors ----------------------------------------------------------------


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node to report the line of, node to descend into) for one step of an error location."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value  # report the key: a block list's value starts on the next line
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _node_at(root: yaml.Node, loc: _Loc) -> yaml.Node:
    """The node whose line an error location points at (the parent when a key is missing)."""
    marker = node = root
    for part in loc:
        step = _child(node, part)
        if step is None:
            break
        marker, node = step
    return marker


def _dotted(loc: _Loc) -> str:
    """ "sighting.rules[0].urgency": where an operator looks in the file."""
    return ".".join(f"[{part}]" if isinstance(part, int) else part for part in loc).replace(".[", "[")


def _describe(error: Mapping[str, Any]) -> str:
    """Plain words for one pydantic error; our own checks already phrase a full sentence."""
    loc: _Loc = tuple(error["loc"])
    kind: str = error["type"]
    message: str = error["msg"]
    if kind == "missing":
        return f"missing section '{loc[0]}'" if len(loc) == 1 else f"{_dotted(loc)}: missing"
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" + (f" in {_dotted(loc[:-1])}" if len(loc) > 1 else "")
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    return f"{_dotted(loc)}: {message}" if loc else message


def _cross_checks(spec: _RoutingFile) -> Iterator[tuple[_Loc, str]]:
    """Mistakes one field cannot see alone: agencies not declared, a code in two rules."""
    sections: tuple[tuple[str, _SightingSection | _CounselingSection, str, str], ...] = (
        ("sighting", spec.sighting, "categories", "category"),
        ("counseling", spec.counseling, "topics", "topic"),
    )
    if spec.unclassified.agency not in spec.agencies:
        yield ("unclassified", "agency"), f"unknown agency '{spec.unclassified.agency}'"
    for name, section, field, what in sections:
        if section.default.agency not in spec.agencies:
            yield (name, "default", "agency"), f"unknown agency '{section.default.agency}'"
        seen: set[str] = set()
        for i, rule in enumerate(section.rules):
            if rule.agency not in spec.agencies:
                yield (name, "rules", i, "agency"), f"unknown agency '{rule.agency}'"
            for j, code in enumerate(getattr(rule, field)):
                if code in seen:
                    yield (name, "rules", i, field, j), f"{what} '{code}' is listed more than once"
                seen.add(code)


def _duplicate_keys(node: yaml.Node) -> Iterator[tuple[yaml.Node, str]]:
    """Keys given twice in one mapping: YAML would silently keep only the last one."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                yield key, f"key '{key.value}' is given twice"
            seen.add(key.value)
            yield from _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


def _parse(path: Path, text: str) -> tuple[yaml.Node, dict[str, Any]]:
    """The YAML node tree (for line numbers) and the plain data; parsing twice is cheap at this size."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
        where = f" ({exc.context} on line {context.line + 1})" if exc.context and context else ""
        line = mark.line + 1 if mark else 1
        raise RoutingFileError(f"{path} line {line}: YAML syntax error: {exc.problem}{where}") from exc
    except yaml.YAMLError as exc:  # e.g. a control character: no mark, but a character position
        line = text[: getattr(exc, "position", 0)].count("\n") + 1
        raise RoutingFileError(f"{path} line {line}: YAML syntax error: {exc}") from exc
    except ValueError as exc:  # a date YAML reads as one but the calendar lacks, e.g. 2026-02-30
        node = (
            next((n for n in _scalars(root) if n.tag.endswith(":timestamp") and not _is_date(n.value)), None)
            if root is not None
            else None
        )
        line = node.start_mark.line + 1 if node else 1
        raise RoutingFileError(f"{path} line {line}: not a date: {node.value if node else exc}") from exc
    if root is None or not isinstance(data, dict):
        raise RoutingFileError(f"{path} line 1: expected sections such as 'agencies:' and 'sla:'")
    return root, data


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def _is_date(value: str) -> bool:
    try:
        yaml.safe_load(value)
    except ValueError:
        return False
    return True


def _fail(path: Path, problems: Sequence[tuple[yaml.Node, str]]) -> RoutingFileError:
    """One error listing every problem as "<file> line <n>: <what>", in file order."""
    lines = sorted((node.start_mark.line + 1, what) for node, what in problems)
    return RoutingFileError("\n".join(f"{path} line {line}: {what}" for line, what in lines))


def load_routing(path: Path) -> RoutingTable:
    """Read and check the routing file; RoutingFileError names the line of every mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutingFileError(f"{path}: cannot read the routing file: {exc}") from exc
    root, data = _parse(path, text)
    problems = list(_duplicate_keys(root))
    try:
        spec = _RoutingFile.model_validate(data)
    except ValidationError as exc:
        problems += [(_node_at(root, tuple(e["loc"])), _describe(e)) for e in exc.errors()]
        raise _fail(path, problems) from None
    problems += [(_node_at(root, loc), what) for loc, what in _cross_checks(spec)]
    if problems:
        raise _fail(path, problems)
    return _table(spec)
