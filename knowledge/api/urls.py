"""/api/v1/knowledge/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from knowledge.api.views import ArticleViewSet

router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="knowledge-article")

urlpatterns = router.urls
