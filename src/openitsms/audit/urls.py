from django.urls import path

from openitsms.audit import views

app_name = "audit"

urlpatterns = [
    path("o/<slug:org_slug>/audit/", views.org_log, name="org_log"),
    path("o/<slug:org_slug>/audit/verify/", views.verify, name="verify"),
    path(
        "o/<slug:org_slug>/audit/<str:object_type>/<str:object_id>/",
        views.object_history,
        name="object_history",
    ),
]
