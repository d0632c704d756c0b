from django.urls import path

from followsun import views

app_name = "followsun"

urlpatterns = [
    path("handovers/", views.handover_report, name="handover_report"),
    path("handovers.csv", views.handover_report_csv, name="handover_report_csv"),
]
