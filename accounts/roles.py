"""The roles of the service desk. Each is a Django group (created by a migration) with permissions.

A person may hold several roles; `home_url_for` sends them to the page of their main one.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    END_USER = "end_user", _("End user")
    AGENT = "agent", _("Agent")
    GROUP_LEAD = "support_group_lead", _("Support group lead")
    PROBLEM_MANAGER = "problem_manager", _("Problem manager")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB_MEMBER = "cab_member", _("CAB member")
    CONFIGURATION_MANAGER = "configuration_manager", _("Configuration manager")
    DESK_MANAGER = "service_desk_manager", _("Service desk manager")
    ADMINISTRATOR = "administrator", _("Administrator")


USE_PORTAL = "accounts.use_portal"
USE_WORKSPACE = "accounts.use_agent_workspace"
VIEW_DASHBOARDS = "accounts.view_dashboards"

_PORTAL = ["accounts.use_portal"]
_AGENT = [
    *_PORTAL,
    "accounts.use_agent_workspace",
    "accounts.view_user",
    "accounts.view_organisation",
    "accounts.view_department",
    "accounts.view_supportgroup",
    "servicedesk.add_comment",
    "servicedesk.view_comment",
    "servicedesk.add_attachment",
    "servicedesk.view_attachment",
    "servicedesk.view_auditevent",
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.work_incident",
    "incidents.view_category",
    "incidents.view_prioritylevel",
    # Agents read the CMDB (CIs, relationships, impact); configuration managers edit it.
    "cmdb.view_configurationitem",
    "cmdb.view_ciclass",
    "cmdb.view_relationship",
    "cmdb.view_baseline",
    "catalogue.view_service",
    "catalogue.view_servicerequest",
    "catalogue.work_request",
    "catalogue.view_fulfilmenttask",
    "knowledge.view_article",
]
_CMDB_EDIT = [
    f"cmdb.{action}_{model}"
    for action in ("add", "change")
    for model in ("configurationitem", "relationship", "baseline")
] + ["cmdb.delete_relationship"]
_MANAGER = [*_AGENT, "accounts.view_dashboards"]

# Permissions of later apps are added to these lists by the issues that bring the models.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.END_USER: _PORTAL,
    Role.AGENT: _AGENT,
    Role.GROUP_LEAD: [*_AGENT, "accounts.change_supportgroup"],
    Role.PROBLEM_MANAGER: _AGENT,
    Role.CHANGE_MANAGER: _AGENT,
    Role.CAB_MEMBER: _AGENT,
    Role.CONFIGURATION_MANAGER: [
        *_AGENT,
        *_CMDB_EDIT,
        *[
            f"cmdb.{action}_{model}"
            for action in ("view", "add", "change")
            for model in ("ciclass", "attributedefinition")
        ],
    ],
    Role.DESK_MANAGER: _MANAGER,
    Role.ADMINISTRATOR: [
        *_MANAGER,
        "accounts.add_user",
        "accounts.change_user",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.add_supportgroup",
        "accounts.change_supportgroup",
        "auth.view_group",
        *[
            f"incidents.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("prioritylevel", "prioritymatrixcell", "category", "routingrule")
        ],
        *[
            f"sla.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in (
                "calendar",
                "workinghours",
                "holiday",
                "slapolicy",
                "slatarget",
                "escalationrule",
            )
        ],  # fmt: skip
        "sla.view_slatimer",
        "sla.view_escalationfiring",
        *[
            f"catalogue.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in (
                "service",
                "serviceoffering",
                "requestitem",
                "requestfield",
                "tasktemplate",
            )
        ],  # fmt: skip
        *[f"knowledge.{action}_article" for action in ("view", "add", "change", "delete")],
        *_CMDB_EDIT,
        *[
            f"cmdb.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("ciclass", "attributedefinition")
        ],
    ],
}

# The role whose home page a person lands on, first match wins.
HOME_BY_ROLE = [
    (Role.DESK_MANAGER, "dashboards:home"),
    (Role.AGENT, "workspace"),
    (Role.GROUP_LEAD, "workspace"),
    (Role.PROBLEM_MANAGER, "workspace"),
    (Role.CHANGE_MANAGER, "workspace"),
    (Role.CAB_MEMBER, "workspace"),
    (Role.CONFIGURATION_MANAGER, "cmdb:ci_list"),
    (Role.ADMINISTRATOR, "admin:index"),
    (Role.END_USER, "portal:home"),
]


def user_roles(user) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_role_cache"):
        roles = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        user._role_cache = roles
    return user._role_cache


def can_see_internal(user) -> bool:
    """Agents and everyone behind them see internal work notes and events; end users do not."""
    return user.is_authenticated and user.has_perm(USE_WORKSPACE)


def home_url_name(user) -> str:
    roles = user_roles(user)
    for role, url_name in HOME_BY_ROLE:
        if url_name == "admin:index" and not user.is_staff:
            continue  # the admin site would only show its own sign-in page again
        if role in roles:
            return url_name
    return "portal:home"


def sync_role_groups(apps=None) -> None:
    """Create or update one group per role with exactly its permissions. Idempotent.

    Called from migrations (with the historical `apps`) and by `load_demo`.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in global_apps.get_app_configs():
        # Permissions normally appear after the last migration; roles need them now.
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
