"""/api/v1/events/ and /api/v1/webhooks/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from events.api.views import EventViewSet, WebhookSubscriptionViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = router.urls
