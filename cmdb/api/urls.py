"""/api/v1/cmdb/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from cmdb.api.views import ConfigurationItemViewSet, ImpactProposalViewSet, RelationshipViewSet

router = SimpleRouter()
router.register("cis", ConfigurationItemViewSet, basename="ci")
router.register("relationships", RelationshipViewSet, basename="relationship")
router.register("impact-proposals", ImpactProposalViewSet, basename="impact-proposal")

urlpatterns = router.urls
