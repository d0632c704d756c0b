"""/api/v1/incidents/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from incidents.api.views import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
