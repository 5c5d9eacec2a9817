from django.contrib import admin
from django.http import HttpRequest

from openitsms.tenancy.models import Membership, Organisation


def _superusers_only(request: HttpRequest) -> bool:
    """The Django admin is for superusers only; staff status alone opens nothing."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
