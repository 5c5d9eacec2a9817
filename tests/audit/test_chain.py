from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from openitsms.audit.chain import verify_chain
from openitsms.audit.models import AuditEvent
from openitsms.tenancy.models import Organisation


def _untriggered(sql, params=()):
    """Tamper with the trail as an attacker with database access would: around the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
            cursor.execute(sql, params)


@pytest.fixture
def trail(db):
    org = Organisation.objects.create(name="Acme", slug="acme")
    org.name = "Acme Ltd"
    org.save()
    org.time_zone = "Europe/Paris"
    org.save()
    return org


def test_create_update_delete_are_recorded_with_field_level_values(trail):
    events = list(AuditEvent.objects.filter(object_type="tenancy.organisation").order_by("seq"))
    assert [e.action for e in events] == ["create", "update", "update"]
    assert events[0].changes["name"] == [None, "Acme"]
    assert events[1].changes == {"name": ["Acme", "Acme Ltd"]}
    assert events[2].changes == {"time_zone": ["UTC", "Europe/Paris"]}
    pk = trail.pk
    trail.delete()
    deleted = AuditEvent.objects.filter(action="delete", object_id=str(pk)).get()
    assert deleted.changes["name"] == ["Acme Ltd", None]


def test_a_save_without_changes_writes_nothing(trail):
    before = AuditEvent.objects.count()
    trail.save()
    assert AuditEvent.objects.count() == before


def test_each_entry_links_to_the_one_before(trail):
    events = list(AuditEvent.objects.order_by("seq"))
    for previous, current in zip(events, events[1:], strict=False):
        assert current.prev_hash == previous.hash
    assert verify_chain()[1] == []


def test_the_database_refuses_updates_and_deletes(trail, audit_triggers):
    event = AuditEvent.objects.order_by("seq").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        event.save()


def test_verify_names_an_altered_entry(trail):
    target = AuditEvent.objects.order_by("seq")[1]
    _untriggered(
        "UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["Forged", target.pk]
    )
    checked, problems = verify_chain()
    assert checked == 3
    assert [(p.seq, "altered" in p.message) for p in problems] == [(target.seq, True)]


def test_verify_catches_a_removed_entry(trail):
    target = AuditEvent.objects.order_by("seq")[1]
    _untriggered("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    problems = verify_chain()[1]
    assert problems and problems[0].seq == target.seq + 1
    assert "removed or inserted" in problems[0].message


def test_verify_catches_entries_cut_from_the_end(trail):
    last = AuditEvent.objects.order_by("-seq").first()
    _untriggered("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    problems = verify_chain()[1]
    assert any("should end at entry" in p.message for p in problems)


def test_verify_catches_an_inserted_entry(trail):
    first, second = AuditEvent.objects.order_by("seq")[:2]
    # Shift later entries up and insert a forged one in the gap, with a self-consistent hash.
    _untriggered("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= %s", [second.seq])
    forged = AuditEvent(
        seq=second.seq,
        at=second.at,
        actor_label="mallory",
        action="update",
        object_repr="forged",
        prev_hash=first.hash,
    )
    forged.hash = forged.compute_hash()
    forged.save()
    problems = verify_chain()[1]
    assert problems, "an inserted entry must break the chain"


def test_audit_verify_command_exits_non_zero_naming_the_entry(trail):
    out = StringIO()
    call_command("audit_verify", "--quiet", stdout=out)
    assert "intact: 3 entries" in out.getvalue()
    target = AuditEvent.objects.order_by("seq")[0]
    _untriggered("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"x": 1}', target.pk])
    err = StringIO()
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit_verify", "--quiet", stdout=out, stderr=err)
    assert f"entry #{target.seq}" in err.getvalue()


def test_verify_reports_a_missing_head(trail):
    from openitsms.audit.models import AuditHead

    AuditHead.objects.all().delete()
    problems = verify_chain()[1]
    assert any("head" in p.message and "missing" in p.message for p in problems)


def test_record_many_appends_a_valid_chain_in_one_go(trail):
    from openitsms.audit.actions import PendingEvent, record_many

    before = AuditEvent.objects.count()
    last = record_many(
        PendingEvent(
            action="create",
            organisation_id=trail.pk,
            object_repr=f"INC{i:07d}",
            changes={"priority": [None, "P3"]},
        )
        for i in range(2500)
    )
    assert AuditEvent.objects.count() == before + 2500
    assert last == before + 2500
    checked, problems = verify_chain()
    assert checked == before + 2500 and problems == []
    # Single appends continue the same chain afterwards.
    trail.name = "After bulk"
    trail.save()
    assert verify_chain()[1] == []
