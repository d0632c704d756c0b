"""/api/v1/mailboxes/ (mounted from servicedesk.urls' `api_v1` list)."""

from rest_framework.routers import SimpleRouter

from inbound.api.views import MailboxViewSet

router = SimpleRouter()
router.register("mailboxes", MailboxViewSet, basename="mailbox")

urlpatterns = router.urls
