"""The roles of the service desk. Each is a Django group (created by a migration) with permissions.

A person may hold several roles; `home_url_for` sends them to the page of their main one.
"""

from collections.abc import Iterable, Iterator, Mapping

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
    KNOWLEDGE_MANAGER = "knowledge_manager", _("Knowledge manager")
    DESK_MANAGER = "service_desk_manager", _("Service desk manager")
    ADMINISTRATOR = "administrator", _("Administrator")


USE_PORTAL = "accounts.use_portal"
USE_WORKSPACE = "accounts.use_agent_workspace"
VIEW_DASHBOARDS = "accounts.view_dashboards"

_PORTAL = ["accounts.use_portal"]
_AGENT = [
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
    # Agents read the CMDB (CIs, relationships, impact); configuration managers edit it.
    "cmdb.view_configurationitem",
    "cmdb.view_ciclass",
    "cmdb.view_relationship",
    "cmdb.view_baseline",
    # Agents write knowledge articles and submit them; knowledge managers publish them.
    "knowledge.view_article",
    "knowledge.add_article",
    "knowledge.change_article",
]
_CMDB_EDIT = [
    f"cmdb.{action}_{model}"
    for action in ("add", "change")
    for model in ("configurationitem", "relationship", "baseline")
] + ["cmdb.delete_relationship"]
_CMDB_CLASSES = [
    f"cmdb.{action}_{model}"
    for action in ("view", "add", "change")
    for model in ("ciclass", "attributedefinition")
]

# Each role's permissions of its own: it also holds those of the roles it builds on (BUILDS_ON),
# and every record type adds its own to the roles it names (its registry declaration's
# `permissions`, see servicedesk/registry.py): record apps' permissions are never named here.
OWN_PERMISSIONS: dict[str, list[str]] = {
    Role.END_USER: _PORTAL,
    Role.AGENT: _AGENT,
    Role.GROUP_LEAD: ["accounts.change_supportgroup"],
    Role.PROBLEM_MANAGER: [],
    Role.CHANGE_MANAGER: [],
    Role.CAB_MEMBER: [],
    Role.CONFIGURATION_MANAGER: [*_CMDB_EDIT, *_CMDB_CLASSES],
    Role.KNOWLEDGE_MANAGER: ["knowledge.manage_articles"],
    Role.DESK_MANAGER: ["accounts.view_dashboards", "accounts.view_all_organisations"],
    Role.ADMINISTRATOR: [
        "accounts.add_user",
        "accounts.change_user",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.add_supportgroup",
        "accounts.change_supportgroup",
        "auth.view_group",
        # Imports of records with their history (transfer/).
        "transfer.add_importjob",
        "transfer.view_importjob",
        "transfer.view_importmapping",
        "transfer.add_importmapping",
        "transfer.change_importmapping",
        # Account security: the security log, people's tokens, which roles require two-factor.
        "accounts.view_securityevent",
        "accounts.view_accesstoken",
        "accounts.change_accesstoken",
        "accounts.view_twofactorrequirement",
        "accounts.add_twofactorrequirement",
        "accounts.change_twofactorrequirement",
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
        # Follow-the-sun chains and desks; the handovers are read only.
        *[
            f"followsun.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("chain", "desk")
        ],
        "followsun.view_handover",
        "followsun.view_handoveritem",
        # Breach prediction: the model's quality page and its retraining.
        "prediction.view_breachmodel",
        "prediction.add_breachmodel",
        *[f"knowledge.{action}_article" for action in ("view", "add", "change", "delete")],
        "knowledge.manage_articles",
        *_CMDB_EDIT,
        *[
            f"cmdb.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("ciclass", "attributedefinition")
        ],
    ],
}

BUILDS_ON: dict[str, tuple[str, ...]] = {
    Role.END_USER: (),
    Role.AGENT: (Role.END_USER,),
    Role.GROUP_LEAD: (Role.AGENT,),
    Role.PROBLEM_MANAGER: (Role.AGENT,),
    Role.CHANGE_MANAGER: (Role.AGENT,),
    Role.CAB_MEMBER: (Role.AGENT,),
    Role.CONFIGURATION_MANAGER: (Role.AGENT,),
    Role.KNOWLEDGE_MANAGER: (Role.AGENT,),
    Role.DESK_MANAGER: (Role.AGENT,),
    Role.ADMINISTRATOR: (Role.DESK_MANAGER,),
}

# {source (a record type): {role: permission codes}}, filled by servicedesk.registry.register.
_GRANTED: dict[str, dict[str, tuple[str, ...]]] = {}


def grant_permissions(*, source: str, permissions: Mapping[str, Iterable[str]]) -> None:
    """What `source` (a record type's declaration) gives each role, replacing what it gave before.

    Unknown role names are refused (a misspelt role would silently grant nothing). The groups
    change on the next `sync_role_groups` (after every migrate, and in `load_demo`).
    """
    unknown = set(permissions) - set(Role.values)
    if unknown:
        raise ValueError(f"{source} names unknown roles: {sorted(unknown)}")
    if permissions:
        _GRANTED[source] = {str(role): tuple(codes) for role, codes in permissions.items()}
    else:
        _GRANTED.pop(source, None)


def permissions_of(role: str) -> list[str]:
    """Every permission code the role holds: those of the roles it builds on, its own, and what
    the record types give it, without repeats."""
    codes: list[str] = []
    for base in BUILDS_ON[role]:
        codes += permissions_of(base)
    codes += OWN_PERMISSIONS[role]
    for granted in _GRANTED.values():
        codes += granted.get(role, ())
    return list(dict.fromkeys(codes))


class _RolePermissions(Mapping[str, list[str]]):
    """{role: its permission codes}, computed when read (record types register at start-up)."""

    def __getitem__(self, role: str) -> list[str]:
        if role not in OWN_PERMISSIONS:
            raise KeyError(role)
        return permissions_of(role)

    def __iter__(self) -> Iterator[str]:
        return iter(OWN_PERMISSIONS)

    def __len__(self) -> int:
        return len(OWN_PERMISSIONS)


ROLE_PERMISSIONS: Mapping[str, list[str]] = _RolePermissions()

# The role whose home page a person lands on, first match wins.
HOME_BY_ROLE = [
    (Role.DESK_MANAGER, "dashboards:home"),
    (Role.AGENT, "workspace"),
    (Role.GROUP_LEAD, "workspace"),
    (Role.PROBLEM_MANAGER, "workspace"),
    (Role.CHANGE_MANAGER, "workspace"),
    (Role.CAB_MEMBER, "workspace"),
    (Role.KNOWLEDGE_MANAGER, "knowledge:list"),
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
