from django.urls import path

from prediction import views

app_name = "prediction"

urlpatterns = [
    path("likely-to-breach/", views.queue, name="queue"),
    path("breach-model/", views.quality, name="quality"),
    path("breach-model/retrain/", views.retrain, name="retrain"),
]
