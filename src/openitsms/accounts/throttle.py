"""Login throttling, counted from the audit trail's failed-login entries.

Counting from the trail (rather than a cache) means the limit holds across processes and
restarts, and every failed attempt is on record. Attempts refused while locked are not
recorded again, so that an attacker hammering a locked account does not grow the trail.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from openitsms.audit.choices import AuditAction
from openitsms.audit.models import AuditEvent


def username_key(username: str) -> str:
    return f"login:{username.strip().lower()}"[:300]


def recent_failures(username: str) -> int:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, object_repr=username_key(username), at__gte=since
    ).count()


def is_locked(username: str) -> bool:
    return recent_failures(username) >= settings.LOGIN_FAILURE_LIMIT


def minutes_to_wait() -> int:
    return max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
