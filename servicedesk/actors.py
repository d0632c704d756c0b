"""The system actor: the named user automation acts as (the SLA sweep, auto-close, e-mail
intake, monitoring events, imports, request and task automation).

Every service takes a mandatory `actor`. People pass themselves; automation passes
`system_actor()`. `None` is refused everywhere with `ActorRequired` (a programming error, never
a user's): an audit row always says who, and the timeline shows the system actor's name.

The system actor cannot sign in: its password is unusable and it is inactive, so neither the
sign-in form, a password reset nor a token lets anyone act as it. Permissions are granted to it
by `SystemActorBackend` (inactive users get none from Django's own backend): those of an agent
and of a configuration manager, what automation needs to change records.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

SYSTEM_ACTOR_EMAIL = "system@servicedesk.invalid"
SYSTEM_ACTOR_NAME = "Service Desk automation"


class ActorRequired(TypeError):
    """A service was called without an actor."""

    def __init__(self):
        super().__init__(
            "A service was called with actor=None: people pass themselves, automation passes "
            "servicedesk.actors.system_actor()."
        )


def actor_required(actor) -> None:
    """Refuse a missing actor (ActorRequired). Called by the kernel's audit writer and by
    services that read the actor before they write."""
    if actor is None:
        raise ActorRequired()


def system_actor_ensure(user_model=None):
    """Create the system actor if it is missing (the data migration, and after a flush)."""
    user_model = user_model or get_user_model()
    user, _created = user_model.objects.get_or_create(
        email=SYSTEM_ACTOR_EMAIL,
        defaults={
            "full_name": SYSTEM_ACTOR_NAME,
            "is_active": False,
            "is_staff": False,
            "password": make_password(None),  # unusable: no password signs in as it
        },
    )
    return user


@cache
def system_actor():
    """The system actor (one query per process; `system_actor.cache_clear()` after a flush)."""
    return system_actor_ensure()


def is_system_actor(user) -> bool:
    return getattr(user, "email", None) == SYSTEM_ACTOR_EMAIL


class SystemActorBackend:
    """Grants the system actor its permissions; authenticates nobody."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def _permissions(self):
        from accounts.roles import ROLE_PERMISSIONS, Role

        return {
            *ROLE_PERMISSIONS[Role.AGENT],
            *ROLE_PERMISSIONS[Role.CONFIGURATION_MANAGER],
        }

    def get_all_permissions(self, user_obj, obj=None):
        return self._permissions() if is_system_actor(user_obj) else set()

    def has_perm(self, user_obj, perm, obj=None):
        return is_system_actor(user_obj) and perm in self._permissions()

    def has_module_perms(self, user_obj, app_label):
        return is_system_actor(user_obj) and any(
            perm.startswith(f"{app_label}.") for perm in self._permissions()
        )
