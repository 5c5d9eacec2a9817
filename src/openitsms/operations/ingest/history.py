"""Status and priority histories: rebuilt from audit-log rows, or from milestone columns.

**Audit-log rows** (one row per update) are taken in order of their update number
(``sys_mod_count``), then update time, then file row; without update numbers, by time then
row. Then:

* Two rows with the same update number are copies of one update that disagree. Those
  whose time fits between the updates before and after are kept; the others are left out
  of the history and named in the record's notes. (The shared ServiceNow sample has five
  such rows, each timed before its incident was even opened, or after the next update.)
* An ambiguous wall time (daylight-saving fold) that would go backwards is read as its
  second occurrence (see :mod:`.values`).
* Any other time that goes backwards makes the history out of order: the record is
  rejected, naming the row.
* The first entry starts at the opened time when that is earlier than the first update
  (the ticket held its first status from its opening); statuses mapped to ``keep_previous``
  keep the status before them; an entry that repeats the previous status, source status
  and group is dropped.

**Milestones** (one row per record): ``opened`` -> new, ``responded`` -> in progress,
``resolved`` -> resolved, ``closed`` -> closed (or cancelled), each when present and in that
order — a milestone earlier than the one before it is a rejection — then the current status
at the last update time when it differs from the last milestone's (a reopened ticket shows
as resolved then in progress). The current assignment group is taken to have held the
record throughout: a one-row export does not say who held it before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple, cast

from .records import DONE_STATUSES, Priority, PriorityEntry, Status, StatusEntry
from .valuemaps import KEEP_PREVIOUS

Values = Mapping[str, Any]

_MILESTONES: Final = (
    ("opened_at", "opened", "new"),
    ("responded_at", "responded", "in_progress"),
    ("resolved_at", "resolved", "resolved"),
    ("closed_at", "closed", "closed"),
)


class Update(NamedTuple):
    """What one audit-log row says about the history (``status`` may be ``keep_previous``)."""

    row_number: int
    seq: int | None
    at: datetime
    status: Status
    source_status: str | None
    group: str | None
    priority: Priority | None


class HistoryOutOfOrder(Exception):
    """The updates contradict their own order; ``row_number`` is the offending row."""

    def __init__(self, row_number: int, message: str) -> None:
        super().__init__(message)
        self.row_number = row_number
        self.message = message


def order_updates(
    updates: Sequence[Update],
    second_occurrence: Callable[[datetime], datetime | None],
    describe: Callable[[datetime], str],
) -> tuple[list[Update], list[str]]:
    """The updates in history order, less conflicting copies, and notes on what was done.

    Raises :class:`HistoryOutOfOrder` when a kept update's time goes backwards.
    ``describe`` writes an instant for the messages (in the source's own terms).
    """
    numbered = any(update.seq is not None for update in updates)
    if _in_order(updates, numbered):
        return list(updates), []  # the usual case: nothing to sort or decide
    ordered = sorted(
        updates,
        key=lambda u: ((u.seq if u.seq is not None else -1) if numbered else 0, u.at, u.row_number),
    )
    kept: list[Update] = []
    notes: list[str] = []

    def effective(update: Update) -> Update:
        """The update, with its second occurrence if a fold makes it go backwards."""
        if kept and update.at < kept[-1].at:
            later = second_occurrence(update.at)
            if later is not None and later >= kept[-1].at:
                return update._replace(at=later)
        return update

    start = 0
    while start < len(ordered):
        end = start + 1
        if numbered:
            while end < len(ordered) and ordered[end].seq == ordered[start].seq:
                end += 1
        block = [effective(update) for update in ordered[start:end]]
        if len(block) > 1:
            after = ordered[end].at if end < len(ordered) else None
            fits = [
                u
                for u in block
                if (not kept or u.at >= kept[-1].at) and (after is None or u.at <= after)
            ]
            if fits:
                rows = ", ".join(str(u.row_number) for u in fits)
                for u in block:
                    if all(u is not fit for fit in fits):
                        notes.append(
                            f"row {u.row_number} repeats update {u.seq} (kept: row {rows}) "
                            f"at {describe(u.at)}, out of time order; left out of the history"
                        )
                block = sorted(fits, key=lambda u: (u.at, u.row_number))
        for update in block:
            update = effective(update)
            if kept and update.at < kept[-1].at:
                before = kept[-1]
                raise HistoryOutOfOrder(
                    update.row_number,
                    f"history out of order: update {_label(update)} at {describe(update.at)} "
                    f"(row {update.row_number}) is earlier than update {_label(before)} at "
                    f"{describe(before.at)} (row {before.row_number})",
                )
            kept.append(update)
        start = end
    return kept, notes


def _in_order(updates: Sequence[Update], numbered: bool) -> bool:
    """Whether the updates are in history order as given, with distinct update numbers."""
    for before, after in zip(updates, updates[1:], strict=False):
        if after.at < before.at:
            return False
        if numbered and (before.seq is None or after.seq is None or after.seq <= before.seq):
            return False
    return True


def _label(update: Update) -> str:
    return str(update.seq) if update.seq is not None else f"on row {update.row_number}"


def audit_history(
    updates: Sequence[Update], opened_at: datetime | None
) -> tuple[list[StatusEntry], list[PriorityEntry]]:
    """Status and priority histories of updates already in history order."""
    statuses: list[StatusEntry] = []
    priorities: list[PriorityEntry] = []
    previous_status: Status | None = None
    previous_source: str | None = None
    for position, update in enumerate(updates):
        at = update.at
        if position == 0 and opened_at is not None and opened_at < at:
            at = opened_at
        status = update.status
        source_status = update.source_status
        if update.status == KEEP_PREVIOUS:
            status = previous_status or "new"
            source_status = previous_source
        group = update.group
        last = statuses[-1] if statuses else None
        if last is None or (last.status, last.group, last.source_status) != (
            status,
            group,
            source_status,
        ):
            statuses.append(
                StatusEntry(at, status, group, source_status, update.seq, update.row_number)
            )
        previous_status, previous_source = status, source_status
        priority = update.priority
        if priority is not None and (not priorities or priorities[-1].priority != priority):
            priorities.append(PriorityEntry(at, priority))
    return statuses, priorities


def milestone_history(
    values: Values, status: Status, row_number: int
) -> tuple[list[StatusEntry], list[PriorityEntry]]:
    """Histories of a one-row record from its milestone columns (see the module docstring).

    Raises :class:`HistoryOutOfOrder` when a milestone is earlier than the one before it.
    """
    group = values.get("assignment_group")
    source_status = values.get("source_status")
    entries: list[StatusEntry] = []
    previous: tuple[str, datetime] | None = None
    for name, label, milestone_status in _MILESTONES:
        at = values.get(name)
        if at is None:
            continue
        if previous is not None and at < previous[1]:
            raise HistoryOutOfOrder(
                row_number,
                f"history out of order: the {label} time ({at:%Y-%m-%d %H:%M} UTC) is earlier "
                f"than the {previous[0]} time ({previous[1]:%Y-%m-%d %H:%M} UTC)",
            )
        previous = (label, at)
        entry_status = cast(Status, milestone_status)
        if name == "closed_at" and status == "cancelled":
            entry_status = "cancelled"
        if entries and entries[-1].status == entry_status:
            continue
        entries.append(StatusEntry(at, entry_status, group, None, None, None))
    if entries and entries[-1].status != status:
        updated = values.get("updated_at")
        at = updated if updated is not None and updated >= entries[-1].at else entries[-1].at
        entries.append(StatusEntry(at, status, group, source_status, None, row_number))
    elif entries:
        last = entries[-1]
        entries[-1] = StatusEntry(last.at, last.status, group, source_status, None, row_number)
    priority: Priority | None = values.get("priority")
    opened = values.get("opened_at")
    priorities = [PriorityEntry(opened, priority)] if priority and opened else []
    return entries, priorities


def reopens(history: Sequence[StatusEntry]) -> int:
    """How often the history leaves a done status (resolved, closed, cancelled) for another."""
    count = 0
    for before, after in zip(history, history[1:], strict=False):
        if before.status in DONE_STATUSES and after.status not in DONE_STATUSES:
            count += 1
    return count


def reassignments(history: Sequence[StatusEntry]) -> int:
    """How often the holding group changes from one group to another."""
    count = 0
    held: str | None = None
    for entry in history:
        if entry.group is not None:
            if held is not None and entry.group != held:
                count += 1
            held = entry.group
    return count


def last_entry_into(history: Sequence[StatusEntry], status: Status) -> datetime | None:
    """When the history last entered ``status`` (``None`` if it never did)."""
    found: datetime | None = None
    for before, entry in zip((None, *history), history, strict=False):
        if entry.status == status and (before is None or before.status != status):
            found = entry.at
    return found
