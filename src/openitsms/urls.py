from django.contrib import admin
from django.urls import include, path

from openitsms.api import api

admin.site.site_header = "OpenITSMS administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("openitsms.accounts.urls")),
    path("", include("openitsms.tenancy.urls")),
    path("", include("openitsms.audit.urls")),
    path("", include("openitsms.jobs.urls")),
    path("", include("openitsms.catalogue.urls")),
    path("", include("openitsms.processes.urls")),
    path("", include("openitsms.evidence.urls")),
    path("", include("openitsms.services.urls")),
    path("", include("openitsms.improvement.urls")),
    path("", include("openitsms.audits.urls")),
    path("", include("openitsms.operations.urls")),
]
