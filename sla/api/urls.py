from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.api import views

router = SimpleRouter()
router.register("sla/calendars", views.CalendarViewSet, basename="sla-calendar")
router.register("sla/policies", views.SlaPolicyViewSet, basename="sla-policy")
router.register("sla/rules", views.EscalationRuleViewSet, basename="sla-rule")

urlpatterns = [
    path("sla/timers/", views.SlaTimerList.as_view(), name="sla-timers"),
    *router.urls,
]
