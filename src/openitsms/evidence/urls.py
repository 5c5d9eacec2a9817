from django.urls import path

from openitsms.evidence import views

app_name = "evidence"

urlpatterns = [
    path("o/<slug:org_slug>/evidence/", views.evidence_list, name="evidence_list"),
    path("o/<slug:org_slug>/evidence/new/", views.evidence_create, name="evidence_create"),
    path("o/<slug:org_slug>/evidence/verify/", views.evidence_verify, name="evidence_verify"),
    path("o/<slug:org_slug>/evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("o/<slug:org_slug>/evidence/<int:pk>/edit/", views.evidence_edit, name="evidence_edit"),
    path(
        "o/<slug:org_slug>/evidence/<int:pk>/versions/",
        views.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "o/<slug:org_slug>/evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"
    ),
    path(
        "o/<slug:org_slug>/evidence/<int:pk>/restore/",
        views.evidence_restore,
        name="evidence_restore",
    ),
    path(
        "o/<slug:org_slug>/evidence/files/<int:pk>/download/",
        views.file_download,
        name="file_download",
    ),
]
