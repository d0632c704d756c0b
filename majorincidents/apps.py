from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MajorIncidentsConfig(AppConfig):
    """The major-incident room (communications plan, updates, child incidents, decisions) and
    the services' status pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "majorincidents"
    verbose_name = _("Major incidents and status pages")

    def ready(self):
        from majorincidents.emails import render_update_email
        from portal.selectors import MENU_LINKS, PAGE_PANELS
        from servicedesk.notifications import register
        from servicedesk.page_slots import register_panel
        from servicedesk.registry import PortalLink, PortalPanel

        register("majorincidents.statusupdate", render_update_email)
        register("majorincidents.communicationplan", render_update_email)
        register("majorincidents.statussubscription", render_update_email)
        status_link = PortalLink(
            _("Service status"), "majorincidents:overview", ("overview", "page"), 85
        )
        if status_link not in MENU_LINKS:
            MENU_LINKS.append(status_link)
        home_panel = PortalPanel(
            "majorincidents/_portal_home.html", "majorincidents.selectors.portal_home_context", 5
        )
        if home_panel not in PAGE_PANELS["home"]:
            PAGE_PANELS["home"].append(home_panel)
        register_panel(
            "record_page",
            template="majorincidents/_record_panel.html",
            context="majorincidents.selectors.record_panel_context",
            order=20,
        )
        register_panel(
            "workspace_links",
            template="majorincidents/_workspace_link.html",
            context="majorincidents.selectors.workspace_link_context",
        )
