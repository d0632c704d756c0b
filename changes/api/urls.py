"""/api/v1/changes/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from changes.api.views import ChangeViewSet

router = SimpleRouter()
router.register("changes", ChangeViewSet, basename="change")

urlpatterns = router.urls
