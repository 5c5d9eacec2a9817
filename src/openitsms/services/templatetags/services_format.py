"""Formatting for the services pages: durations in words, percentages, status badges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``45 s``; an em dash for none."""
    if seconds is None or seconds == "":
        return "—"
    total = int(seconds)
    if total == 0:
        return "0 min"
    days, rest = divmod(abs(total), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    if not parts:
        parts.append(f"{secs} s")
    return ("−" if total < 0 else "") + " ".join(parts[:2])


@register.filter
def percent(value: Decimal | float | None) -> str:
    """``99.95 %`` (up to three decimals, no trailing zeros); a dash for none."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.3f}".rstrip("0").rstrip(".")
    return f"{text} %"


@register.filter
def met_badge_class(met: bool | None) -> str:
    return {True: "badge ok", False: "badge bad", None: "badge"}[met]


@register.filter
def met_label(met: bool | None) -> str:
    return {True: "Met", False: "Missed", None: "No target"}[met]


@register.filter
def hours(seconds: Any) -> str:
    """Service time in hours and minutes, never days: ``30 h``, ``1 h 30 min``, ``15 min``.

    A "day" of service time would read as 24 hours; targets and committed hours are in
    business hours, so they are shown as hours.
    """
    if seconds is None or seconds == "":
        return "—"
    total_minutes = round(int(seconds) / 60)
    whole_hours, minutes = divmod(total_minutes, 60)
    if not whole_hours:
        return f"{minutes} min"
    return f"{whole_hours:,} h" + (f" {minutes} min" if minutes else "")
