"""Pages of the action tracker, nonconformities and the improvement register: behaviour, the
database after each request, and the permission boundary."""

from datetime import timedelta

import pytest

from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.models import (
    Action,
    EffectivenessCheck,
    Improvement,
    Nonconformity,
    NonconformityNote,
)
from openitsms.tenancy.models import Membership
from tests.conftest import _client_for
from tests.improvement import factories as f

NW = "/o/northwind"


@pytest.fixture
def nc(org, manager, process_owner):
    return f.nonconformity(org, manager, owner=process_owner)


def _action(org, by, owner, **extra):
    return actions.create_action(
        organisation=org,
        by=by,
        title=extra.pop("title", "Review supplier contracts"),
        owner=owner,
        due_on=extra.pop("due_on", org_today(org) + timedelta(days=7)),
        **extra,
    )


# ---------------------------------------------------------------------------- the tracker


def test_a_manager_adds_an_action_from_the_page(manager_client, org, process_owner):
    due = org_today(org) + timedelta(days=10)
    response = manager_client.post(
        f"{NW}/actions/new/",
        {
            "title": "Update the supplier register",
            "kind": "follow_up",
            "owner": process_owner.pk,
            "due_on": due.isoformat(),
            "priority": "high",
        },
    )
    action = Action.all_orgs.get()
    assert response.status_code == 302 and response.url == action.get_absolute_url()
    assert (action.title, action.owner, action.due_on, action.priority) == (
        "Update the supplier register",
        process_owner,
        due,
        "high",
    )


def test_a_corrective_action_added_from_a_nonconformity_links_to_it(manager_client, nc, manager):
    response = manager_client.post(
        f"{NW}/actions/new/?nonconformity={nc.pk}",
        {
            "title": "Add an emergency CAB",
            "kind": "corrective",
            "owner": manager.pk,
            "due_on": org_today(nc.organisation).isoformat(),
            "priority": "medium",
        },
    )
    assert response.status_code == 302 and response.url == nc.get_absolute_url()
    assert Action.all_orgs.get().nonconformity == nc


def test_the_owner_field_offers_members_who_can_act_only(manager_client, viewer, outsider, owner):
    page = manager_client.get(f"{NW}/actions/new/").content.decode()
    assert ">alice<" in page
    assert ">vic<" not in page  # a viewer only reads
    assert ">oscar<" not in page  # another organisation's owner


def test_a_viewer_cannot_add_actions(viewer_client, process_owner):
    response = viewer_client.post(f"{NW}/actions/new/", {"title": "x", "owner": process_owner.pk})
    assert response.status_code == 403
    assert Action.all_orgs.count() == 0


def test_an_outsider_gets_404_on_every_tracker_page(outsider_client, org, owner, process_owner):
    action = _action(org, owner, process_owner)
    for url in (f"{NW}/actions/", f"{NW}/actions/{action.pk}/", f"{NW}/actions/mine/"):
        assert outsider_client.get(url).status_code == 404
    response = outsider_client.post(f"{NW}/actions/{action.pk}/progress/", {"status": "done"})
    assert response.status_code == 404
    assert Action.all_orgs.get().status == "open"


def test_my_actions_and_overdue_views(org, manager, process_owner):
    today = org_today(org)
    mine_late = _action(
        org, manager, process_owner, title="Mine and late", due_on=today - timedelta(days=2)
    )
    _action(org, manager, process_owner, title="Mine on time")
    _action(org, manager, manager, title="Not mine but late", due_on=today - timedelta(days=1))
    client = _client_for(process_owner)
    mine = client.get(f"{NW}/actions/mine/").content.decode()
    assert "Mine and late" in mine and "Mine on time" in mine and "Not mine but late" not in mine
    overdue = client.get(f"{NW}/actions/overdue/").content.decode()
    assert "Mine and late" in overdue and "Not mine but late" in overdue
    assert "Mine on time" not in overdue
    assert "Overdue" in overdue and mine_late.reference in overdue


def test_the_action_owner_records_progress_and_closes_it(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    client = _client_for(process_owner)
    response = client.post(
        f"{NW}/actions/{action.pk}/progress/",
        {"status": "done", "completion_notes": "Register updated."},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.completed_on == org_today(org)


def test_cancelling_without_a_reason_is_refused_next_to_the_field(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    response = _client_for(process_owner).post(
        f"{NW}/actions/{action.pk}/progress/", {"status": "cancelled"}
    )
    assert response.status_code == 422
    assert "Say why the action was cancelled." in response.content.decode()
    assert Action.all_orgs.get().status == "open"


def test_a_process_owner_cannot_update_someone_elses_action(org, manager, process_owner):
    action = _action(org, manager, manager)
    response = _client_for(process_owner).post(
        f"{NW}/actions/{action.pk}/progress/", {"status": "done"}
    )
    assert response.status_code == 403
    assert Action.all_orgs.get().status == "open"


def test_comments_are_added_by_members_who_act_but_not_by_viewers(
    org, manager, process_owner, viewer_client
):
    action = _action(org, manager, process_owner)
    _client_for(process_owner).post(f"{NW}/actions/{action.pk}/comments/", {"body": "Started."})
    assert action.comments.get().body == "Started."
    assert (
        viewer_client.post(f"{NW}/actions/{action.pk}/comments/", {"body": "x"}).status_code == 403
    )
    assert action.comments.count() == 1


def test_the_action_list_takes_a_fixed_number_of_queries(
    org, manager, process_owner, owner_client, django_assert_max_num_queries
):
    nc = f.nonconformity(org, manager)
    for n in range(30):
        _action(
            org, manager, process_owner, title=f"Action {n}", nonconformity=nc if n % 2 else None
        )
    with django_assert_max_num_queries(11):
        response = owner_client.get(f"{NW}/actions/")
    assert response.content.decode().count("Action ") >= 30


# ------------------------------------------------------------------------ nonconformities


def test_an_auditor_raises_a_nonconformity(auditor_client, org, process_owner, auditor):
    clause = f.clause("8.5.1")
    response = auditor_client.post(
        f"{NW}/nonconformities/new/",
        {
            "title": "Changes without approval",
            "description": "Three changes went live without approval.",
            "source": "self_identified",
            "severity": "minor",
            "clause": clause.pk,
            "owner": process_owner.pk,
            "raised_on": org_today(org).isoformat(),
        },
    )
    nc = Nonconformity.all_orgs.get()
    assert response.status_code == 302
    assert (nc.raised_by, nc.clause, nc.owner) == (auditor, clause, process_owner)
    assert nc.notes.get().kind == "raised"


def test_a_viewer_cannot_raise_a_nonconformity(viewer_client):
    response = viewer_client.post(f"{NW}/nonconformities/new/", {"title": "x"})
    assert response.status_code == 403
    assert Nonconformity.all_orgs.count() == 0


def test_target_date_before_raised_is_shown_next_to_the_field(manager_client, org):
    today = org_today(org)
    response = manager_client.post(
        f"{NW}/nonconformities/new/",
        {
            "title": "t",
            "description": "d",
            "source": "complaint",
            "severity": "minor",
            "raised_on": today.isoformat(),
            "due_on": (today - timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "The target closure date cannot be before the date it was raised." in (
        response.content.decode()
    )
    assert Nonconformity.all_orgs.count() == 0


def test_similar_nonconformities_are_suggested_while_raising(manager_client, org, manager):
    f.nonconformity(org, manager, title="Backup restore test not performed")
    response = manager_client.get(
        f"{NW}/nonconformities/similar/",
        {"title": "Backup restore tests missed", "description": ""},
    )
    body = response.content.decode()
    assert "Backup restore test not performed" in body and "shares the words" in body


def test_the_assigned_process_owner_records_the_root_cause(nc, process_owner):
    response = _client_for(process_owner).post(
        f"{NW}/nonconformities/{nc.pk}/analysis/",
        {
            "why_1": "CAB meets weekly",
            "why_2": "",
            "why_3": "No emergency path",
            "root_cause": "The policy lacks an emergency approval path.",
            "cause_category": "process",
        },
    )
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.whys == ["CAB meets weekly", "No emergency path"]
    assert nc.root_cause.startswith("The policy") and nc.cause_category == "process"


def test_another_process_owner_cannot_analyse_it(org, manager, make_user, nc):
    other = make_user("pat")
    Membership.objects.create(user=other, organisation=org, role="process_owner")
    response = _client_for(other).post(
        f"{NW}/nonconformities/{nc.pk}/analysis/", {"root_cause": "x", "cause_category": "people"}
    )
    assert response.status_code == 403
    assert Nonconformity.all_orgs.get().root_cause == ""


def test_closing_without_root_cause_or_check_is_refused_with_the_reasons(manager_client, nc):
    response = manager_client.post(f"{NW}/nonconformities/{nc.pk}/close/", follow=True)
    body = response.content.decode()
    assert f"{nc.reference} was not closed." in body
    assert "Record the root cause." in body
    assert "Record an effectiveness check that passed" in body
    assert Nonconformity.all_orgs.get().status == "open"
    assert NonconformityNote.all_orgs.filter(kind="closure_refused").count() == 1


def test_the_whole_chain_closes_it_from_the_pages(
    nc, manager, manager_client, process_owner, auditor
):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner, done=True)
    today = org_today(nc.organisation)
    manager_client.post(
        f"{NW}/nonconformities/{nc.pk}/checks/",
        {"planned_on": today.isoformat(), "checker": auditor.pk, "method": "Sample changes"},
    )
    check = EffectivenessCheck.all_orgs.get()
    response = _client_for(auditor).post(
        f"{NW}/effectiveness-checks/{check.pk}/result/",
        {f"check-{check.pk}-result": "passed", f"check-{check.pk}-notes": "All fine"},
    )
    assert response.status_code == 302
    assert EffectivenessCheck.all_orgs.get().result == "passed"
    response = manager_client.post(f"{NW}/nonconformities/{nc.pk}/close/")
    assert response.status_code == 302
    assert Nonconformity.all_orgs.get().status == "closed"


def test_a_failed_check_from_the_page_reopens_it(nc, manager, process_owner, auditor):
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="x"
    )
    response = _client_for(auditor).post(
        f"{NW}/effectiveness-checks/{check.pk}/result/",
        {f"check-{check.pk}-result": "failed", f"check-{check.pk}-notes": "Repeat found"},
        follow=True,
    )
    assert "is back in corrective action" in response.content.decode()
    assert Nonconformity.all_orgs.get().reopened_count == 1


def test_only_the_named_checker_or_a_manager_records_a_check(nc, manager, process_owner, auditor):
    check = actions.plan_effectiveness_check(
        nc=nc, by=manager, planned_on=org_today(nc.organisation), checker=auditor, method="x"
    )
    response = _client_for(process_owner).post(
        f"{NW}/effectiveness-checks/{check.pk}/result/", {f"check-{check.pk}-result": "passed"}
    )
    assert response.status_code == 403
    assert EffectivenessCheck.all_orgs.get().result == "pending"


def test_a_viewer_cannot_close(viewer_client, nc):
    assert viewer_client.post(f"{NW}/nonconformities/{nc.pk}/close/").status_code == 403
    assert not NonconformityNote.all_orgs.filter(kind="closure_refused").exists()


def test_the_nonconformity_page_shows_the_chain(manager_client, nc, manager, process_owner):
    f.analyse(nc)
    f.corrective_action(nc, manager, process_owner)
    body = manager_client.get(f"{NW}/nonconformities/{nc.pk}/").content.decode()
    assert "Root cause" in body and "Corrective action" in body and "Effective" in body
    assert "Complete or cancel (with a reason) the open actions" in body


def test_the_nonconformity_list_takes_a_fixed_number_of_queries(
    org, manager, process_owner, owner_client, django_assert_max_num_queries
):
    for n in range(25):
        nc = f.nonconformity(org, manager, title=f"Nonconformity number {n}")
        f.corrective_action(nc, manager, process_owner)
    with django_assert_max_num_queries(12):
        response = owner_client.get(f"{NW}/nonconformities/")
    assert response.content.decode().count("Nonconformity number") == 25


# ----------------------------------------------------------------------------- improvements


def test_a_process_owner_proposes_an_improvement_without_evaluating_it(org, process_owner):
    response = _client_for(process_owner).post(
        f"{NW}/improvements/new/",
        {
            "title": "Chatbot",
            "description": "Answer simple questions.",
            "source": "staff",
            "benefit": 5,
        },
    )
    improvement = Improvement.all_orgs.get()
    assert response.status_code == 302
    assert improvement.raised_by == process_owner and improvement.benefit is None


def test_a_viewer_cannot_propose(viewer_client):
    assert viewer_client.post(f"{NW}/improvements/new/", {"title": "x"}).status_code == 403
    assert Improvement.all_orgs.count() == 0


def test_approving_without_evaluation_is_refused_with_the_reasons(manager_client, org, manager):
    improvement = actions.create_improvement(
        organisation=org, by=manager, fields={"title": "t", "description": "d", "source": "staff"}
    )
    response = manager_client.post(
        f"{NW}/improvements/{improvement.pk}/decision/", {"decision": "approve"}, follow=True
    )
    body = response.content.decode()
    assert "Evaluate it first" in body and "at least one measurable target" in body
    assert Improvement.all_orgs.get().status == "proposed"


def test_an_improvement_is_evaluated_targeted_approved_and_measured(
    manager_client, org, manager, process_owner
):
    improvement = actions.create_improvement(
        organisation=org,
        by=manager,
        fields={"title": "t", "description": "d", "source": "staff", "owner": process_owner},
    )
    manager_client.post(
        f"{NW}/improvements/{improvement.pk}/edit/",
        {
            "title": "t",
            "description": "d",
            "source": "staff",
            "owner": process_owner.pk,
            "raised_on": improvement.raised_on.isoformat(),
            "benefit": 4,
            "cost": 2,
            "risk": 2,
        },
    )
    manager_client.post(
        f"{NW}/improvements/{improvement.pk}/targets/new/",
        {"area": "cost", "description": "Hours a month", "direction": "lower", "target": "10"},
    )
    manager_client.post(f"{NW}/improvements/{improvement.pk}/decision/", {"decision": "approve"})
    improvement.refresh_from_db()
    assert improvement.status == "approved" and improvement.score == 75
    target = improvement.targets.get()
    response = _client_for(process_owner).post(
        f"{NW}/improvement-targets/{target.pk}/", {"measured": "8", "measured_on": ""}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    target.refresh_from_db()
    assert target.measured == 8 and target.achieved is True


def test_the_improvement_list_takes_a_fixed_number_of_queries(
    org, manager, owner_client, django_assert_max_num_queries
):
    for n in range(20):
        actions.create_improvement(
            organisation=org,
            by=manager,
            fields={"title": f"Improvement {n}", "description": "d", "source": "staff"},
        )
    with django_assert_max_num_queries(8):
        response = owner_client.get(f"{NW}/improvements/")
    assert response.content.decode().count("Improvement ") >= 20
