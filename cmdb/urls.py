"""The configuration management pages, mounted at /cmdb/."""

from django.urls import path

from cmdb import views

app_name = "cmdb"

urlpatterns = [
    path("", views.ci_list, name="ci_list"),
    path("new/", views.ci_create, name="ci_create"),
    path("options/", views.ci_options, name="ci_options"),
    path("import/", views.ci_import, name="ci_import"),
    path("export/", views.ci_export, name="ci_export"),
    path("baselines/", views.baseline_list, name="baseline_list"),
    path("baselines/<id:pk>/", views.baseline_detail, name="baseline_detail"),
    path("<id:pk>/", views.ci_detail, name="ci_detail"),
    path("<id:pk>/edit/", views.ci_edit, name="ci_edit"),
    path("<id:pk>/impact/", views.ci_impact, name="ci_impact"),
    path("<id:pk>/impact.json", views.ci_impact_json, name="ci_impact_json"),
    path("<id:pk>/relationships/", views.relationship_add, name="relationship_add"),
    path(
        "<id:pk>/relationships/<id:relationship_id>/remove/",
        views.relationship_remove,
        name="relationship_remove",
    ),
    path("incidents/<id:incident_id>/impact/", views.incident_proposal, name="incident_proposal"),
    path(
        "incidents/<id:incident_id>/impact/decide/",
        views.incident_proposal_decide,
        name="incident_proposal_decide",
    ),
]
