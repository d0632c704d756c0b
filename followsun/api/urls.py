from rest_framework.routers import SimpleRouter

from followsun.api.views import ChainViewSet, HandoverViewSet

router = SimpleRouter()
router.register("followsun/chains", ChainViewSet, basename="followsun-chain")
router.register("followsun/handovers", HandoverViewSet, basename="followsun-handover")

urlpatterns = router.urls
