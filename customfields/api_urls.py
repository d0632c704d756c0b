from rest_framework.routers import SimpleRouter

from customfields.api_views import CustomFieldsViewSet

router = SimpleRouter()
router.register("custom-fields", CustomFieldsViewSet, basename="custom-fields")
urlpatterns = router.urls
