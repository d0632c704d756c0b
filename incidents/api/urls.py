"""/api/v1/incidents/ (mounted from servicedesk.urls' `api_v1` list)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import reference
from incidents.api.views import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("reference/categories", reference.CategoryViewSet, basename="reference-category")
router.register(
    "reference/priority-levels", reference.PriorityLevelViewSet, basename="reference-priority"
)
router.register(
    "reference/resolution-codes", reference.ResolutionCodeViewSet, basename="reference-resolution"
)

urlpatterns = [
    *router.urls,
    path("reference/scales/", reference.ScalesView.as_view(), name="reference_scales"),
    path("reference/pending-reasons/", reference.PendingReasonsView, name="reference_pending"),
    path("reference/channels/", reference.ChannelsView, name="reference_channels"),
]
