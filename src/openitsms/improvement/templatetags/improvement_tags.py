"""Status badges (colour and text together) and countdowns for the improvement and audit pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Every status value of these two apps and the tone it is shown in.
TONES = {
    # good
    "done": "ok",
    "closed": "ok",
    "ready": "ok",
    "passed": "ok",
    "completed": "ok",
    "approved": "ok",
    "conforms": "ok",
    "good_practice": "ok",
    "audited": "ok",
    "held": "ok",
    "valid": "ok",
    # under way
    "in_progress": "info",
    "action": "info",
    "verification": "info",
    "proposed": "info",
    "planned": "info",
    "observation": "info",
    "ofi": "info",
    "plan_submitted": "info",
    "noted": "info",
    "medium": "info",
    # needs attention
    "open": "warn",
    "analysis": "warn",
    "minor": "warn",
    "minor_nc": "warn",
    "partly": "warn",
    "todo": "warn",
    "awaiting_plan": "warn",
    "high": "warn",
    "pending": "warn",
    # bad
    "overdue": "bad",
    "major": "bad",
    "major_nc": "bad",
    "failed": "bad",
    "gap": "bad",
    "missed": "bad",
    "urgent": "bad",
    "expired": "bad",
    # timeline entries
    "raised": "info",
    "check": "info",
    "closure_refused": "bad",
    "reopened": "bad",
    "comment": "muted",
    # settled or quiet
    "cancelled": "muted",
    "rejected": "muted",
    "not_checked": "muted",
    "low": "muted",
}


# Labels for values shown without one.
LABELS = {"missed": "Not checked", "gap": "Not covered", "partly": "Partly audited"}


@register.simple_tag
def badge(value: Any, label: Any = None, testid: str = "") -> SafeString:
    """``<span class="badge tone-…">label</span>``: status by colour and by text."""
    value = str(getattr(value, "value", value) or "")
    text = (
        label
        if label not in (None, "")
        else LABELS.get(value, value.replace("_", " ").capitalize())
    )
    tone = TONES.get(value, "muted")
    if testid:
        return format_html(
            '<span class="badge tone-{}" data-testid="{}">{}</span>', tone, testid, text
        )
    return format_html('<span class="badge tone-{}">{}</span>', tone, text)


@register.filter
def tone(value: Any) -> str:
    return TONES.get(str(getattr(value, "value", value) or ""), "muted")


@register.filter
def countdown(days: int | None) -> str:
    """12 → "12 days left"; 0 → "due today"; -3 → "3 days overdue"."""
    if days is None:
        return ""
    if days == 0:
        return "due today"
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{-days} day{'s' if days != -1 else ''} overdue"


@register.filter
def days_until(due: date | None, today: date) -> int | None:
    if due is None or today is None:
        return None
    return (due - today).days


@register.filter
def person(user: Any) -> str:
    """A member's name as people read it."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username
