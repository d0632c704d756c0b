"""/api/v1/checklists/?record=INC…, /api/v1/checklists/items/{id}/tick/."""

from rest_framework.routers import SimpleRouter

from checklists.api import views

router = SimpleRouter()
router.register("checklists", views.ChecklistViewSet, basename="checklist")

urlpatterns = router.urls
