from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("bell/", views.bell, name="bell"),
    path("presence/", views.presence, name="presence"),
    path("groups/", views.group_rules, name="group_rules"),
    path("availability/", views.availability, name="availability"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.mark_read, name="mark_read"),
    path("records/<str:number>/", views.record_state, name="record_state"),
    path("queues/<str:key>/", views.queue_stamp, name="queue_stamp"),
]
