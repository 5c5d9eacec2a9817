"""The one cross-cutting hook: model saves and deletes of audited models reach the trail.

Listed in docs/architecture.md. ``QuerySet.update()`` and ``bulk_create`` bypass signals; code
that uses them must call ``openitsms.audit.actions.record`` itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from openitsms.audit.actions import record_m2m_change, record_model_change, record_model_delete
from openitsms.audit.models import AuditedModel


def _on_save(sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any) -> None:
    if raw or not isinstance(instance, AuditedModel):
        return
    record_model_change(instance, created=created)


def _on_delete(sender: Any, instance: Any, **kw: Any) -> None:
    if isinstance(instance, AuditedModel):
        record_model_delete(instance)


def _on_m2m(sender: Any, instance: Any, action: str, pk_set: Any, **kw: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not isinstance(instance, AuditedModel):
        return
    field_name = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender),
        "links",
    )
    record_m2m_change(instance, field_name, action, set(pk_set or ()))


def connect() -> None:
    post_save.connect(_on_save, dispatch_uid="openitsms_audit_save")
    post_delete.connect(_on_delete, dispatch_uid="openitsms_audit_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="openitsms_audit_m2m")
