"""What every page's layout needs: the navigation this person may use, and the languages."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.roles import USE_PORTAL, USE_WORKSPACE, VIEW_DASHBOARDS

NAVIGATION = [
    # (section key, label, URL name, permission needed; None = staff only)
    ("workspace", _("Agent workspace"), "workspace", USE_WORKSPACE),
    ("incidents", _("Incidents"), "incidents:queue", USE_WORKSPACE),
    ("problems", _("Problems"), "problems:queue", "problems.work_problem"),
    ("events", _("Events"), "events:console", USE_WORKSPACE),
    ("cmdb", _("CMDB"), "cmdb:ci_list", "cmdb.view_configurationitem"),
    ("catalogue", _("Requests and tasks"), "catalogue:tasks", USE_WORKSPACE),
    ("changes", _("Changes"), "changes:queue", "changes.view_change"),
    ("knowledge", _("Knowledge"), "knowledge:list", "knowledge.add_article"),
    ("portal", _("Self-service portal"), "portal:home", USE_PORTAL),
    ("dashboards", _("Dashboards"), "dashboards:home", VIEW_DASHBOARDS),
    ("admin", _("Administration"), "admin:index", None),
    ("privacy", _("Security log"), "privacy:security_log", "accounts.view_securityevent"),
    ("api", _("API"), "api_docs", USE_WORKSPACE),
]


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for key, label, url_name, permission in NAVIGATION:
            allowed = user.is_staff if permission is None else user.has_perm(permission)
            if allowed:
                items.append({"key": key, "label": label, "url_name": url_name})
    match = getattr(request, "resolver_match", None)
    section = None
    if match is not None:
        section = match.namespace or match.url_name
    return {"nav_items": items, "section": section, "available_languages": settings.LANGUAGES}
