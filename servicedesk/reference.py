"""Reference data kinds: the rows records point at (people, groups, organisations,
categories, services, priority levels, resolution codes). Each app declares its kinds once
(`register_reference` from its `ready()`), as data and dotted paths, so the kernel's reference
services, the reference API and imports find, create and update them by name or external id
without importing the app."""

from dataclasses import dataclass, field
from functools import cached_property

from django.apps import apps
from django.db import models
from django.utils.module_loading import import_string
from django.utils.text import slugify


@dataclass(frozen=True)
class ReferenceKind:
    """One kind of reference data.

    `name_fields` are tried in order (case-insensitively) when looking a row up by name;
    `parent_field` names a parent of the same kind (a subcategory's category), so "Network /
    VPN" names a child; `create_defaults` are set on a row created on the fly; `save` is the
    dotted path of a service `f(*, instance, actor, created)` that saves a checked row when the
    kind has one (priority levels); `permission` the one a writer needs (default: the model's
    change permission).
    """

    key: str
    model: str
    name_fields: tuple[str, ...] = ("name",)
    parent_field: str = ""
    create_defaults: dict = field(default_factory=dict)
    create_fields: str = ""
    save: str = ""
    permission: str = ""

    @cached_property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def write_permission(self) -> str:
        meta = self.model_class._meta
        return self.permission or f"{meta.app_label}.change_{meta.model_name}"

    @cached_property
    def save_hook(self):
        return import_string(self.save) if self.save else None


_KINDS: dict[str, ReferenceKind] = {}


def register_reference(*kinds: ReferenceKind) -> None:
    for kind in kinds:
        _KINDS[kind.key] = kind


def reference_kind(key: str) -> ReferenceKind:
    """Raises KeyError for a kind nobody registered."""
    return _KINDS[key]


def reference_kinds() -> list[ReferenceKind]:
    return list(_KINDS.values())


def person_fields(value: str) -> dict:
    """A person created on the fly by an import: an e-mail address, or a name given an
    address nobody can receive mail at (an administrator corrects it later)."""
    value = value.strip()
    if "@" in value:
        return {"email": value.lower(), "full_name": value.split("@")[0]}
    slug = slugify(value).replace("-", ".") or "person"
    return {"email": f"{slug}@imported.invalid", "full_name": value}


KERNEL_KINDS = (
    ReferenceKind(key="organisation", model="accounts.Organisation", name_fields=("name", "code")),
    ReferenceKind(key="department", model="accounts.Department"),
    ReferenceKind(
        key="user",
        model="accounts.User",
        name_fields=("email", "full_name"),
        create_fields="servicedesk.reference.person_fields",
    ),
    ReferenceKind(key="group", model="accounts.SupportGroup"),
)
