from rest_framework.routers import SimpleRouter

from replies.api.views import TagViewSet

router = SimpleRouter()
router.register("tags", TagViewSet, basename="tag")

urlpatterns = router.urls
