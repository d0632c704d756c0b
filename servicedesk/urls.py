from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from rest_framework.routers import SimpleRouter

from servicedesk import views
from servicedesk.api import reference
from servicedesk.api.approvals import ApprovalViewSet
from servicedesk.api.links import RecordLinkViewSet
from servicedesk.api.schema_view import SchemaView
from servicedesk.security import ApiDocsView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("problems.api.urls")),
    path("", include("sla.api.urls")),
    path("cmdb/", include("cmdb.api.urls")),
    path("", include("catalogue.api.urls")),
    path("", include("changes.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("inbound.api.urls")),
    path("knowledge/", include("knowledge.api.urls")),
    path("", include("replies.api.urls")),
    path("", include("events.api.urls")),
    path("", include("search.api_urls")),
    path("", include("timekeeping.api.urls")),
    path("", include("checklists.api.urls")),
    path("", include("customfields.api_urls")),
    path("", include("majorincidents.api.urls")),
    path("", include("live.api_urls")),
    path("", include("followsun.api.urls")),
]
links_router = SimpleRouter()
links_router.register("links", RecordLinkViewSet, basename="record-link")
links_router.register("approvals", ApprovalViewSet, basename="approval")
for prefix, viewset in (
    ("users", reference.UserViewSet),
    ("organisations", reference.OrganisationViewSet),
    ("departments", reference.DepartmentViewSet),
    ("groups", reference.SupportGroupViewSet),
):
    links_router.register(f"reference/{prefix}", viewset, basename=f"reference-{prefix}")
api_v1 += links_router.urls

urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/", views.workspace, name="workspace"),
    path("health/", views.health, name="health"),
    path("attachments/<id:pk>/download/", views.attachment_download, name="attachment_download"),
    path("records/<str:number>/links/", views.record_link_add, name="record_link_add"),
    path(
        "records/<str:number>/links/<id:pk>/remove/",
        views.record_link_remove,
        name="record_link_remove",
    ),
    # Browsers and feed readers ask for /favicon.ico whatever the page links.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("accounts/webauthn/", include("accounts.webauthn_urls")),
    path("accounts/", include("accounts.urls")),
    path("sso/", include("sso.urls")),
    path("portal/", include("portal.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("incidents/", include("incidents.urls")),
    path("problems/", include("problems.urls")),
    path("known-errors/", include("problems.kedb.urls")),
    path("catalogue/", include("catalogue.urls")),
    path("changes/", include("changes.urls")),
    path("sla/", include("sla.urls")),
    path("cmdb/", include("cmdb.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("events/", include("events.urls")),
    path("privacy/", include("privacy.urls")),
    path("imports/", include("transfer.urls")),
    path("prediction/", include("prediction.urls")),
    path("search/", include("search.urls")),
    path("time/", include("timekeeping.urls")),
    path("checklists/", include("checklists.urls")),
    path("custom-fields/", include("customfields.urls")),
    path("", include("majorincidents.urls")),
    path("live/", include("live.urls")),
    path("followsun/", include("followsun.urls")),
    path("replies/", include("replies.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api_schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("inbound/", include("inbound.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "servicedesk.views.bad_request"
handler403 = "servicedesk.views.permission_denied"
handler404 = "servicedesk.views.page_not_found"
handler500 = "servicedesk.views.server_error"

admin.site.site_header = admin.site.site_title = "Service Desk"
