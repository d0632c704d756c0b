"""The record-type registry: each record app declares itself here once, in its AppConfig.ready().

The apps that serve every record type (sla, cmdb, dashboards, portal, notifications, the kernel's
attachments and workspace) read this registry instead of importing incidents or catalogue. A
declaration names its callables by dotted path (as `VISIBLE_TO` always did) so registering imports
nothing; each path is imported once, on first use, and kept. Lookups are in-memory dicts.

    register(RecordType(
        key="incident", model="incidents.Incident", label=_("Incidents"), name=_("Incident"),
        visible_to="incidents.selectors.incidents_visible_to", ...))

What each status means (open, paused, resolved, cancelled) is the model's `WORKFLOW`'s to say
(servicedesk/workflow.py); the registry serves it from there.

See docs/architecture.md, "Adding a record type".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

from servicedesk.workflow import Meaning


@dataclass(frozen=True)
class DashboardSource:
    """How a record type feeds the dashboards' facts (see dashboards/facts.py); its open and done
    statuses are its workflow's open and resolved states.

    `changed` are the indexed timestamps whose movement means a fact row must be rebuilt;
    `optional` maps a fact column to the record's own name for it, e.g. {"resolved_at": "closed_at"}.
    """

    changed: tuple[str, ...] = ("updated_at",)
    optional: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PortalLink:
    """An entry of the portal's navigation or a button on its home page.

    `url_name` is reversed without arguments; `current` are the URL names (in the portal's
    namespace, without it) whose pages mark the entry as the current one; `order` sorts the
    entries of every record type together (lower first).
    """

    label: Any
    url_name: str
    current: tuple[str, ...] = ()
    order: int = 100


@dataclass(frozen=True)
class PortalPanel:
    """A block a record type adds to one of the portal's own pages (its home, its search).

    `template` is included with the page's context plus what `context` returns: the dotted path
    of `f(request, **page) -> dict` (the search page passes `q`, the text searched).
    """

    template: str
    context: str | None = None
    order: int = 100

    def render_context(self, request, **page) -> dict:
        return _resolve(self.context)(request, **page) if self.context else {}


@dataclass(frozen=True)
class PortalPages:
    """What a record type shows in the self-service portal (portal/ reads it, see
    docs/architecture.md, "Portal pages").

    Declaring one at all puts the person's own records of the type in the portal's "my records"
    list, each linking to the type's `portal_url_name` page, or to the portal's generic record
    page when the type has none. `urls` is the dotted path of a URL module whose `urlpatterns`
    (without an `app_name`) join the portal's namespace under /portal/, so its pages are
    `portal:<name>`; `menu` and `actions` are the type's entries in the portal's navigation and on
    its home page; `home` and `search` the blocks it adds to those pages.
    """

    urls: str | None = None
    menu: tuple[PortalLink, ...] = ()
    actions: tuple[PortalLink, ...] = ()
    home: tuple[PortalPanel, ...] = ()
    search: tuple[PortalPanel, ...] = ()


GENERIC_PORTAL_URL_NAME = "portal:record"


@dataclass(frozen=True)
class ApprovalHooks:
    """How a record type takes part in the kernel's approvals (servicedesk/approvals/).

    `decided` is the dotted path of `f(*, record, approval_set, actor, approved, comment)`, called
    in the deciding transaction with the record locked once its approval set is approved or
    rejected (a service request then starts fulfilment or closes as rejected).
    `requester_field` names the person whose manager or department approves; `service_field`
    the record's foreign key to the catalogue service whose owner approves (None: the type has
    no service, and the service-owner rule is refused). `summary_template` (HTML) and
    `email_summary_template` (text) show an approver what the record asks for, beside its
    number, title and requester.
    """

    decided: str
    requester_field: str = "requester"
    service_field: str | None = None
    summary_template: str | None = None
    email_summary_template: str | None = None


@dataclass(frozen=True)
class RecordType:
    """One record type as the rest of the service desk sees it.

    Required: `key` (the SLA policies' and dashboards' record type), `model` ("app.Model"),
    `label` (plural, shown on dashboards), `name` (singular, the SLA policy's choice),
    `visible_to` (dotted path of `f(user) -> QuerySet`), `detail_url_name` (the agent page,
    reversed with the record's number). The statuses and their meanings are the model's WORKFLOW.

    Optional (None when the type does not have it): `portal`, what the self-service portal
    shows of it (`PortalPages`); `portal_url_name`, the end user's own page of one record;
    `sla_metrics`, the SLA targets it is timed on; `assign` (record_id, actor, support_group,
    assignee), `raise_priority` (record_id, actor) and `update` (record_id, actor, changes, version)
    service callables; `queue_sizes` (user) for the workspace; `view_permission` and
    `work_permission`; `email` (record, kind, context) renderer for notifications; `dashboard`
    facts; `ci_field`, the name of its foreign key to a configuration item (the CI page lists it);
    `permissions`, {role name: permission codes} the roles of accounts/roles.py get for this type
    (a role also gets those of the roles it builds on, e.g. every staff role the agent's);
    `approvals`, how its records are approved (`ApprovalHooks`; None: they never are);
    `transition` (record_id, actor, target, version, **details), the type's own status change
    (macros set a status through it); `cause_candidates` (ci_id, user), the records of this type that lately touched a CI and may
    have caused what another record on that CI reports (the changes implemented on it: the
    incident page offers them as "caused by").

    Hooks the kernel's work services (servicedesk/services/work.py) call inside their
    transaction, after the kernel's own part: `on_assigned` (record, actor, previous), where
    `previous` is the (support group id, assignee id) before; `on_agent_reply` (record, actor,
    comment) after a public staff reply; `on_requester_reply` (record, actor, comment) after the
    requester's reply.

    `channel_create` (actor, requester, title, description, channel, defaults) is the type's
    create service for the channels that open records on a requester's behalf as the system
    actor (e-mail intake): `defaults` holds what the channel is configured with (support group,
    category, service, impact, urgency, request item), each type reading what it knows. None
    for the types whose records only staff raise (problems, changes) or that are made by
    another record (fulfilment tasks): a channel does not offer them.
    """

    key: str
    model: str
    label: Any
    name: Any
    visible_to: str
    detail_url_name: str
    portal: PortalPages | None = None
    portal_url_name: str | None = None
    sla_metrics: tuple[str, ...] = ()
    assign: str | None = None
    raise_priority: str | None = None
    update: str | None = None
    transition: str | None = None
    queue_sizes: str | None = None
    view_permission: str | None = None
    work_permission: str | None = None
    email: str | None = None
    dashboard: DashboardSource | None = None
    ci_field: str | None = None
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    approvals: ApprovalHooks | None = None
    cause_candidates: str | None = None
    on_assigned: str | None = None
    on_agent_reply: str | None = None
    on_requester_reply: str | None = None
    channel_create: str | None = None
    # Exports (transfer/exports.py): (header, field path) pairs, e.g. ("Group",
    # "support_group__name"), the FilterSet the queue filters with (dotted path), and the
    # queue's tabs (`queue(user=, queue=)`, the queue page's selector): an export from a tab
    # ("My open", "Breached") holds that tab's records.
    export_columns: tuple[tuple[str, str], ...] = ()
    export_filter: str | None = None
    export_queue: str | None = None

    @property
    def model_class(self):
        return apps.get_model(self.model)

    @property
    def label_lower(self) -> str:
        return self.model.lower()

    @cached_property
    def prefix(self) -> str:
        return self.model_class.NUMBER_PREFIX

    @property
    def workflow(self):
        """The model's `Workflow`: its states, transitions and what each state means."""
        return self.model_class.WORKFLOW

    def statuses(self, *meanings: Meaning) -> tuple[str, ...]:
        """The states that carry one of these meanings, in the workflow's order."""
        return tuple(self.workflow.states_meaning(*meanings))

    @cached_property
    def open_statuses(self) -> tuple[str, ...]:
        """Open and paused states: the record still needs work."""
        return self.statuses(Meaning.OPEN, Meaning.PAUSED)

    @cached_property
    def paused_statuses(self) -> tuple[str, ...]:
        return self.statuses(Meaning.PAUSED)

    @cached_property
    def done_statuses(self) -> tuple[str, ...]:
        """Resolved states: the work is delivered (the SLA clocks met or breached)."""
        return self.statuses(Meaning.RESOLVED)

    def call(self, name: str) -> Callable:
        """The callable declared under `name`, imported once. KeyError when the type has none."""
        path = getattr(self, name)
        if not path:
            raise KeyError(f"{self.key} declares no {name}")
        return _resolve(path)

    def has(self, name: str) -> bool:
        return bool(getattr(self, name))

    def hook(self, name: str, record, **arguments: Any) -> None:
        """Call the hook declared under `name` (`on_assigned`, ...), when the type has one."""
        if getattr(self, name):
            self.call(name)(record, **arguments)

    @property
    def timed(self) -> bool:
        """Whether the SLA engine times this type (it declares SLA metrics)."""
        return bool(self.sla_metrics)

    def visible(self, user):
        """The records of this type the person may see (the type's own selector)."""
        return _resolve(self.visible_to)(user)

    @property
    def in_portal(self) -> bool:
        """The portal lists the person's own records of this type."""
        return self.portal is not None

    @property
    def portal_page(self) -> str:
        """The URL name of the requester's page of one record (given its number): the type's
        own, or the portal's generic record page."""
        return self.portal_url_name or GENERIC_PORTAL_URL_NAME


_BY_KEY: dict[str, RecordType] = {}
_BY_LABEL: dict[str, RecordType] = {}
_RESOLVED: dict[str, Callable] = {}


def _resolve(path: str) -> Callable:
    function = _RESOLVED.get(path)
    if function is None:
        function = _RESOLVED[path] = import_string(path)
    return function


def resolve(path: str) -> Callable:
    """The callable at a dotted path a declaration names, imported once."""
    return _resolve(path)


def register(record_type: RecordType) -> RecordType:
    """Declare a record type (from its app's ready()). Registering the same key again replaces it.

    ValueError, with nothing registered, when its `permissions` name a role that does not exist.
    """
    _grant_role_permissions(record_type.key, record_type.permissions)
    old = _BY_KEY.get(record_type.key)
    if old is not None:
        _BY_LABEL.pop(old.label_lower, None)
    _BY_KEY[record_type.key] = record_type
    _BY_LABEL[record_type.label_lower] = record_type
    _by_prefix.cache_clear()
    if record_type.email:
        from servicedesk.notifications import register as register_email

        register_email(record_type.label_lower, _resolve(record_type.email))
    return record_type


def unregister(key: str) -> None:
    """Forget a record type (tests that declare one of their own clean up with it)."""
    old = _BY_KEY.pop(key, None)
    if old is not None:
        _BY_LABEL.pop(old.label_lower, None)
        _grant_role_permissions(key, {})
    _by_prefix.cache_clear()


def _grant_role_permissions(key: str, permissions: Mapping[str, tuple[str, ...]]) -> None:
    from accounts.roles import grant_permissions

    grant_permissions(source=f"record type {key}", permissions=permissions)


def all_types() -> list[RecordType]:
    """Every registered record type, in registration order."""
    return list(_BY_KEY.values())


def get(key: str) -> RecordType:
    """The record type with this key; KeyError when none is registered."""
    return _BY_KEY[key]


def for_model(model) -> RecordType | None:
    """The record type of a model class or instance (or "app.Model" label), None when unregistered."""
    label = model if isinstance(model, str) else model._meta.label
    return _BY_LABEL.get(label.lower())


def _by_prefix_table() -> dict[str, RecordType]:
    return {record_type.prefix: record_type for record_type in _BY_KEY.values()}


class _PrefixCache:
    table: dict[str, RecordType] | None = None

    def __call__(self) -> dict[str, RecordType]:
        if self.table is None:
            self.table = _by_prefix_table()
        return self.table

    def cache_clear(self):
        self.table = None


_by_prefix = _PrefixCache()


def for_number(number: str) -> RecordType | None:
    """The record type whose number prefix starts `number` (e.g. "REQ0000042"), or None."""
    for prefix, record_type in _by_prefix().items():
        if number.startswith(prefix):
            return record_type
    return None


def channel_types() -> list[RecordType]:
    """The record types a channel (e-mail intake) may open for a requester: those declaring a
    `channel_create` service, in registration order."""
    return [t for t in _BY_KEY.values() if t.channel_create]


def portal_types() -> list[RecordType]:
    """The record types the portal shows, in registration order."""
    return [t for t in _BY_KEY.values() if t.portal is not None]


def choices() -> list[tuple[str, Any]]:
    """(key, label) of every record type the SLA engine times, for choice fields."""
    return [(t.key, t.name) for t in _BY_KEY.values() if t.sla_metrics]


# --- Shared reference models ----------------------------------------------------------------------
# Models that are not record types but that every record points at (as its foreign keys name them
# by string). Apps that serve all record types reach them here, never by importing their app.
SHARED_MODELS = {
    "service": "catalogue.Service",
    "priority_level": "incidents.PriorityLevel",
    "configuration_item": "cmdb.ConfigurationItem",
}


def shared_model(name: str):
    """The model class of a shared reference ("service", "priority_level", "configuration_item")."""
    return apps.get_model(SHARED_MODELS[name])


# --- The SLA engine ---------------------------------------------------------------------------------
# The kernel's record services tell the SLA engine what happened (a reply, a new group) for the
# types it times. The engine sits above the kernel in the layers, so the kernel names its functions
# by dotted path, as a declaration does, and imports them on first use.
SLA_ENGINE = "sla.services"


def sla(name: str) -> Callable:
    """The SLA engine's function `name` (`agent_replied`, `first_response`, `group_changed`)."""
    return _resolve(f"{SLA_ENGINE}.{name}")
