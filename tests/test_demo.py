from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from openitsms.tenancy.models import Membership, Organisation


def test_demo_creates_two_organisations_a_user_per_role_and_a_consultant(db):
    out = StringIO()
    call_command("demo", "--password", "another-pass-99", stdout=out)
    assert set(Organisation.objects.values_list("slug", flat=True)) == {"northwind", "harbour"}
    for org in Organisation.objects.all():
        roles = set(Membership.objects.filter(organisation=org).values_list("role", flat=True))
        assert roles == {"owner", "manager", "process_owner", "auditor", "viewer"}
    consultant = get_user_model().objects.get(username="consultant")
    assert consultant.memberships.count() == 2
    assert consultant.check_password("another-pass-99")
    printed = out.getvalue()
    assert "nw-owner" in printed and "hb-viewer" in printed and "another-pass-99" in printed


def test_demo_can_run_again_without_duplicates(db):
    call_command("demo", stdout=StringIO())
    counts = (
        Organisation.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
    )
    call_command("demo", stdout=StringIO())
    assert (
        Organisation.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
    ) == counts
