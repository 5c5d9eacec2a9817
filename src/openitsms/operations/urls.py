from django.urls import path

from openitsms.operations import views

app_name = "operations"

urlpatterns = [
    path("o/<slug:org_slug>/operations/import/", views.import_page, name="import"),
    path("o/<slug:org_slug>/operations/runs/", views.run_list, name="runs"),
    path("o/<slug:org_slug>/operations/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path(
        "o/<slug:org_slug>/operations/runs/<int:pk>/mapping/",
        views.run_mapping,
        name="run_mapping",
    ),
    path(
        "o/<slug:org_slug>/operations/runs/<int:pk>/rejections.csv",
        views.run_rejections_csv,
        name="run_rejections_csv",
    ),
    path("o/<slug:org_slug>/operations/mappings/", views.mapping_list, name="mappings"),
    path("o/<slug:org_slug>/operations/mappings/new/", views.mapping_new, name="mapping_new"),
    path(
        "o/<slug:org_slug>/operations/mappings/<int:pk>/",
        views.mapping_detail,
        name="mapping_detail",
    ),
    path(
        "o/<slug:org_slug>/operations/mappings/<int:pk>/delete/",
        views.mapping_delete,
        name="mapping_delete",
    ),
    path("o/<slug:org_slug>/operations/records/", views.record_list, name="records"),
    path("o/<slug:org_slug>/operations/kpis/", views.kpis, name="kpis"),
    path("o/<slug:org_slug>/operations/recurring/", views.recurring, name="recurring"),
    path(
        "o/<slug:org_slug>/operations/records/<int:pk>/",
        views.record_detail,
        name="record_detail",
    ),
]
