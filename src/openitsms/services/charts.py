"""Pictures of the services app: a business calendar's week and availability trends.

Both are drawn with :mod:`openitsms.lib.svgcharts` and come with the rows of a text table
that says the same thing, for screen readers and for anyone who prefers numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString

from openitsms.lib.svgcharts import COLOURS, Bar, Svg, bar_chart, nice_floor
from openitsms.services.availability import ServiceAvailability
from openitsms.services.clock import resolve_wall_time
from openitsms.services.models import Calendar

HOUR_PX = 15.0
DAY_PX = 96.0
AXIS_PX = 44.0
HEAD_PX = 46.0


@dataclass
class DayOfWeek:
    """One day of the pictured week: its working hours as wall-clock text, and why it is
    closed if it is (a public holiday or a closure)."""

    day: date
    pieces: list[tuple[float, float]] = field(default_factory=list)  # wall-clock hours
    closed_because: str = ""

    @property
    def hours_text(self) -> list[str]:
        return [f"{_clock(start)}–{_clock(end)}" for start, end in self.pieces]

    @property
    def total_hours(self) -> float:
        return sum(end - start for start, end in self.pieces)


@dataclass(frozen=True)
class WeekPicture:
    svg: SafeString
    days: list[DayOfWeek]
    week_start: date

    @property
    def previous_week(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.week_start + timedelta(days=7)


def _clock(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _wall_hours(moment: datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_picture(calendar: Calendar, any_day: date) -> WeekPicture:
    """The week (Monday to Sunday) containing ``any_day``: 7 columns of 24 wall-clock hours,
    working time shaded, public holidays and closures hatched and named."""
    start_day = monday_of(any_day)
    days = [DayOfWeek(start_day + timedelta(days=offset)) for offset in range(7)]
    zone = ZoneInfo(calendar.time_zone)
    years = sorted({start_day.year - 1, start_day.year, start_day.year + 1})
    business = calendar.to_business_calendar(years)
    holidays = calendar.public_holidays(years) if not calendar.is_builtin else {}
    closures = calendar.closure_dates() if not calendar.is_builtin else {}
    for entry in days:
        if entry.day in closures:
            entry.closed_because = f"Closed: {closures[entry.day]}"
        elif entry.day in holidays:
            entry.closed_because = f"Public holiday: {holidays[entry.day]}"

    start = resolve_wall_time(datetime.combine(start_day, time(0)), zone)
    end = resolve_wall_time(datetime.combine(start_day + timedelta(days=7), time(0)), zone)
    for open_at, close_at in business.working_intervals(start, end):
        local_start, local_end = open_at.astimezone(zone), close_at.astimezone(zone)
        while local_start < local_end:
            index = (local_start.date() - start_day).days
            if local_end.date() > local_start.date():
                piece_end = 24.0
                following = datetime.combine(local_start.date() + timedelta(days=1), time(0))
                next_start = resolve_wall_time(following, zone).astimezone(zone)
            else:
                piece_end = _wall_hours(local_end)
                next_start = local_end
            if 0 <= index < 7 and piece_end > _wall_hours(local_start):
                days[index].pieces.append((_wall_hours(local_start), piece_end))
            local_start = next_start

    total = sum(entry.total_hours for entry in days)
    width, height = AXIS_PX + 7 * DAY_PX + 8, HEAD_PX + 24 * HOUR_PX + 10
    svg = Svg(
        width,
        height,
        title=f"Working hours of {calendar.name}, week of {start_day:%d %B %Y}",
        description=(
            f"{_clock(total)} working hours in the week, in {calendar.time_zone}. "
            + "; ".join(
                f"{entry.day:%A}: "
                + (", ".join(entry.hours_text) or "closed")
                + (f" ({entry.closed_because})" if entry.closed_because else "")
                for entry in days
            )
        ),
    )
    closed_fill = svg.hatch("closed", "#e9cf8c")
    for hour in range(0, 25, 3):
        y = HEAD_PX + hour * HOUR_PX
        svg.line(AXIS_PX, y, width - 8, y, stroke=COLOURS["grid"], stroke_width=1)
        svg.text(
            AXIS_PX - 6, y + 4, f"{hour:02d}:00", size=10, text_anchor="end", fill=COLOURS["muted"]
        )
    for index, entry in enumerate(days):
        x = AXIS_PX + index * DAY_PX
        svg.text(
            x + DAY_PX / 2,
            16,
            f"{entry.day:%a %d %b}",
            size=12,
            text_anchor="middle",
            font_weight="600",
        )
        if entry.closed_because:
            svg.rect(
                x + 2,
                HEAD_PX,
                DAY_PX - 4,
                24 * HOUR_PX,
                fill=closed_fill,
                tooltip=entry.closed_because,
            )
            label = "Holiday" if entry.closed_because.startswith("Public") else "Closed"
            svg.text(
                x + DAY_PX / 2,
                34,
                label,
                size=11,
                text_anchor="middle",
                fill=COLOURS["warn"],
                font_weight="600",
            )
        else:
            svg.rect(
                x + 2,
                HEAD_PX,
                DAY_PX - 4,
                24 * HOUR_PX,
                fill=COLOURS["paper"],
                stroke=COLOURS["grid"],
            )
        for piece_start, piece_end in entry.pieces:
            svg.rect(
                x + 6,
                HEAD_PX + piece_start * HOUR_PX,
                DAY_PX - 12,
                (piece_end - piece_start) * HOUR_PX,
                fill=COLOURS["neutral"],
                tooltip=f"{entry.day:%A} {_clock(piece_start)}–{_clock(piece_end)}",
            )
    return WeekPicture(svg=svg.render(), days=days, week_start=start_day)


def percent_label(value: float | None) -> str:
    return "no hours" if value is None else f"{value:.3f}".rstrip("0").rstrip(".") + " %"


def availability_chart(trend: Sequence[ServiceAvailability], *, service_name: str) -> SafeString:
    """Monthly availability as bars against the monthly target, green when met, red when
    missed, each labelled with its value and "met"/"missed"."""
    bars = []
    targets = [row.target.percent for row in trend if row.target is not None]
    for row in trend:
        percent = row.figures.percent
        met = row.target_met
        status = "neutral" if met is None else ("ok" if met else "bad")
        bars.append(
            Bar(
                label=row.period.first_day.strftime("%b %y"),
                value=None if percent is None else float(percent),
                status=status,
                value_label=""
                if percent is None
                else percent_label(float(percent)).removesuffix(" %"),
                note="" if met is None else ("met" if met else "missed"),
            )
        )
    values = [bar.value for bar in bars if bar.value is not None] + [float(t) for t in targets]
    lowest = min(values, default=99.0)
    y_min = min(nice_floor(lowest - 0.25, 0.5), 99.0)
    reference = float(max(targets)) if targets else None
    return bar_chart(
        bars,
        title=f"Availability of {service_name}, month by month",
        description=(
            "; ".join(
                f"{bar.label}: {bar.value_label}" + (f", target {bar.note}" if bar.note else "")
                for bar in bars
            )
        ),
        y_min=max(y_min, 0.0),
        y_max=100.0,
        reference=reference,
        reference_label=f"target {percent_label(reference)}" if reference is not None else "",
        unit=" %",
    )
