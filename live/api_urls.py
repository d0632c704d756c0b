from rest_framework.routers import SimpleRouter

from live.api import NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="live-notification")

urlpatterns = router.urls
