"""The action tracker and the improvement register: their rules, through the actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openitsms.audit.models import AuditEvent
from openitsms.catalogue.tree import org_today
from openitsms.improvement import actions
from openitsms.improvement.models import Action, Improvement, improvement_score
from openitsms.improvement.similar import rank, similar_nonconformities, tokens
from openitsms.tenancy.models import Membership
from tests.improvement import factories as f


def _action(org, by, owner, **extra):
    return actions.create_action(
        organisation=org,
        by=by,
        title=extra.pop("title", "Review supplier contracts"),
        owner=owner,
        due_on=extra.pop("due_on", org_today(org) + timedelta(days=10)),
        **extra,
    )


def test_an_action_is_numbered_audited_and_owned_by_a_member(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    assert action.reference == "A-0001"
    assert action.status == "open" and action.created_by == manager
    assert AuditEvent.objects.for_object(action).filter(action="create").exists()


def test_an_action_needs_an_owner_who_can_act(org, manager, viewer, outsider):
    for owner in (None, viewer, outsider):
        with pytest.raises(ValidationError) as exc:
            _action(org, manager, owner)
        assert "owner" in exc.value.message_dict
    assert Action.all_orgs.count() == 0


def test_done_sets_the_completion_date_and_reopening_clears_it(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    actions.update_action(action=action, changes={"status": "done"})
    assert action.completed_on == org_today(org)
    actions.update_action(action=action, changes={"status": "in_progress"})
    assert action.completed_on is None


def test_cancelling_needs_a_reason(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    with pytest.raises(ValidationError) as exc:
        actions.update_action(action=action, changes={"status": "cancelled"})
    assert exc.value.message_dict["completion_notes"] == ["Say why the action was cancelled."]
    assert Action.all_orgs.get(pk=action.pk).status == "open"


def test_completion_cannot_be_in_the_future(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    with pytest.raises(ValidationError) as exc:
        actions.update_action(
            action=action,
            changes={"status": "done", "completed_on": org_today(org) + timedelta(days=2)},
        )
    assert "completed_on" in exc.value.message_dict


def test_the_owner_records_progress_but_cannot_move_the_due_date(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    membership = Membership.objects.get(user=process_owner, organisation=org)
    actions.update_action(
        action=action,
        membership=membership,
        changes={"status": "in_progress", "completion_notes": "Half the contracts reviewed"},
    )
    assert Action.all_orgs.get(pk=action.pk).status == "in_progress"
    with pytest.raises(PermissionDenied):
        actions.update_action(
            action=action,
            membership=membership,
            changes={"due_on": org_today(org) + timedelta(days=90)},
        )


def test_someone_elses_action_cannot_be_updated_by_a_process_owner(
    org, manager, process_owner, auditor
):
    action = _action(org, manager, auditor)
    membership = Membership.objects.get(user=process_owner, organisation=org)
    with pytest.raises(PermissionDenied):
        actions.update_action(action=action, membership=membership, changes={"status": "done"})


def test_overdue_and_mine(org, manager, process_owner):
    today = org_today(org)
    late = _action(org, manager, process_owner, due_on=today - timedelta(days=1))
    _action(org, manager, manager, due_on=today - timedelta(days=3))
    done = _action(org, manager, process_owner, due_on=today - timedelta(days=5))
    actions.update_action(action=done, changes={"status": "done"})
    overdue = Action.objects.for_org(org).overdue(today)
    assert late in overdue and done not in overdue and overdue.count() == 2
    mine = Action.objects.for_org(org).owned_by(process_owner).active()
    assert list(mine) == [late]
    assert late.is_overdue(today) and not done.is_overdue(today)


def test_an_action_links_to_a_record_of_the_same_organisation_only(
    org, other_org, manager, process_owner, outsider
):
    theirs = f.nonconformity(other_org, outsider)
    with pytest.raises(ValidationError) as exc:
        _action(org, manager, process_owner, nonconformity=theirs)
    assert "source" in exc.value.message_dict
    evidence_theirs = _evidence(other_org)
    with pytest.raises(ValidationError) as exc:
        _action(org, manager, process_owner, evidence=[evidence_theirs])
    assert "evidence" in exc.value.message_dict


def test_an_action_raised_by_any_record_through_the_generic_link(org, manager, process_owner):
    evidence = _evidence(org)
    action = _action(org, manager, process_owner, source=evidence)
    assert action.raised_by == evidence
    assert Action.objects.for_org(org).for_list().get().raised_by == evidence


def test_an_action_is_raised_by_one_record_at_most(org, manager, process_owner):
    nc = f.nonconformity(org, manager)
    improvement = actions.create_improvement(
        organisation=org, by=manager, fields={"title": "x", "description": "y", "source": "staff"}
    )
    with pytest.raises(ValidationError):
        _action(org, manager, process_owner, nonconformity=nc, improvement=improvement)


def test_comments_are_kept_and_need_text(org, manager, process_owner):
    action = _action(org, manager, process_owner)
    actions.add_action_comment(action=action, author=process_owner, body="Waiting for legal.")
    assert action.comments.get().author == process_owner
    with pytest.raises(ValidationError):
        actions.add_action_comment(action=action, author=process_owner, body="  ")


def _evidence(org):
    from openitsms.evidence.models import EvidenceItem

    item = EvidenceItem(
        organisation=org, title="Change policy v3", kind="document", effective_on=org_today(org)
    )
    item.save()
    return item


# ----------------------------------------------------------------------- the improvement register


def test_score_weighs_benefit_double_against_cost_and_risk():
    assert improvement_score(5, 1, 1) == 100
    assert improvement_score(1, 5, 5) == 0
    assert improvement_score(3, 3, 3) == 50
    assert improvement_score(None, 1, 1) is None


def _improvement(org, by, **fields):
    values = {
        "title": "Automate the monthly SLA report",
        "description": "The report takes two days of manual work and is often late.",
        "source": "staff",
    }
    values.update(fields)
    return actions.create_improvement(organisation=org, by=by, fields=values)


def test_approving_needs_an_evaluation_and_a_target(org, manager):
    improvement = _improvement(org, manager)
    with pytest.raises(ValidationError) as exc:
        actions.decide_improvement(improvement=improvement, by=manager, decision="approve")
    assert len(exc.value.message_dict["decision"]) == 2
    actions.update_improvement(
        improvement=improvement, changes={"benefit": 4, "cost": 2, "risk": 1}
    )
    actions.add_target(
        improvement=improvement,
        fields={
            "area": "productivity",
            "description": "Hours to produce the report",
            "unit": "hours",
            "direction": "lower",
            "baseline": Decimal("16"),
            "target": Decimal("2"),
        },
    )
    actions.decide_improvement(improvement=improvement, by=manager, decision="approve")
    improvement.refresh_from_db()
    assert improvement.status == "approved" and improvement.score == 81
    assert improvement.decided_by == manager


def test_rejecting_needs_a_reason(org, manager):
    improvement = _improvement(org, manager)
    with pytest.raises(ValidationError) as exc:
        actions.decide_improvement(improvement=improvement, by=manager, decision="reject")
    assert "notes" in exc.value.message_dict
    actions.decide_improvement(
        improvement=improvement, by=manager, decision="reject", notes="Tool retired next year."
    )
    assert Improvement.all_orgs.get(pk=improvement.pk).status == "rejected"


def test_completing_needs_settled_actions_and_measured_targets(org, manager, process_owner):
    improvement = _improvement(org, manager, benefit=4, cost=2, risk=1, owner=process_owner)
    target = actions.add_target(
        improvement=improvement,
        fields={"area": "cost", "description": "Hours", "direction": "lower", "target": 2},
    )
    actions.decide_improvement(improvement=improvement, by=manager, decision="approve")
    action = _action(org, manager, process_owner, improvement=improvement)
    improvement.refresh_from_db()
    assert improvement.status == "in_progress"
    with pytest.raises(ValidationError) as exc:
        actions.complete_improvement(improvement=improvement, by=manager, result_summary="")
    text = " ".join(exc.value.messages)
    assert action.reference in text and "Measure the result" in text and "Summarise" in text
    actions.update_action(action=action, changes={"status": "done"})
    membership = Membership.objects.get(user=process_owner, organisation=org)
    actions.update_target(
        target=target, membership=membership, changes={"measured": Decimal("1.5")}
    )
    target.refresh_from_db()
    assert target.achieved is True and target.measured_on == org_today(org)
    actions.complete_improvement(
        improvement=improvement, by=manager, result_summary="Report now takes 90 minutes."
    )
    assert Improvement.all_orgs.get(pk=improvement.pk).status == "completed"


def test_the_owner_measures_results_but_cannot_move_the_target(org, manager, process_owner):
    improvement = _improvement(org, manager, owner=process_owner)
    target = actions.add_target(
        improvement=improvement,
        fields={"area": "quality", "description": "First-time fix", "target": 80},
    )
    membership = Membership.objects.get(user=process_owner, organisation=org)
    with pytest.raises(PermissionDenied):
        actions.update_target(target=target, membership=membership, changes={"target": 10})


def test_ratings_outside_one_to_five_are_refused(org, manager):
    with pytest.raises(ValidationError):
        _improvement(org, manager, benefit=6)


def test_target_date_before_raised_is_refused_on_the_field(org, manager):
    with pytest.raises(ValidationError) as exc:
        _improvement(org, manager, due_on=org_today(org) - timedelta(days=400))
    assert "due_on" in exc.value.message_dict


# --------------------------------------------------------------------- similar nonconformities


def test_tokens_drop_common_words_and_endings():
    assert tokens("The changes were approved after deployment") == {"chang", "approv", "deployment"}
    assert tokens("change changed changing") == {"chang"}


def test_similar_nonconformities_share_words_or_clause_and_say_why(org, manager):
    clause = f.clause("8.5.1")
    earlier = f.nonconformity(
        org,
        manager,
        title="Emergency change deployed without approval",
        description="Change approval records missing for emergency changes.",
        clause=clause,
    )
    unrelated = f.nonconformity(
        org, manager, title="Supplier review overdue", description="Annual review not held."
    )
    matches = similar_nonconformities(
        title="Emergency changes approved late",
        description="Approval of emergency changes happened after deployment",
        clause_id=clause.pk,
    )
    assert [m.nonconformity for m in matches] == [earlier]
    assert "same clause" in matches[0].reasons
    assert "emergency" in matches[0].shared
    assert unrelated not in [m.nonconformity for m in matches]


def test_similar_search_excludes_the_record_itself():
    class Row:
        def __init__(self, pk, title):
            self.pk, self.number, self.title, self.description = pk, pk, title, ""
            self.clause_id = self.process_id = None

    rows = [Row(1, "backup restore test failed"), Row(2, "backup restore test failed again")]
    matches = rank(
        title="backup restore test failed",
        description="",
        clause_id=None,
        process_id=None,
        candidates=rows,
        exclude_pk=1,
    )
    assert [m.nonconformity.pk for m in matches] == [2]
