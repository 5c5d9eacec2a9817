from django.urls import path

from openitsms.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("o/<slug:org_slug>/requirements/", views.requirement_list, name="requirement_list"),
    path(
        "o/<slug:org_slug>/requirements/assess/",
        views.conformity_bulk,
        name="conformity_bulk",
    ),
    path(
        "o/<slug:org_slug>/requirements/export.csv",
        views.conformity_export_csv,
        name="conformity_export_csv",
    ),
    path(
        "o/<slug:org_slug>/requirements/export.xlsx",
        views.conformity_export_xlsx,
        name="conformity_export_xlsx",
    ),
    path(
        "o/<slug:org_slug>/requirements/<int:pk>/",
        views.requirement_detail,
        name="requirement_detail",
    ),
    path(
        "o/<slug:org_slug>/requirements/<int:pk>/assess/",
        views.conformity_edit,
        name="conformity_edit",
    ),
]
