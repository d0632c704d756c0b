from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("", views.console, name="console"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<id:pk>/incident/", views.open_incident, name="open_incident"),
    path("inbound/<slug:name>/", views.inbound, name="inbound"),
]
