from django.urls import path

from sla.api import views

urlpatterns = [path("sla/timers/", views.SlaTimerList.as_view(), name="sla-timers")]
