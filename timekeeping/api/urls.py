"""/api/v1/time-entries/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from timekeeping.api.views import TimeEntryViewSet

router = SimpleRouter()
router.register("time-entries", TimeEntryViewSet, basename="time-entry")

urlpatterns = router.urls
