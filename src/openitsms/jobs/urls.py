from django.urls import path

from openitsms.jobs import views

app_name = "jobs"

urlpatterns = [
    path("o/<slug:org_slug>/jobs/", views.job_list, name="job_list"),
    path("o/<slug:org_slug>/jobs/<int:pk>/", views.job_detail, name="job_detail"),
]
