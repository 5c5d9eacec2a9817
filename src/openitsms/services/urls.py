from django.urls import path

from openitsms.services import views

app_name = "services"

ORG = "o/<slug:org_slug>/"

urlpatterns = [
    # The service catalogue (8.2.4), its availability and the monthly report (9.4).
    path(ORG + "services/", views.service_list, name="service_list"),
    path(ORG + "services/new/", views.service_create, name="service_create"),
    path(ORG + "services/<int:pk>/", views.service_detail, name="service_detail"),
    path(ORG + "services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path(ORG + "services/<int:pk>/delete/", views.service_delete, name="service_delete"),
    path(
        ORG + "services/<int:pk>/availability/",
        views.service_availability_panel,
        name="service_availability",
    ),
    path(ORG + "services/<int:pk>/report/", views.service_report, name="service_report"),
    # Customers, internal teams and suppliers.
    path(ORG + "parties/", views.party_list, name="party_list"),
    path(ORG + "parties/<int:pk>/edit/", views.party_edit, name="party_edit"),
    path(ORG + "parties/<int:pk>/delete/", views.party_delete, name="party_delete"),
    # Agreements (8.3.3, 8.3.4) and their targets.
    path(ORG + "agreements/", views.agreement_list, name="agreement_list"),
    path(ORG + "agreements/new/", views.agreement_create, name="agreement_create"),
    path(ORG + "agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path(ORG + "agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path(ORG + "agreements/<int:pk>/delete/", views.agreement_delete, name="agreement_delete"),
    path(
        ORG + "agreements/<int:pk>/time-targets/add/",
        views.time_target_add,
        name="time_target_add",
    ),
    path(
        ORG + "agreements/<int:pk>/availability-targets/add/",
        views.availability_target_add,
        name="availability_target_add",
    ),
    path(
        ORG + "agreements/<int:pk>/measurable-targets/add/",
        views.measurable_target_add,
        name="measurable_target_add",
    ),
    path(
        ORG + "time-targets/<int:pk>/delete/", views.time_target_delete, name="time_target_delete"
    ),
    path(
        ORG + "availability-targets/<int:pk>/delete/",
        views.availability_target_delete,
        name="availability_target_delete",
    ),
    path(
        ORG + "measurable-targets/<int:pk>/delete/",
        views.measurable_target_delete,
        name="measurable_target_delete",
    ),
    # Business calendars.
    path(ORG + "calendars/", views.calendar_list, name="calendar_list"),
    path(ORG + "calendars/new/", views.calendar_create, name="calendar_create"),
    path(ORG + "calendars/<int:pk>/", views.calendar_detail, name="calendar_detail"),
    path(ORG + "calendars/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
    path(ORG + "calendars/<int:pk>/delete/", views.calendar_delete, name="calendar_delete"),
    path(ORG + "calendars/<int:pk>/segments/add/", views.segment_add, name="segment_add"),
    path(ORG + "calendar-segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path(ORG + "calendars/<int:pk>/closures/add/", views.closure_add, name="closure_add"),
    path(ORG + "calendar-closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
    # Outages (8.7.1).
    path(ORG + "outages/", views.outage_list, name="outage_list"),
    path(ORG + "outages/new/", views.outage_create, name="outage_create"),
    path(ORG + "outages/<int:pk>/", views.outage_detail, name="outage_detail"),
    path(ORG + "outages/<int:pk>/edit/", views.outage_edit, name="outage_edit"),
    path(ORG + "outages/<int:pk>/delete/", views.outage_delete, name="outage_delete"),
]
