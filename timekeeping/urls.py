from django.urls import path

from timekeeping import views

app_name = "timekeeping"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chargeback/", views.chargeback, name="chargeback"),
    path("records/<str:number>/log/", views.log_time, name="log"),
]
