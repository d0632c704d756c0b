from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("security-log/", views.security_log, name="security_log"),
    path("security-log.csv", views.security_log_csv, name="security_log_csv"),
    path("my-data/", views.my_data, name="my_data"),
]
