"""Appending to the audit trail. All writers go through :func:`record`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from openitsms.audit.choices import AuditAction
from openitsms.audit.context import Actor, current_actor
from openitsms.audit.models import GENESIS_HASH, AuditEvent, AuditHead, plain

# An arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
_PG_LOCK_KEY = 20000_1_2018


def record(
    *,
    action: str,
    obj: Model | None = None,
    organisation_id: int | None = None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    """Append one entry to the chain, in its own transaction (or the caller's)."""
    actor = actor or current_actor()
    if organisation_id is None and obj is not None:
        organisation_id = getattr(obj, "audit_organisation_id", None)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor.user_id,
            actor_label=actor.label[:200],
            organisation_id=organisation_id,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=(object_repr if object_repr is not None else str(obj or ""))[:300],
            changes=plain(changes or {}),
            remote_addr=actor.remote_addr[:64],
            prev_hash=head.hash if head.seq else GENESIS_HASH,
        )
        event.hash = event.compute_hash()
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class PendingEvent:
    """One entry for :func:`record_many`."""

    action: str
    obj: Model | None = None
    organisation_id: int | None = None
    changes: dict[str, Any] | None = None
    object_repr: str | None = None


def record_many(events: Iterable[PendingEvent], *, actor: Actor | None = None) -> int:
    """Append many entries in one transaction (imports): one lock, one head update.

    The chain is the same as if each entry had been recorded on its own; only the cost differs.
    """
    actor = actor or current_actor()
    rows: list[AuditEvent] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev = head.seq, (head.hash if head.seq else GENESIS_HASH)
        now = timezone.now()
        for pending in events:
            obj = pending.obj
            organisation_id = pending.organisation_id
            if organisation_id is None and obj is not None:
                organisation_id = getattr(obj, "audit_organisation_id", None)
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=now,
                actor_id=actor.user_id,
                actor_label=actor.label[:200],
                organisation_id=organisation_id,
                action=pending.action,
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
                object_repr=(
                    pending.object_repr if pending.object_repr is not None else str(obj or "")
                )[:300],
                changes=plain(pending.changes or {}),
                remote_addr=actor.remote_addr[:64],
                prev_hash=prev,
            )
            event.hash = event.compute_hash()
            prev = event.hash
            rows.append(event)
            if len(rows) >= 2000:
                AuditEvent.objects.bulk_create(rows)
                rows.clear()
        if rows:
            AuditEvent.objects.bulk_create(rows)
        if seq != head.seq:
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
    return seq


def record_model_change(instance: Any, *, created: bool) -> AuditEvent | None:
    before: dict[str, Any] = getattr(instance, "_audit_snapshot", {}) or {}
    after = instance.audit_values()
    if created:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "") and k != "id"}
        action = AuditAction.CREATE
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if not changes:
            return None
        action = getattr(instance, "_audit_action", None) or AuditAction.UPDATE
    event = record(action=action, obj=instance, changes=changes)
    instance._audit_snapshot = after
    instance._audit_action = None
    return event


def record_model_delete(instance: Any) -> AuditEvent:
    before = getattr(instance, "_audit_snapshot", None) or instance.audit_values()
    changes = {k: [v, None] for k, v in before.items() if v not in (None, "")}
    return record(action=AuditAction.DELETE, obj=instance, changes=changes)


def record_m2m_change(instance: Any, field_name: str, action: str, pks: set[Any]) -> None:
    key = "added" if action == "post_add" else "removed"
    if action == "post_clear":
        key, pks = "cleared", set()
    record(
        action=AuditAction.UPDATE,
        obj=instance,
        changes={field_name: {key: sorted(str(pk) for pk in pks)}},
    )
