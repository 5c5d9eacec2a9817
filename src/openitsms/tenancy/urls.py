from django.urls import path

from openitsms.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", views.org_home, name="org_home"),
    path("o/<slug:org_slug>/members/", views.member_list, name="member_list"),
    path("o/<slug:org_slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("o/<slug:org_slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:org_slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
