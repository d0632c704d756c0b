from django.urls import path

from transfer import views

app_name = "transfer"

urlpatterns = [
    path("", views.import_start, name="start"),
    path("<id:pk>/", views.import_job, name="job"),
    path("<id:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<id:pk>/run/", views.import_commit, name="run"),
    path("export/<slug:key>/", views.records_export, name="export"),
    path("records/<str:number>.json", views.record_export, name="record_json"),
]
