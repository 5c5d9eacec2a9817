"""Appending to the audit trail. All writers go through :func:`record`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
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
        head, _seq, prev = _locked_head()
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
            prev_hash=prev,
        )
        event.hash = event.compute_hash()
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class PendingEvent:
    """One entry for :func:`record_many`.

    ``object_type`` and ``object_id`` name the object when there is no model instance at
    hand (bulk writers that insert rows without building instances); ``obj`` wins when given.
    """

    action: str
    obj: Model | None = None
    organisation_id: int | None = None
    changes: dict[str, Any] | None = None
    object_repr: str | None = None
    object_type: str | None = None
    object_id: str | None = None


# Rows are inserted this many at a time.
_EVENT_BATCH = 2000
# AuditEvent's columns in the order of the rows record_many builds.
_EVENT_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "remote_addr",
    "prev_hash",
    "hash",
)
assert {f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key} == set(
    _EVENT_COLUMNS
), "record_many writes every column of AuditEvent: add the new one there"


def _locked_head() -> tuple[AuditHead, int, str]:
    """The chain's head, locked until the transaction ends (appends are serialised; on
    PostgreSQL an advisory lock also covers the head's first creation): the head, the last
    entry's number and its hash (the genesis hash for an empty chain)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head, head.seq, (head.hash if head.seq else GENESIS_HASH)


def record_many(events: Iterable[PendingEvent], *, actor: Actor | None = None) -> int:
    """Append many entries in one transaction (imports): one lock, one head update.

    The chain is the same as if each entry had been recorded on its own; only the cost differs:
    each entry's hash is computed from the same payload as :meth:`AuditEvent.compute_hash`
    (built here as a dict, without a model instance) and the rows are written with one
    prepared ``INSERT`` per batch.
    """
    actor = actor or current_actor()
    actor_id, actor_label = actor.user_id, actor.label[:200]
    remote_addr = actor.remote_addr[:64]
    with transaction.atomic():
        head, seq, prev = _locked_head()
        now = timezone.now()
        at_text = plain(now)
        adapt_at, adapt_changes = db_adapters(AuditEvent, ("at", "changes"))
        at_db = adapt_at(now) if adapt_at else now
        adapt_changes = adapt_changes or _same
        dumps, sha256 = json.dumps, hashlib.sha256
        rows: list[tuple[Any, ...]] = []
        for pending in events:
            obj = pending.obj
            organisation_id = pending.organisation_id
            if organisation_id is None and obj is not None:
                organisation_id = getattr(obj, "audit_organisation_id", None)
            if obj is not None:
                object_type = obj._meta.label_lower
                object_id = str(obj.pk) if obj.pk is not None else ""
            else:
                object_type = pending.object_type or ""
                object_id = pending.object_id or ""
            object_repr = (
                pending.object_repr if pending.object_repr is not None else str(obj or "")
            )[:300]
            action = str(pending.action)
            changes = plain(pending.changes or {})
            seq += 1
            # The keys and values of AuditEvent.payload(), in the same JSON form.
            body = dumps(
                {
                    "seq": seq,
                    "at": at_text,
                    "actor_id": actor_id,
                    "actor_label": actor_label,
                    "organisation_id": organisation_id,
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "object_repr": object_repr,
                    "changes": changes,
                    "remote_addr": remote_addr,
                },
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=True,
            )
            digest = sha256(f"{prev}|{body}".encode()).hexdigest()
            rows.append(
                (
                    seq,
                    at_db,
                    actor_id,
                    actor_label,
                    organisation_id,
                    action,
                    object_type,
                    object_id,
                    object_repr,
                    adapt_changes(changes),
                    remote_addr,
                    prev,
                    digest,
                )
            )
            prev = digest
            if len(rows) >= _EVENT_BATCH:
                insert_rows(AuditEvent, _EVENT_COLUMNS, rows)
                rows.clear()
        if rows:
            insert_rows(AuditEvent, _EVENT_COLUMNS, rows)
        if seq != head.seq:
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
    return seq


def record_created_many(
    *,
    organisation_id: int,
    object_type: str,
    items: Iterable[tuple[str, str, str]],
    actor: Actor | None = None,
) -> int:
    """Append a ``create`` entry per item, like :func:`record_many`, for bulk writers that
    have many objects of one type and organisation (imports: a hundred thousand records).

    Each item is ``(object id, object repr, changes)``, the changes already as JSON text in
    the chain's own form (keys sorted, no spaces, ASCII: what ``json.dumps(..., sort_keys=
    True, separators=(",", ":"), ensure_ascii=True)`` gives of JSON-safe values). The entries
    and their hashes are the ones :func:`record_many` would write for the same events; the
    payload is put together as text instead of a dict per entry.
    """
    actor = actor or current_actor()
    actor_label = actor.label[:200]
    remote_addr = actor.remote_addr[:64]
    action = str(AuditAction.CREATE)
    with transaction.atomic():
        head, seq, prev = _locked_head()
        now = timezone.now()
        (adapt_at,) = db_adapters(AuditEvent, ("at",))
        at_db = adapt_at(now) if adapt_at else now
        encode = encode_basestring_ascii
        # The payload's keys in sorted order (AuditEvent.payload(), json.dumps sort_keys).
        start = (
            f'{{"action":{encode(action)},"actor_id":{json.dumps(actor.user_id)},'
            f'"actor_label":{encode(actor_label)},"at":{encode(plain(now))},"changes":'
        )
        middle = '"object_type":' + encode(object_type) + ',"organisation_id":'
        end = f'{json.dumps(organisation_id)},"remote_addr":{encode(remote_addr)},"seq":'
        sha256 = hashlib.sha256
        constants = {
            "at": at_db,
            "actor_id": actor.user_id,
            "actor_label": actor_label,
            "organisation_id": organisation_id,
            "action": action,
            "object_type": object_type,
            "remote_addr": remote_addr,
        }
        rows: list[tuple[Any, ...]] = []
        for object_id, object_repr, changes in items:
            object_repr = object_repr[:300]
            seq += 1
            body = (
                f'{start}{changes},"object_id":{encode(object_id)},'
                f'"object_repr":{encode(object_repr)},{middle}{end}{seq}}}'
            )
            digest = sha256(f"{prev}|{body}".encode()).hexdigest()
            rows.append((seq, object_id, object_repr, changes, prev, digest))
            prev = digest
            if len(rows) >= _EVENT_BATCH:
                insert_rows(AuditEvent, _VARYING, rows, constants)
                rows.clear()
        if rows:
            insert_rows(AuditEvent, _VARYING, rows, constants)
        if seq != head.seq:
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
    return seq


# The columns of record_created_many's rows that differ from entry to entry.
_VARYING = ("seq", "object_id", "object_repr", "changes", "prev_hash", "hash")


def _same(value: Any) -> Any:
    return value


# -- prepared rows (bulk writers) -------------------------------------------------------------

# Field types whose Python values the database drivers take as they are.
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def db_adapters(model: type[Model], attnames: Iterable[str]) -> list[Callable[[Any], Any] | None]:
    """Per column of ``model`` (by attname), what turns a Python value into the value the
    database driver is given, as ``Model.save`` would; ``None`` where the value goes as it is.

    For writers that insert many rows with ``executemany`` instead of model instances. Aware
    datetimes become naive UTC text on SQLite (what Django writes there) and stay as they are
    on PostgreSQL; JSON goes through the backend's own adapter; other field types not known
    here go through the field's ``get_db_prep_save``.
    """
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    adapters: list[Callable[[Any], Any] | None] = []
    for name in attnames:
        field = by_attname[name]
        internal = field.get_internal_type()
        if internal in _AS_IS or (internal, connection.vendor) == ("DateTimeField", "postgresql"):
            adapters.append(None)  # psycopg takes aware datetimes as they are
        elif internal == "DateTimeField" and connection.vendor == "sqlite":
            adapters.append(_sqlite_datetime(connection.timezone))
        elif internal == "JSONField":
            adapters.append(_json_adapter(field.encoder))  # type: ignore[attr-defined]
        else:
            adapters.append(_field_adapter(field))
    return adapters


def _sqlite_datetime(zone: Any) -> Callable[[Any], Any]:
    fallback = connection.ops.adapt_datetimefield_value
    zone_is_utc = zone is UTC

    def adapt(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is datetime and value.tzinfo is not None:
            if zone_is_utc and value.tzinfo is UTC:
                return value.isoformat(" ")[:-6]  # str() of the naive value, less "+00:00"
            return str(value.astimezone(zone).replace(tzinfo=None))
        return fallback(value)

    return adapt


def _json_adapter(encoder: Any) -> Callable[[Any], Any]:
    adapt_json = connection.ops.adapt_json_value
    return lambda value: adapt_json(value, encoder)


def _field_adapter(field: Any) -> Callable[[Any], Any]:
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[Model],
    attnames: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Insert ``rows`` (values for ``attnames``, through :func:`db_adapters`) into ``model``'s
    table: with ``COPY`` on PostgreSQL, with ``executemany`` elsewhere. No signals, no ids.

    ``constants`` are columns with the same value in every row (already adapted). On SQLite
    they are written into the statement as literals rather than bound for every row: binding
    is most of the cost of an ``executemany`` of wide rows (half, at 60 columns of which 20
    vary). Values that cannot be written as a literal are bound like the others.
    """
    if not rows:
        return
    constants = dict(constants or {})
    literals: dict[str, str] = {}
    if connection.vendor != "postgresql":
        for name, value in list(constants.items()):
            literal = _sqlite_literal(value)
            if literal is not None:
                literals[name] = literal
                del constants[name]
    if constants:
        tail = tuple(constants.values())
        rows = [(*row, *tail) for row in rows]
        attnames = [*attnames, *constants]
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(by_attname[name].column) for name in [*attnames, *literals])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(attnames) + list(literals.values()))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, or ``None`` if it is not one we write that way."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value and "%" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


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
