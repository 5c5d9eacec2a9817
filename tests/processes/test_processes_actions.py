"""Rules of the process register: members only, owner hand-over, KPIs and the one-A rule."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openitsms.processes import actions
from openitsms.processes.models import Process, RaciEntry
from openitsms.tenancy.models import Membership
from openitsms.tenancy.scoping import org_scope
from tests.processes.helpers import kpi, process


def test_owner_and_deputy_must_be_members_of_the_organisation(org, manager, outsider):
    with pytest.raises(ValidationError) as exc:
        process(org, owner=outsider)
    assert exc.value.message_dict["owner"] == ["Choose a member of this organisation."]
    with pytest.raises(ValidationError) as exc:
        process(org, owner=manager, deputy=outsider)
    assert "deputy" in exc.value.message_dict
    assert not Process.all_orgs.exists()


def test_the_deputy_is_someone_else(org, manager):
    with pytest.raises(ValidationError) as exc:
        process(org, owner=manager, deputy=manager)
    assert exc.value.message_dict["deputy"] == ["The deputy must be someone other than the owner."]


def test_slugs_are_made_from_the_name_and_unique(org):
    assert process(org, "Change management").slug == "change-management"
    assert process(org, "Change management").slug == "change-management-2"
    with pytest.raises(ValidationError) as exc:
        process(org, "Other", slug="change-management")
    assert "already uses this short name" in exc.value.message_dict["slug"][0]


def test_flags_name_a_process_without_owner_or_kpis(org, manager):
    p = process(org)
    assert p.flags() == ["no_owner", "no_kpis"]
    kpi(p)
    with org_scope(org):
        actions.update_process(process=p, changes={"owner": manager})
        assert p.flags() == []
        assert list(Process.objects.flagged()) == []


def test_a_process_owner_changes_their_process_but_cannot_hand_it_over(org, process_owner, manager):
    p = process(org, owner=process_owner)
    membership = Membership.objects.get(user=process_owner)
    with org_scope(org):
        actions.update_process(
            process=p, changes={"purpose": "Restore service fast."}, membership=membership
        )
        with pytest.raises(PermissionDenied):
            actions.update_process(process=p, changes={"owner": manager}, membership=membership)
    p.refresh_from_db()
    assert p.purpose == "Restore service fast." and p.owner == process_owner


def test_a_process_owner_cannot_change_someone_elses_process(org, process_owner, manager):
    p = process(org, owner=manager)
    with pytest.raises(PermissionDenied), org_scope(org):
        actions.update_process(
            process=p,
            changes={"purpose": "x"},
            membership=Membership.objects.get(user=process_owner),
        )


def test_review_is_due_after_the_interval(org):
    from datetime import date

    p = process(org, review_interval_months=6)
    assert p.review_due_on() is None and p.review_overdue()
    with org_scope(org):
        actions.mark_reviewed(process=p, on=date(2026, 1, 31))
    assert p.review_due_on() == date(2026, 7, 28)
    assert p.review_overdue(date(2026, 7, 29)) and not p.review_overdue(date(2026, 7, 28))


def test_raci_needs_exactly_one_accountable_party_per_activity_with_parties(org):
    p = process(org)
    with org_scope(org):
        with pytest.raises(ValidationError) as exc:
            actions.set_raci(
                process=p,
                rows=[
                    ("Log the incident", {"Service desk": "R", "Incident manager": "C"}),
                    ("Resolve", {"Second line": "A", "Incident manager": "a"}),
                    ("Close", {}),
                ],
            )
        messages = exc.value.messages
        assert (
            "“Log the incident” has no accountable party: mark exactly one party with A."
            in messages
        )
        assert any("“Resolve” has 2 accountable parties" in m for m in messages)
        assert not RaciEntry.all_orgs.exists()
        entries = actions.set_raci(
            process=p,
            rows=[
                ("Log the incident", {"Service desk": "R", "Incident manager": "A"}),
                ("Close", {}),
            ],
        )
    p.refresh_from_db()
    assert p.raci_activities == ["Log the incident", "Close"]
    assert sorted((e.party, e.code) for e in entries) == [
        ("Incident manager", "A"),
        ("Service desk", "R"),
    ]


def test_raci_replacement_moves_the_a_without_breaking_the_database_rule(org):
    p = process(org)
    with org_scope(org):
        actions.set_raci(process=p, rows=[("Approve", {"CAB": "A", "Change manager": "R"})])
        actions.set_raci(
            process=p, rows=[("Approve", {"CAB": "R", "Change manager": "A", "Requester": "I"})]
        )
    codes = dict(RaciEntry.all_orgs.filter(process=p).values_list("party", "code"))
    assert codes == {"CAB": "R", "Change manager": "A", "Requester": "I"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Do", {"Desk": "X"})], "is not R, A, C or I"),
        ([("Do", {"": "A"})], "a letter has no party"),
        ([("", {"Desk": "A"})], "no activity"),
        ([("Do", {"Desk": "A"}), ("do", {})], "appears twice"),
        ([("Do", {"Desk": "A", "desk ": "R"})], "appears twice"),
    ],
)
def test_raci_refuses_broken_matrices_with_a_clear_message(org, rows, message):
    p = process(org)
    with pytest.raises(ValidationError) as exc, org_scope(org):
        actions.set_raci(process=p, rows=rows)
    assert any(message in m for m in exc.value.messages)


def test_the_database_refuses_a_second_a(org):
    from django.db import IntegrityError, transaction

    p = process(org)
    RaciEntry(organisation=org, process=p, activity="Do", party="One", code="A").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        RaciEntry(organisation=org, process=p, activity="Do", party="Two", code="A").save()


def test_process_queries_are_scoped_to_the_current_organisation(org, other_org):
    mine = process(org, "Mine")
    process(other_org, "Theirs")
    with org_scope(org):
        assert list(Process.objects.all()) == [mine]


def test_the_raci_columns_keep_the_order_people_gave(org):
    p = process(org)
    with org_scope(org):
        actions.set_raci(
            process=p,
            rows=[("Log", {"Customer": "I", "Service desk": "A"}), ("Fix", {"Resolvers": "A"})],
            parties=["Service desk", "Resolvers", "Customer", "Unused"],
        )
        p.refresh_from_db()
        matrix = actions.raci_matrix(p)
    assert p.raci_parties == ["Service desk", "Resolvers", "Customer"]
    assert matrix["parties"] == ["Service desk", "Resolvers", "Customer"]
    assert matrix["rows"][0]["letters"] == ["A", "", "I"]
