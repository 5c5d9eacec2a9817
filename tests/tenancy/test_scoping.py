import pytest

from openitsms.jobs.models import Job
from openitsms.tenancy.scoping import UNBOUND, OrgScopeMissing, org_scope


def _job(org, title):
    return Job.all_orgs.create(organisation=org, kind="audit_verify", title=title)


def test_scoped_manager_returns_only_the_bound_organisations_rows(org, other_org):
    mine = _job(org, "mine")
    _job(other_org, "theirs")
    with org_scope(org):
        assert list(Job.objects.all()) == [mine]
        assert Job.objects.filter(title="theirs").count() == 0


def test_querying_a_scoped_model_in_a_request_without_organisation_fails_loudly(org):
    _job(org, "x")
    with org_scope(UNBOUND), pytest.raises(OrgScopeMissing):
        list(Job.objects.all())


def test_saving_another_organisations_record_inside_a_scope_is_refused(org, other_org):
    theirs = _job(other_org, "theirs")
    with org_scope(org), pytest.raises(OrgScopeMissing):
        theirs.title = "hijacked"
        theirs.save()
    theirs.refresh_from_db()
    assert theirs.title == "theirs"


def test_new_records_take_the_bound_organisation(org):
    with org_scope(org):
        job = Job(kind="audit_verify", title="t")
        job.save()
    assert job.organisation_id == org.pk


def test_every_org_scoped_model_keeps_the_scoped_default_manager():
    """A custom manager (e.g. QuerySet.as_manager()) must not silently replace the wall."""
    from django.apps import apps

    from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedModel

    scoped = [m for m in apps.get_models() if issubclass(m, OrgScopedModel)]
    assert len(scoped) >= 5
    for model in scoped:
        assert isinstance(model._default_manager, OrgScopedManager), model
        assert isinstance(model.objects, OrgScopedManager), model
        # Related lookups from an already loaded record go through the base manager.
        assert not isinstance(model._base_manager, OrgScopedManager), model


def test_queryset_as_manager_on_a_scoped_queryset_stays_scoped(org, other_org):
    from openitsms.tenancy.scoping import OrgScopedManager, OrgScopedQuerySet

    class JobQuerySet(OrgScopedQuerySet):
        pass

    assert isinstance(JobQuerySet.as_manager(), OrgScopedManager)
