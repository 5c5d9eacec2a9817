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
