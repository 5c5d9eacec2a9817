"""The rules of 10.1: a nonconformity closes only with a root cause, its corrective actions done
and an effectiveness check that passed; a failed check reopens it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from openitsms.audit.models import AuditEvent
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.choices import CheckResult, NoteKind, Stage
from openitsms.improvement.models import Nonconformity, NonconformityNote
from tests.improvement import factories as f


@pytest.fixture
def nc(org, manager, process_owner):
    return f.nonconformity(org, manager, owner=process_owner)


def _refusal(nc, by):
    with pytest.raises(ValidationError) as exc:
        actions.close_nonconformity(nc=nc, by=by)
    return exc.value.messages


def test_closing_without_root_cause_is_refused_with_every_reason(nc, manager):
    messages = _refusal(nc, manager)
    assert "Record the root cause." in messages
    assert "Choose the category of the root cause." in messages
    assert any("Add at least one corrective action" in m for m in messages)
    assert any("effectiveness check that passed" in m for m in messages)
    nc.refresh_from_db()
    assert nc.status == "open" and nc.closed_on is None


def test_a_refused_closure_is_kept_on_the_timeline_and_in_the_audit_trail(nc, manager):
    _refusal(nc, manager)
    note = NonconformityNote.all_orgs.get(nonconformity=nc, kind=NoteKind.CLOSURE_REFUSED)
    assert "Record the root cause." in note.body
    assert note.author == manager
    assert AuditEvent.objects.filter(
        object_type="improvement.nonconformitynote", object_id=str(note.pk), action="create"
    ).exists()


def test_closing_with_an_open_corrective_action_is_refused_naming_it(nc, manager, process_owner):
    f.analyse(nc)
    action = f.corrective_action(nc, manager, process_owner)
    messages = _refusal(nc, manager)
    assert any(action.reference in m and "Open" in m for m in messages)
    assert nc.stage() == Stage.ACTION


def test_closing_without_an_effectiveness_check_is_refused(nc, manager, process_owner):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    assert nc.stage() == Stage.VERIFICATION
    messages = _refusal(nc, manager)
    assert messages == ["Record an effectiveness check that passed (none is recorded yet)."]


def test_closing_with_every_action_cancelled_is_refused(nc, manager, process_owner):
    f.analyse(nc)
    action = f.corrective_action(nc, manager, process_owner)
    actions.update_action(
        action=action, changes={"status": "cancelled", "completion_notes": "Duplicate of A-1."}
    )
    messages = _refusal(nc, manager)
    assert any("Every action was cancelled" in m for m in messages)


def test_a_pending_check_does_not_count(nc, manager, process_owner, auditor):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    actions.plan_effectiveness_check(
        nc=nc,
        by=manager,
        planned_on=org_today(nc.organisation),
        checker=auditor,
        method="Sample changes.",
    )
    assert any("passed" in m for m in _refusal(nc, manager))


def test_closing_with_root_cause_done_actions_and_a_passed_check_closes_it(
    nc, manager, process_owner, auditor
):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    f.passed_check(nc, manager, auditor)
    assert nc.stage() == Stage.READY
    actions.close_nonconformity(nc=nc, by=manager)
    nc.refresh_from_db()
    assert nc.status == "closed"
    assert nc.closed_on == org_today(nc.organisation)
    assert nc.closed_by == manager
    assert nc.notes.filter(kind=NoteKind.CLOSED).exists()
    assert nc.stage() == Stage.CLOSED


def test_a_check_made_before_the_last_action_was_completed_does_not_count(
    nc, manager, process_owner, auditor
):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    f.passed_check(
        nc, manager, auditor, performed_on=org_today(nc.organisation) - timedelta(days=30)
    )
    messages = _refusal(nc, manager)
    assert any("before the last action was completed" in m for m in messages)


def test_a_failed_check_reopens_a_closed_nonconformity(nc, manager, process_owner, auditor):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    f.passed_check(nc, manager, auditor)
    actions.close_nonconformity(nc=nc, by=manager)
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="Re-check"
    )
    actions.record_effectiveness_check(
        check=check, by=auditor, result=CheckResult.FAILED, notes="Two more late approvals."
    )
    nc.refresh_from_db()
    assert nc.status == "open" and nc.closed_on is None and nc.closed_by is None
    assert nc.reopened_count == 1
    assert nc.notes.filter(kind=NoteKind.REOPENED).exists()
    # Closing again needs a further action completed after the failed check, and a new check.
    messages = _refusal(nc, manager)
    assert any("failed: complete a further corrective action" in m for m in messages)
    assert any("last effectiveness check" in m and "failed" in m for m in messages)


def test_after_a_failed_check_a_further_action_and_a_new_passed_check_close_it(
    nc, manager, process_owner, auditor
):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="Sample"
    )
    actions.record_effectiveness_check(
        check=check, by=auditor, result=CheckResult.FAILED, notes="Still late approvals."
    )
    assert Nonconformity.all_orgs.get(pk=nc.pk).reopened_count == 1
    further = f.corrective_action(nc, manager, process_owner, title="Train the change managers")
    actions.update_action(action=further, changes={"status": "done", "completion_notes": "Done"})
    f.passed_check(nc, manager, auditor)
    actions.close_nonconformity(nc=nc, by=manager)
    assert Nonconformity.all_orgs.get(pk=nc.pk).status == "closed"


def test_a_failed_check_needs_a_reason(nc, manager, auditor):
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="Sample"
    )
    with pytest.raises(ValidationError) as exc:
        actions.record_effectiveness_check(check=check, by=auditor, result=CheckResult.FAILED)
    assert "notes" in exc.value.message_dict


def test_a_check_cannot_be_recorded_in_the_future_or_twice(nc, manager, auditor):
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="Sample"
    )
    with pytest.raises(ValidationError) as exc:
        actions.record_effectiveness_check(
            check=check,
            by=auditor,
            result=CheckResult.PASSED,
            performed_on=org_today(nc.organisation) + timedelta(days=1),
        )
    assert "performed_on" in exc.value.message_dict
    actions.record_effectiveness_check(check=check, by=auditor, result=CheckResult.PASSED)
    with pytest.raises(ValidationError):
        actions.record_effectiveness_check(
            check=check, by=auditor, result=CheckResult.FAILED, notes="x"
        )


def test_a_closed_nonconformity_cannot_be_closed_again_or_edited(
    nc, manager, process_owner, auditor
):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    f.passed_check(nc, manager, auditor)
    actions.close_nonconformity(nc=nc, by=manager)
    with pytest.raises(ValidationError, match="already closed"):
        actions.close_nonconformity(nc=nc, by=manager)
    with pytest.raises(ValidationError, match="closed"):
        actions.update_nonconformity(nc=nc, changes={"title": "changed"})


def test_actions_cannot_be_added_to_a_closed_nonconformity(nc, manager, process_owner, auditor):
    f.analyse(nc)
    action = f.corrective_action(nc, manager, process_owner, done=True)
    f.passed_check(nc, manager, auditor)
    actions.close_nonconformity(nc=nc, by=manager)
    with pytest.raises(ValidationError) as exc:
        f.corrective_action(nc, manager, process_owner)
    assert "nonconformity" in exc.value.message_dict
    # Nor can its settled actions be reopened behind its back.
    with pytest.raises(ValidationError) as exc:
        actions.update_action(action=action, changes={"status": "open"})
    assert "status" in exc.value.message_dict


def test_target_closure_date_before_raised_is_refused_on_the_field(org, manager):
    with pytest.raises(ValidationError) as exc:
        f.nonconformity(
            org,
            manager,
            raised_on=org_today(org),
            due_on=org_today(org) - timedelta(days=1),
        )
    assert "due_on" in exc.value.message_dict
    assert Nonconformity.all_orgs.count() == 0


def test_a_nonconformity_cannot_link_another_organisations_process(org, other_org, manager):
    theirs = f.process(other_org, "Their change management")
    with pytest.raises(ValidationError) as exc:
        f.nonconformity(org, manager, process=theirs)
    assert exc.value.message_dict["process"] == ["Choose a record of this organisation."]


def test_the_owner_must_be_a_member_who_can_act(org, manager, viewer, outsider):
    with pytest.raises(ValidationError) as exc:
        f.nonconformity(org, manager, owner=outsider)
    assert "owner" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        f.nonconformity(org, manager, owner=viewer)
    assert "viewer" in exc.value.message_dict["owner"][0]


def test_numbers_run_per_organisation(org, other_org, manager, outsider):
    first = f.nonconformity(org, manager)
    second = f.nonconformity(org, manager)
    theirs = f.nonconformity(other_org, outsider)
    assert (first.reference, second.reference, theirs.reference) == ("NC-001", "NC-002", "NC-001")


def test_whys_are_kept_in_order_without_blanks(nc):
    actions.update_nonconformity(nc=nc, changes={"whys": ["one", " ", "two", "three"]})
    nc.refresh_from_db()
    assert nc.whys == ["one", "two", "three"]
