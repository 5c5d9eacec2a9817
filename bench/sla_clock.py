"""Benchmark of the bulk SLA clock (openitsms.services.clock.compute_clocks_bulk).

1. The bulk clock on 100,000 and 1,000,000 synthetic tickets with realistic histories: pauses,
   several pauses, reopenings, tickets still open, weekends, English bank holidays, both 2024
   daylight-saving changes, in a Europe/London 09:00–17:00 calendar.
2. Side by side, on the no-pause case (New → Active → Resolved: the resolution clock's elapsed
   time is then the plain business duration from opening to resolution), the businesstimedelta
   package and pandas' CustomBusinessHour compute the same durations, and the results are
   checked equal. Both are far too slow for a million tickets, so they run on a random sample
   and their time is extrapolated per ticket (the table says so).

Run from the repository root (see bench/README.md):

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/sla_clock.py                     # prints the table
    .venv/bin/python bench/sla_clock.py --write-docs        # and writes docs/performance.md

Not part of the test suite: it measures this machine, and takes a minute or two.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from openitsms.services.clock import MISSING, BusinessCalendar, ClockColumns, compute_clocks_bulk

ROOT = Path(__file__).resolve().parent.parent
ZONE = "Europe/London"
OPEN, CLOSE = time(9), time(17)
FIRST_OPENED = datetime(2024, 1, 2, tzinfo=UTC)
LAST_OPENED = datetime(2024, 11, 29, tzinfo=UTC)
AS_OF = datetime(2025, 1, 6, 12, tzinfo=UTC)
RESOLUTION_TARGET_S = 2 * 8 * 3600  # two business days
RESPONSE_TARGET_S = 1 * 3600

# Status codes and what they mean to the clock (Pending pauses; Resolved and Closed stop the
# resolution clock; anything after New is a response).
NEW, ACTIVE, PENDING, RESOLVED, CLOSED = range(5)
STATUSES = ("New", "Active", "Pending", "Resolved", "Closed")
# Histories (status sequences) and how often each occurs.
PATTERNS: list[tuple[float, tuple[int, ...]]] = [
    (0.42, (NEW, ACTIVE, RESOLVED, CLOSED)),
    (0.22, (NEW, ACTIVE, PENDING, ACTIVE, RESOLVED, CLOSED)),
    (0.08, (NEW, ACTIVE, PENDING, ACTIVE, PENDING, ACTIVE, RESOLVED, CLOSED)),
    (0.10, (NEW, ACTIVE, RESOLVED, ACTIVE, RESOLVED, CLOSED)),  # reopened
    (0.10, (NEW, ACTIVE, PENDING, ACTIVE, RESOLVED)),
    (0.08, (NEW, ACTIVE, PENDING)),  # still open, waiting on the customer
]
# Mean time spent in each status before the next change, in hours (exponential).
MEAN_HOURS = {NEW: 1.5, ACTIVE: 14.0, PENDING: 30.0, RESOLVED: 40.0, CLOSED: 1.0}


def office_calendar() -> BusinessCalendar:
    week = {day: [(OPEN, CLOSE)] for day in range(5)}
    return BusinessCalendar(ZONE, week).with_public_holidays("GB", "ENG", years=range(2023, 2031))


@dataclass
class Tickets:
    columns: ClockColumns
    opened: np.ndarray  # epoch seconds per ticket
    resolved: np.ndarray  # first Resolved, epoch seconds (MISSING if never)


def synthetic_tickets(
    n: int, *, seed: int, patterns: list[tuple[float, tuple[int, ...]]]
) -> Tickets:
    """``n`` tickets, their rows in replay order (by ticket, then time), as an ordered query
    would return them."""
    rng = np.random.default_rng(seed)
    weights = np.asarray([weight for weight, _ in patterns])
    chosen = np.sort(rng.choice(len(patterns), size=n, p=weights / weights.sum()))
    first_s, last_s = int(FIRST_OPENED.timestamp()), int(LAST_OPENED.timestamp())
    opened = rng.integers(first_s, last_s, size=n, dtype=np.int64)
    tickets, instants, statuses = [], [], []
    resolved = np.full(n, MISSING, dtype=np.int64)
    for index, (_weight, sequence) in enumerate(patterns):
        members = np.flatnonzero(chosen == index)
        if not members.size:
            continue
        steps = np.asarray(sequence, dtype=np.int32)
        means = np.asarray([MEAN_HOURS[s] * 3600 for s in sequence[:-1]])
        gaps = rng.exponential(means, size=(members.size, len(sequence) - 1)).astype(np.int64) + 60
        at = np.empty((members.size, len(sequence)), dtype=np.int64)
        at[:, 0] = opened[members]
        at[:, 1:] = opened[members, None] + np.cumsum(gaps, axis=1)
        tickets.append(np.repeat(members, len(sequence)))
        instants.append(at.ravel())
        statuses.append(np.tile(steps, members.size))
        if RESOLVED in sequence:
            resolved[members] = at[:, sequence.index(RESOLVED)]
    ticket = np.concatenate(tickets)
    at = np.concatenate(instants)
    status = np.concatenate(statuses)
    order = np.argsort(ticket, kind="stable")  # tickets were drawn sorted by pattern
    ticket, at, status = ticket[order], at[order], status[order]
    columns = ClockColumns(
        n_tickets=n,
        ticket=ticket,
        at=at,
        is_pause=status == PENDING,
        is_stop_response=status != NEW,
        is_stop_resolution=(status == RESOLVED) | (status == CLOSED),
        status=status,
        group=rng.integers(0, 3, size=ticket.size).astype(np.int32),
        statuses=STATUSES,
        groups=("Service Desk", "Network", "Applications"),
    )
    return Tickets(columns, opened, resolved)


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first run, best of ``repeat``, result) in seconds."""
    times = []
    result = None
    for _ in range(repeat):
        started = clock.perf_counter()
        result = function()
        times.append(clock.perf_counter() - started)
    return times[0], min(times), result


# --- the two packages we compare with ------------------------------------------------------


def businesstimedelta_durations(
    calendar: BusinessCalendar, starts: list[datetime], ends: list[datetime]
) -> list[int]:
    import businesstimedelta
    import pytz

    zone = pytz.timezone(ZONE)
    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=OPEN, end_time=CLOSE, working_days=[0, 1, 2, 3, 4], tz=zone
            ),
            businesstimedelta.HolidayRule(calendar.holidays, tz=zone),
        ]
    )
    return [
        rules.difference(start, end).timedelta // timedelta(seconds=1)
        for start, end in zip(starts, ends, strict=True)
    ]


def pandas_durations(
    calendar: BusinessCalendar, starts: list[datetime], ends: list[datetime]
) -> list[int]:
    """Business seconds with pandas' CustomBusinessHour on the local wall clock.

    pandas has no "business time between two instants"; the offset only moves forward. So:
    roll both ends forward onto business time, count the whole business hours between them
    with ``date_range(freq=CustomBusinessHour)``, and add the part of an hour left over (which
    may run past one closing time into the next opening).
    """
    import pandas as pd

    zone = ZoneInfo(ZONE)
    hour = pd.offsets.CustomBusinessHour(
        start=OPEN.strftime("%H:%M"),
        end=CLOSE.strftime("%H:%M"),
        weekmask="Mon Tue Wed Thu Fri",
        holidays=sorted(calendar.holidays),
    )
    durations = []
    for start, end in zip(starts, ends, strict=True):
        first = hour.rollforward(pd.Timestamp(start.astimezone(zone).replace(tzinfo=None)))
        last = hour.rollforward(pd.Timestamp(end.astimezone(zone).replace(tzinfo=None)))
        if last <= first:
            durations.append(0)
            continue
        ticks = pd.date_range(first, last, freq=hour)
        whole, tick = len(ticks) - 1, ticks[-1]
        if tick.date() == last.date():
            left_over = (last - tick).total_seconds()
        else:
            closing = pd.Timestamp(datetime.combine(tick.date(), CLOSE))
            opening = pd.Timestamp(datetime.combine(last.date(), OPEN))
            left_over = (closing - tick).total_seconds() + (last - opening).total_seconds()
        durations.append(whole * 3600 + int(left_over))
    return durations


# --- the runs ------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    tickets: int
    rows: int
    first_s: float
    best_s: float
    per_ticket_us: float
    note: str = ""


def bulk_runs(calendar: BusinessCalendar, sizes: list[int], repeat: int) -> list[Row]:
    rows = []
    for n in sizes:
        data = synthetic_tickets(n, seed=20240331, patterns=PATTERNS)
        columns = data.columns
        for kind, target in (("resolution", RESOLUTION_TARGET_S), ("response", RESPONSE_TARGET_S)):
            first, best, result = timed(
                lambda kind=kind, target=target, columns=columns: compute_clocks_bulk(
                    columns, kind=kind, target_s=target, calendar=calendar, as_of=AS_OF
                ),
                repeat,
            )
            assert result.has_clock.all() and not result.error.any()
            paused = int((result.paused_s > 0).sum())
            rows.append(
                Row(
                    f"bulk clock, {kind}, with pauses and reopenings",
                    n,
                    columns.ticket.size,
                    first,
                    best,
                    best / n * 1e6,
                    f"{paused / n:.0%} of tickets paused, {result.breached.mean():.0%} breached",
                )
            )
        shuffle = np.random.default_rng(7).permutation(columns.ticket.size)
        shuffled = ClockColumns(
            n_tickets=n,
            ticket=columns.ticket[shuffle],
            at=columns.at[shuffle],
            is_pause=columns.is_pause[shuffle],
            is_stop_response=columns.is_stop_response[shuffle],
            is_stop_resolution=columns.is_stop_resolution[shuffle],
            status=columns.status[shuffle],
            group=columns.group[shuffle],
        )
        first, best, _ = timed(
            lambda shuffled=shuffled: compute_clocks_bulk(
                shuffled,
                kind="resolution",
                target_s=RESOLUTION_TARGET_S,
                calendar=calendar,
                as_of=AS_OF,
            ),
            repeat,
        )
        rows.append(
            Row(
                "bulk clock, resolution, rows shuffled (the clock sorts them)",
                n,
                columns.ticket.size,
                first,
                best,
                best / n * 1e6,
            )
        )
        numbered = ClockColumns(**{**columns.__dict__, "seq": np.arange(columns.ticket.size)})
        first, best, _ = timed(
            lambda numbered=numbered: compute_clocks_bulk(
                numbered,
                kind="resolution",
                target_s=RESOLUTION_TARGET_S,
                calendar=calendar,
                as_of=AS_OF,
            ),
            repeat,
        )
        rows.append(
            Row(
                "bulk clock, resolution, with sequence numbers checked (bad input)",
                n,
                columns.ticket.size,
                first,
                best,
                best / n * 1e6,
            )
        )
    return rows


def comparison(
    calendar: BusinessCalendar, n: int, repeat: int, sample_btd: int, sample_pandas: int
) -> tuple[list[Row], dict[str, float]]:
    """The no-pause case: bulk on all ``n`` tickets; the packages on samples, checked equal."""
    data = synthetic_tickets(n, seed=20241027, patterns=[(1.0, (NEW, ACTIVE, RESOLVED))])
    first, best, result = timed(
        lambda: compute_clocks_bulk(
            data.columns,
            kind="resolution",
            target_s=RESOLUTION_TARGET_S,
            calendar=calendar,
            as_of=AS_OF,
        ),
        repeat,
    )
    bulk = result.elapsed_business_s
    # The bulk clock's figure is the business time from opening to resolution.
    assert (result.stopped_at == data.resolved).all()
    rng = np.random.default_rng(11)
    rows = [
        Row(
            "bulk clock, no pauses (business duration opened → resolved)",
            n,
            data.columns.ticket.size,
            first,
            best,
            best / n * 1e6,
            "all tickets",
        )
    ]
    speedups = {}
    for name, function, size in (
        ("businesstimedelta", businesstimedelta_durations, sample_btd),
        ("pandas CustomBusinessHour", pandas_durations, sample_pandas),
    ):
        sample = np.sort(rng.choice(n, size=min(size, n), replace=False))
        starts = [datetime.fromtimestamp(int(s), UTC) for s in data.opened[sample]]
        ends = [datetime.fromtimestamp(int(s), UTC) for s in data.resolved[sample]]
        started = clock.perf_counter()
        theirs = function(calendar, starts, ends)
        spent = clock.perf_counter() - started
        mismatches = int((np.asarray(theirs) != bulk[sample]).sum())
        if mismatches:
            raise SystemExit(
                f"{name} disagrees with the bulk clock on {mismatches} of {sample.size} tickets"
            )
        per_ticket = spent / sample.size
        rows.append(
            Row(
                f"{name}, no pauses, same durations",
                n,
                0,
                float("nan"),
                per_ticket * n,
                per_ticket * 1e6,
                f"measured on {sample.size:,} random tickets ({spent:.1f} s), "
                f"extrapolated to {n:,}; all equal to the bulk clock",
            )
        )
        speedups[name] = per_ticket * n / best
    return rows, speedups


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, {platform.system()} {platform.release()}; "
        f"load average {load:.2f} at the start"
    )


def markdown(rows: list[Row], speedups: dict[str, float], header: str) -> str:
    lines = [
        header,
        "",
        "| what | tickets | rows | first run (s) | best (s) | µs per ticket | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        first = "—" if row.first_s != row.first_s else f"{row.first_s:.3f}"
        best = f"{row.best_s:.3f}" if row.rows else f"≈ {row.best_s:,.0f} (extrapolated)"
        rows_text = f"{row.rows:,}" if row.rows else "—"
        lines.append(
            f"| {row.what} | {row.tickets:,} | {rows_text} | {first} | {best} | "
            f"{row.per_ticket_us:,.2f} | {row.note} |"
        )
    lines.append("")
    for name, factor in speedups.items():
        lines.append(f"- bulk clock vs {name}: **{factor:,.0f}×** faster on the same durations")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    parser.add_argument("--sample-btd", type=int, default=5_000)
    parser.add_argument("--sample-pandas", type=int, default=300)
    parser.add_argument("--write-docs", action="store_true", help="write docs/performance.md")
    args = parser.parse_args()

    calendar = office_calendar()
    started = datetime.now(UTC)
    rows = bulk_runs(calendar, args.tickets, args.repeat)
    compare_rows, speedups = comparison(
        calendar, max(args.tickets), args.repeat, args.sample_btd, args.sample_pandas
    )
    header = f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}."
    table = markdown(rows + compare_rows, speedups, header)
    print(table)
    with_pauses = [
        r
        for r in rows
        if r.tickets == 1_000_000 and r.what.startswith("bulk clock, resolution, with pauses")
    ]
    if with_pauses:
        verdict = "met" if with_pauses[0].best_s < 2 else "NOT met"
        seconds = with_pauses[0].best_s
        print(f"\n1,000,000 tickets with pauses: {seconds:.3f} s (target < 2 s: {verdict})")
    for name, target in (("businesstimedelta", 100), ("pandas CustomBusinessHour", 30)):
        if name in speedups:
            verdict = "met" if speedups[name] >= target else "NOT met"
            print(f"{name}: {speedups[name]:,.0f}× (target ≥ {target}×: {verdict})")
    if args.write_docs:
        write_docs(table)


def write_docs(table: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else ""
    begin, end = "<!-- sla-clock-benchmark:start -->", "<!-- sla-clock-benchmark:end -->"
    block = f"{begin}\n{table}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        raise SystemExit(f"{path} has no {begin} … {end} markers to write the table between")
    path.write_text(text)
    print(f"\nwrote the table to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
