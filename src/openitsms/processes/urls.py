from django.urls import path

from openitsms.processes import views

app_name = "processes"

urlpatterns = [
    path("o/<slug:org_slug>/processes/", views.process_list, name="process_list"),
    path("o/<slug:org_slug>/processes/new/", views.process_create, name="process_create"),
    path(
        "o/<slug:org_slug>/processes/install-defaults/",
        views.process_install,
        name="process_install",
    ),
    path("o/<slug:org_slug>/processes/<int:pk>/", views.process_detail, name="process_detail"),
    path("o/<slug:org_slug>/processes/<int:pk>/edit/", views.process_edit, name="process_edit"),
    path(
        "o/<slug:org_slug>/processes/<int:pk>/reviewed/",
        views.process_review,
        name="process_review",
    ),
    path("o/<slug:org_slug>/processes/<int:pk>/raci/", views.raci_edit, name="raci_edit"),
    path("o/<slug:org_slug>/processes/<int:pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("o/<slug:org_slug>/kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("o/<slug:org_slug>/kpis/<int:pk>/delete/", views.kpi_delete, name="kpi_delete"),
]
