"""The tamper-evident audit trail.

Every entry carries the SHA-256 of the entry before it, so that an altered, inserted or removed
entry breaks the chain; ``AuditHead`` remembers the last entry so that cutting the tail is
caught too. The table is append-only: a database trigger (see migration 0002) refuses UPDATE
and DELETE, and the model refuses them in Python.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from openitsms.audit.choices import AuditAction

GENESIS_HASH = "0" * 64


def plain(value: Any) -> Any:
    """A JSON-safe, stable form of a field value (what is stored is what is hashed)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    return str(value)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_org(self, org: Any) -> AuditEventQuerySet:
        return self.filter(organisation_id=org.pk)

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail."""

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    # No index of its own: audit_org_seq_idx (organisation, -seq) serves it.
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    # Not unique in the database: nothing looks an entry up by its hash, the chain (each
    # hash covers the one before and the entry's seq) is what proves the trail, and an index
    # of random keys was a quarter of the cost of appending many entries (imports).
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = "audit event"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["organisation", "-seq"], name="audit_org_seq_idx"),
            # Failed logins by user name (accounts.throttle); only those entries are in it,
            # so bulk appends (imports) do not pay for it.
            models.Index(
                fields=["object_repr", "at"],
                name="audit_login_failed_idx",
                condition=models.Q(action="login_failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        if self.organisation is None:
            return reverse("tenancy:home")
        return reverse("audit:org_log", kwargs={"org_slug": self.organisation.slug})

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit events are append-only and cannot be deleted.")

    def payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": plain(self.at),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": plain(self.changes),
            "remote_addr": self.remote_addr,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(f"{self.prev_hash}|{body}".encode()).hexdigest()


class AuditHead(models.Model):
    """The last entry of the chain, so that removing entries from the end is detected."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditedModel(models.Model):
    """Mixin for every domain model: creates, updates and deletes go to the audit trail.

    Field values as loaded from the database are remembered, so that an update records only
    the fields that changed, with their before and after values.
    """

    audit_exclude: frozenset[str] = frozenset()
    _audit_snapshot: dict[str, Any]

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._audit_snapshot = instance.audit_values()
        return instance

    def audit_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.name in self.audit_exclude or field.attname not in self.__dict__:
                continue
            values[field.name] = plain(getattr(self, field.attname))
        return values

    @property
    def audit_organisation_id(self) -> int | None:
        return getattr(self, "organisation_id", None)
