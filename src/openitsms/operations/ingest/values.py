"""Reading single values: empties, booleans, numbers, durations and timestamps.

Every reader raises :class:`ValueProblem` with a message that names the value, so that a
rejection can say exactly what was wrong.

**Timestamps.** Accepted forms, with or without seconds (and fractions of them), with a
space or ``T`` between date and time, 24-hour or with ``AM``/``PM``:

* numeric day-first or month-first: ``29-02-2016 01:16``, ``29/2/2016 01:16:05``,
  ``2/29/2016 1:16 PM``, ``29.02.16``; two-digit years are 1969–2068;
* year first, always year-month-day: ISO 8601 ``2016-02-29T01:16:00``, ``2016/02/29 01:16``,
  with an optional ``Z`` or ``±hh:mm`` offset;
* an English month name or abbreviation (Jira): ``12/Mar/24 9:05 AM``, ``12 March 2024``.

A date alone means midnight. The order of a numeric date is the caller's or detected from
a sample (:func:`detect_date_order`): a value whose first part is above 12 proves
day-first, one whose second part is above 12 proves month-first; a sample proving neither
leaves the choice to the caller, or to day-first with a warning.

**Time zones and daylight saving.** A value with an offset is that instant. A naive value is
a wall-clock time in the source's IANA time zone, resolved as the SLA calendar resolves its
own wall times (:func:`openitsms.services.clock.resolve_wall_time`):

* a time that does not exist (inside a spring-forward gap, ``02:30`` when clocks jump from
  02:00 to 03:00) is moved to the end of the gap (03:00). Every time in the gap lands on the
  same instant, so the order of events is kept; the number of such values is reported.
* a time that occurs twice (inside a fall-back fold) is its first occurrence. Where an
  audit-log history proves the update came later (the previous update is already past the
  first occurrence), the history takes the second occurrence instead
  (:meth:`TimestampParser.second_occurrence`).

All results are aware ``datetime`` objects in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openitsms.services.clock import resolve_wall_time

DateOrder = Literal["day_first", "month_first"]

EMPTY_MARKERS: Final = frozenset(
    {"", "?", "NULL", "null", "Null", "#N/B", "#N/A", "#MULTIVALUE", "(empty)"}
)
TRUE_VALUES: Final = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_VALUES: Final = frozenset({"false", "f", "no", "n", "0", "off"})

# Cache bounds (entries): whole cells repeat locally (one record's rows); a file has few
# days and hours; times of day are at most 1,440 at minute precision. Each cache is
# emptied when full, which costs a few re-reads, never a wrong answer.
_TEXT_CACHE_LIMIT: Final = 16_384
_CACHE_LIMIT: Final = 8_192


def _split(text: str) -> tuple[str, str]:
    """A timestamp's date part and time part (empty when there is none)."""
    cut = text.find(" ")
    if cut > 0 and ":" in text[cut + 2 : cut + 4] and text[cut + 1 : cut + 2].isdigit():
        return text[:cut], text[cut + 1 :]  # the common "date h:mm" shape, without a regex
    found = _SPLIT.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], text[found.end() :]


class ValueProblem(ValueError):
    """A cell's value cannot be read as what its column holds; the message says why."""


def clean(value: str) -> str | None:
    """The value without surrounding blanks, or ``None`` for an empty marker.

    ``?`` (ServiceNow), ``NULL``, ``#N/B``/``#N/A`` (Excel), ``#MULTIVALUE`` (several values
    in one cell, as some exports write them: we cannot choose one) and ``(empty)`` all mean
    "no value".
    """
    value = value.strip()
    return None if value in EMPTY_MARKERS else value


def parse_bool(value: str) -> bool:
    """``TRUE``/``true``/``1``/``yes``/``y``/``on`` and their opposites, in any case."""
    key = value.strip().casefold()
    if key in TRUE_VALUES:
        return True
    if key in FALSE_VALUES:
        return False
    raise ValueProblem(f"{value!r} is not a yes/no value (true/false, yes/no or 1/0)")


def parse_decimal(value: str, *, decimal_comma: bool = False) -> float:
    """A number written with a decimal point, or with a decimal comma when ``decimal_comma``.

    The other mark, spaces and non-breaking spaces are taken as thousands separators.
    """
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        mark = "comma" if decimal_comma else "point"
        raise ValueProblem(f"{value!r} is not a number (decimal {mark})") from None


def parse_int(value: str, *, decimal_comma: bool = False) -> int:
    """A whole number; ``3``, ``3.0`` (or ``3,0`` with decimal commas) and ``1,234`` work."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    number = parse_decimal(text, decimal_comma=decimal_comma)
    if not number.is_integer():
        raise ValueProblem(f"{value!r} is not a whole number")
    return int(number)


_CLOCK_DURATION = re.compile(r"([-+])?\s*(\d+):([0-5]\d)(?::([0-5]\d))?")
_UNIT_DURATION = re.compile(
    r"([-+])?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?", re.IGNORECASE
)


def parse_duration(value: str, *, decimal_comma: bool = False) -> int:
    """Whole seconds of ``h:mm``, ``h:mm:ss``, ``-h:mm`` (Jira: negative = breached),
    ``2d 3h 4m 5s`` or a plain number of seconds."""
    text = value.strip()
    match = _CLOCK_DURATION.fullmatch(text)
    if match:
        sign, hours, minutes, seconds = match.groups()
        total = int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
        return -total if sign == "-" else total
    match = _UNIT_DURATION.fullmatch(text)
    if match and any(match.groups()[1:]):
        sign, days, hours, minutes, seconds = match.groups()
        total = (int(days or 0) * 86_400 + int(hours or 0) * 3600 + int(minutes or 0) * 60) + int(
            seconds or 0
        )
        return -total if sign == "-" else total
    try:
        return round(parse_decimal(text, decimal_comma=decimal_comma))
    except ValueProblem:
        raise ValueProblem(f"{value!r} is not a duration (h:mm, -h:mm, 2d 3h or seconds)") from None


# A timestamp is a date part, then optionally a time part starting at the first "h:mm".
_SPLIT = re.compile(r"[ T,]+(?=\d{1,2}:\d{2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})")
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NAMED_MONTH = re.compile(r"(\d{1,2})[-/ ]([A-Za-z]{3,9})\.?[-/ ,]+(\d{4}|\d{2})")
_CLOCK = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*([AaPp]\.?[Mm]\.?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
Clock = tuple[int, int, int, int, "timezone | None"]
_MIDNIGHT: Final[Clock] = (0, 0, 0, 0, None)
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def detect_date_order(values: Iterable[str]) -> tuple[DateOrder | None, str | None]:
    """The order of the numeric dates among ``values``, and a warning if they disagree.

    Returns ``(None, None)`` when no value proves either order (all parts 12 or less, or no
    numeric dates at all). When some values prove day-first and others month-first, the
    majority wins and the warning says so; the minority will be rejected as unreadable.
    """
    day_first = month_first = 0
    for value in values:
        match = _NUMERIC_DATE.fullmatch(_split(value.strip())[0])
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            day_first += 1
        elif second > 12 >= first:
            month_first += 1
    if not day_first and not month_first:
        return None, None
    order: DateOrder = "day_first" if day_first >= month_first else "month_first"
    if day_first and month_first:
        return order, (
            f"dates disagree: {day_first} read only as day-first and {month_first} only as "
            f"month-first; reading them {order.replace('_', '-')}"
        )
    return order, None


@dataclass
class TimestampParser:
    """Reads timestamps of one source: one date order and one IANA time zone.

    Results are cached by text (exports repeat the same minute many times), so a parser
    is cheap to call per cell; the cache is bounded. ``gaps`` and ``folds`` count the naive
    values that fell in a daylight-saving gap or fold (see the module docstring).
    """

    order: DateOrder = "day_first"
    tz: str = "UTC"
    gaps: int = field(default=0, init=False)
    folds: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        try:
            self._zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.tz!r}") from error
        self._is_utc = self.tz in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu")
        self._cache: dict[str, datetime | None] = {}
        # First occurrence -> second occurrence, for naive values inside a fold. A fold
        # lasts an hour or so a year, so this stays tiny.
        self._second: dict[datetime, datetime] = {}
        self._offsets: dict[int, timedelta] = {}  # local hour -> its UTC offset
        self._days: dict[str, tuple[int, int, int]] = {}
        self._clocks: dict[str, Clock] = {}

    def parse(self, value: str) -> datetime:
        """The aware UTC instant of ``value``; raises :class:`ValueProblem` if unreadable."""
        instant = self.cell(value)
        if instant is None:
            raise ValueProblem(f"{value!r} is empty, not a date and time")
        return instant

    def cell(self, raw: str) -> datetime | None:
        """Like :meth:`parse`, but ``None`` for an empty cell (see :func:`clean`)."""
        try:
            return self._cache[raw]
        except KeyError:
            pass
        value = clean(raw)
        instant = None if value is None else self._to_utc(self.wall_time(value))
        if len(self._cache) >= _TEXT_CACHE_LIMIT:
            self._cache.clear()
        self._cache[raw] = instant
        return instant

    def second_occurrence(self, instant: datetime) -> datetime | None:
        """For an instant read from an ambiguous naive wall time, its second occurrence."""
        return self._second.get(instant)

    def wall_time(self, value: str) -> datetime:
        """``value`` as written: naive, or aware when it carries an offset.

        The date part and the time part are read separately and each is cached, since an
        export has few distinct days and at most 86,400 distinct times of day.
        """
        date_text, clock_text = _split(value.strip())
        day = self._days.get(date_text) or self._read_day(date_text, value)
        clock = self._clocks.get(clock_text) or self._read_clock(clock_text, value)
        hour, minute, second, micro, offset = clock
        return datetime(*day, hour, minute, second, micro, tzinfo=offset)

    def _read_day(self, text: str, value: str) -> tuple[int, int, int]:
        match = _NUMERIC_DATE.fullmatch(text)
        if match:
            first, second, year = (int(part) for part in match.groups())
            day, month = (first, second) if self.order == "day_first" else (second, first)
        elif match := _YEAR_FIRST.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
        elif match := _NAMED_MONTH.fullmatch(text):
            found = _MONTHS.get(match.group(2).casefold())
            if found is None:
                raise ValueProblem(f"{value!r}: {match.group(2)!r} is not a month name")
            day, month, year = int(match.group(1)), found, int(match.group(3))
        else:
            raise ValueProblem(f"{value!r} is not a date and time this importer can read")
        if year < 100:
            year += 2000 if year < 69 else 1900
        try:
            date(year, month, day)
        except ValueError as error:
            order = self.order.replace("_", "-")
            raise ValueProblem(f"{value!r} is not a valid date ({error}; read {order})") from None
        if len(self._days) >= _CACHE_LIMIT:
            self._days.clear()
        self._days[text] = (year, month, day)
        return year, month, day

    def _read_clock(self, text: str, value: str) -> Clock:
        if not text:
            return _MIDNIGHT
        match = _CLOCK.fullmatch(text)
        if match is None:
            raise ValueProblem(f"{value!r}: {text!r} is not a time of day")
        hour_text, minute_text, second_text, fraction, meridiem, offset_text = match.groups()
        hour, minute, second = int(hour_text), int(minute_text), int(second_text or 0)
        if meridiem:
            if not 1 <= hour <= 12:
                raise ValueProblem(f"{value!r}: hour {hour} does not go with {meridiem}")
            hour = hour % 12 + (12 if meridiem[0] in "Pp" else 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueProblem(f"{value!r}: {text!r} is not a time of day")
        offset: timezone | None = None
        if offset_text == "Z":
            offset = UTC
        elif offset_text:
            sign = -1 if offset_text[0] == "-" else 1
            digits = offset_text[1:].replace(":", "")
            offset = timezone(
                sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            )
        clock: Clock = (hour, minute, second, int((fraction or "0").ljust(6, "0")), offset)
        if len(self._clocks) >= _CACHE_LIMIT:
            self._clocks.clear()
        self._clocks[text] = clock
        return clock

    def _to_utc(self, wall: datetime) -> datetime:
        if wall.tzinfo is not None:
            return wall.astimezone(UTC)
        if self._is_utc:
            return wall.replace(tzinfo=UTC)
        # Within one local hour the offset is almost always constant: keep it per hour, and
        # take the slow, exact path only for hours that hold a transition.
        hour = wall.toordinal() * 24 + wall.hour
        offset = self._offsets.get(hour)
        if offset is not None:
            return (wall - offset).replace(tzinfo=UTC)
        first = wall.replace(tzinfo=self._zone, fold=0)
        instant = first.astimezone(UTC)
        if instant.astimezone(self._zone).replace(tzinfo=None) != wall:
            self.gaps += 1
            return resolve_wall_time(wall, self._zone)
        later = wall.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        if later != instant:
            self.folds += 1
            self._second[instant] = later
            return instant
        start = wall.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1) - timedelta(microseconds=1)
        offsets = {
            moment.replace(tzinfo=self._zone, fold=fold).utcoffset()
            for moment in (start, end)
            for fold in (0, 1)
        }
        if len(offsets) == 1:
            if len(self._offsets) >= _CACHE_LIMIT:
                self._offsets.clear()
            self._offsets[hour] = cast(timedelta, offsets.pop())
        return instant

    def warnings(self) -> list[str]:
        """What daylight saving did to the values read so far, in words."""
        notes = []
        if self.gaps:
            notes.append(
                f"{self.gaps} time(s) fell in a daylight-saving gap of {self.tz} and were "
                "moved to the end of the gap"
            )
        if self.folds:
            notes.append(
                f"{self.folds} time(s) fell in a daylight-saving fold of {self.tz} (they occur "
                "twice); each was read as its first occurrence unless its history proved "
                "the second"
            )
        return notes
