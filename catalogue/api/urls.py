"""/api/v1/catalogue/..., /api/v1/requests/, /api/v1/tasks/ (approvals are the kernel's: servicedesk/api/approvals.py)."""

from rest_framework.routers import SimpleRouter

from catalogue.api import views
from catalogue.api.reference import ServiceReferenceViewSet

router = SimpleRouter()
router.register("catalogue/services", views.ServiceViewSet, basename="catalogue-service")
router.register("catalogue/items", views.ItemViewSet, basename="catalogue-item")
router.register("requests", views.RequestViewSet, basename="servicerequest")
router.register("tasks", views.TaskViewSet, basename="fulfilmenttask")
router.register("reference/services", ServiceReferenceViewSet, basename="reference-service")

urlpatterns = router.urls
