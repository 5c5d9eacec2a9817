from django.urls import path

from openitsms.audits import views

app_name = "audits"

ORG = "o/<slug:org_slug>/"

urlpatterns = [
    # Internal audit (9.2)
    path(f"{ORG}audits/", views.audit_home, name="audit_home"),
    path(f"{ORG}audits/programmes/new/", views.programme_create, name="programme_create"),
    path(f"{ORG}audits/programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path(f"{ORG}audits/programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path(
        f"{ORG}audits/programmes/<int:pk>/coverage/",
        views.programme_coverage_page,
        name="programme_coverage",
    ),
    path(
        f"{ORG}audits/programmes/<int:pk>/weighting/", views.programme_focus, name="programme_focus"
    ),
    path(f"{ORG}audits/new/", views.audit_create, name="audit_create"),
    path(f"{ORG}audits/<int:pk>/", views.audit_detail, name="audit_detail"),
    path(f"{ORG}audits/<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path(f"{ORG}audits/<int:pk>/checklist/", views.audit_checklist, name="audit_checklist"),
    path(f"{ORG}audits/<int:pk>/start/", views.audit_start, name="audit_start"),
    path(f"{ORG}audits/<int:pk>/complete/", views.audit_complete, name="audit_complete"),
    path(f"{ORG}audits/<int:pk>/cancel/", views.audit_cancel, name="audit_cancel"),
    path(f"{ORG}audits/<int:pk>/report/", views.audit_report, name="audit_report"),
    path(f"{ORG}audits/<int:pk>/findings/new/", views.finding_create, name="finding_create"),
    path(
        f"{ORG}audits/checklist-items/<int:pk>/", views.checklist_item_save, name="checklist_item"
    ),
    path(f"{ORG}audits/findings/", views.finding_list, name="finding_list"),
    path(f"{ORG}audits/findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path(f"{ORG}audits/findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path(
        f"{ORG}audits/findings/<int:pk>/to-improvement/",
        views.finding_to_improvement,
        name="finding_to_improvement",
    ),
    # The certification cycle
    path(f"{ORG}certification/", views.cycle_list, name="cycle_list"),
    path(f"{ORG}certification/new/", views.cycle_create, name="cycle_create"),
    path(f"{ORG}certification/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path(f"{ORG}certification/<int:pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path(f"{ORG}certification/<int:pk>/recompute/", views.cycle_recompute, name="cycle_recompute"),
    path(
        f"{ORG}certification/<int:pk>/audits/new/",
        views.external_audit_create,
        name="external_audit_create",
    ),
    path(
        f"{ORG}certification/audits/<int:pk>/",
        views.external_audit_detail,
        name="external_audit_detail",
    ),
    path(
        f"{ORG}certification/audits/<int:pk>/edit/",
        views.external_audit_edit,
        name="external_audit_edit",
    ),
    path(
        f"{ORG}certification/audits/<int:pk>/findings/new/",
        views.external_finding_create,
        name="external_finding_create",
    ),
    path(f"{ORG}certification/audits/<int:pk>/preparation/", views.preparation, name="preparation"),
    path(
        f"{ORG}certification/preparation-items/<int:pk>/",
        views.preparation_item_save,
        name="preparation_item",
    ),
    path(
        f"{ORG}certification/findings/<int:pk>/",
        views.external_finding_detail,
        name="external_finding_detail",
    ),
    path(
        f"{ORG}certification/findings/<int:pk>/edit/",
        views.external_finding_edit,
        name="external_finding_edit",
    ),
    path(
        f"{ORG}certification/findings/<int:pk>/to-improvement/",
        views.external_finding_to_improvement,
        name="external_finding_to_improvement",
    ),
]
