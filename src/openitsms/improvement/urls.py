from django.urls import path

from openitsms.improvement import views

app_name = "improvement"

ORG = "o/<slug:org_slug>/"

urlpatterns = [
    # The one action tracker
    path(f"{ORG}actions/", views.action_list, name="action_list"),
    path(f"{ORG}actions/mine/", views.action_list, {"preset": "mine"}, name="action_mine"),
    path(f"{ORG}actions/overdue/", views.action_list, {"preset": "overdue"}, name="action_overdue"),
    path(f"{ORG}actions/new/", views.action_create, name="action_create"),
    path(f"{ORG}actions/<int:pk>/", views.action_detail, name="action_detail"),
    path(f"{ORG}actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path(f"{ORG}actions/<int:pk>/progress/", views.action_progress, name="action_progress"),
    path(f"{ORG}actions/<int:pk>/comments/", views.action_comment, name="action_comment"),
    # Nonconformities and corrective action (10.1)
    path(f"{ORG}nonconformities/", views.nonconformity_list, name="nonconformity_list"),
    path(f"{ORG}nonconformities/new/", views.nonconformity_create, name="nonconformity_create"),
    path(
        f"{ORG}nonconformities/similar/", views.nonconformity_similar, name="nonconformity_similar"
    ),
    path(
        f"{ORG}nonconformities/<int:pk>/", views.nonconformity_detail, name="nonconformity_detail"
    ),
    path(
        f"{ORG}nonconformities/<int:pk>/edit/", views.nonconformity_edit, name="nonconformity_edit"
    ),
    path(
        f"{ORG}nonconformities/<int:pk>/analysis/",
        views.nonconformity_analysis,
        name="nonconformity_analysis",
    ),
    path(f"{ORG}nonconformities/<int:pk>/checks/", views.check_plan, name="check_plan"),
    path(
        f"{ORG}nonconformities/<int:pk>/close/",
        views.nonconformity_close,
        name="nonconformity_close",
    ),
    path(
        f"{ORG}nonconformities/<int:pk>/notes/", views.nonconformity_note, name="nonconformity_note"
    ),
    path(f"{ORG}effectiveness-checks/<int:pk>/result/", views.check_record, name="check_record"),
    # Continual improvement (10.2)
    path(f"{ORG}improvements/", views.improvement_list, name="improvement_list"),
    path(f"{ORG}improvements/new/", views.improvement_create, name="improvement_create"),
    path(f"{ORG}improvements/<int:pk>/", views.improvement_detail, name="improvement_detail"),
    path(f"{ORG}improvements/<int:pk>/edit/", views.improvement_edit, name="improvement_edit"),
    path(
        f"{ORG}improvements/<int:pk>/decision/", views.improvement_decide, name="improvement_decide"
    ),
    path(f"{ORG}improvements/<int:pk>/targets/new/", views.target_create, name="target_create"),
    path(
        f"{ORG}improvements/<int:pk>/complete/",
        views.improvement_complete,
        name="improvement_complete",
    ),
    path(f"{ORG}improvement-targets/<int:pk>/", views.target_edit, name="target_edit"),
]
