"""Signing in with a local password, and each person's permissions from a shared cache.

Django's ModelBackend reads a person's permissions with two queries (their own and their
groups') on every request that asks `has_perm`, which is nearly every request. They change
rarely: when someone's groups, a group's permissions or a person's own permissions change. So
the set is kept in the cache (Redis in production, shared by every web and worker process)
under a generation token, and any such change (the signals below) draws a new token, which
retires every cached set at once.
"""

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

GENERATION_KEY = "permissions:generation"
TIMEOUT = 24 * 3600


class PeopleBackend(ModelBackend):
    """ModelBackend with the permission sets cached (see the module's docstring)."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _cached_permissions(user_obj) or _store(
                user_obj, super().get_all_permissions(user_obj)
            )
        return user_obj._perm_cache


def _user_key(user) -> str:
    return f"permissions:user:{user.pk}"


def _cached_permissions(user) -> set[str] | None:
    found = cache.get_many([GENERATION_KEY, _user_key(user)])
    entry = found.get(_user_key(user))
    if entry is None or found.get(GENERATION_KEY) is None or entry[0] != found[GENERATION_KEY]:
        return None
    return set(entry[1])


def _store(user, permissions: set[str]) -> set[str]:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY)
    cache.set(_user_key(user), (generation, sorted(permissions)), timeout=TIMEOUT)
    return permissions


def forget_all_permissions(**_ignored) -> None:
    """Retire every cached permission set (a new generation token), now and again after the
    commit: a request that read the old rows in between must not keep its set."""
    new_permission_generation()
    transaction.on_commit(new_permission_generation)


def new_permission_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _user_saved(sender, instance, created, **kwargs) -> None:
    # A new person may reuse the id of one whose set is cached (a test database rolled back).
    if created:
        forget_all_permissions()


def connect_signals() -> None:
    User = get_user_model()
    uid = "accounts.backends."
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget_all_permissions, sender=through, dispatch_uid=f"{uid}{through}")
    for model in (Group, Permission):
        post_save.connect(forget_all_permissions, sender=model, dispatch_uid=f"{uid}save{model}")
        post_delete.connect(forget_all_permissions, sender=model, dispatch_uid=f"{uid}del{model}")
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}user")
    post_delete.connect(forget_all_permissions, sender=User, dispatch_uid=f"{uid}deluser")
    # Migrations change role groups through historical models, which send no signal above.
    post_migrate.connect(forget_all_permissions, dispatch_uid=f"{uid}migrate")
