"""Writes for single sign-on: a person signing in through a provider or the directory gets the
account, roles and support groups their groups grant, or is refused before anything is saved."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Department, Organisation, SupportGroup, User
from accounts.roles import Role
from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind
from accounts.tokens import forget_tokens
from sso import errors
from sso.errors import SignInRefused
from sso.models import DirectoryAccount, DirectorySyncRun, Source
from sso.selectors import Grants, grants_for_groups

logger = logging.getLogger(__name__)

FIELD_LENGTHS = {"full_name": 150, "phone": 40, "job_title": 120}  # accounts.User's columns


@dataclass(frozen=True)
class Profile:
    """What a provider or the directory says about a person, already read from its claims,
    attributes or entry."""

    source: str
    email: str
    full_name: str = ""
    groups: list[str] = field(default_factory=list)
    phone: str = ""
    job_title: str = ""


def profile_check(*, profile: Profile) -> Grants:
    """Refuse a profile the desk cannot take (SignInRefused): no usable e-mail address, or
    groups that map to nothing while no default role is set (`SSO_DEFAULT_ROLE`). Returns what
    the groups grant. Reads only."""
    email = (profile.email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SignInRefused(errors.NO_EMAIL) from None
    grants = grants_for_groups(source=profile.source, groups=profile.groups)
    if grants.empty and not settings.SSO_DEFAULT_ROLE:
        raise SignInRefused(errors.NOT_MAPPED)
    return grants


def user_find_by_email(*, email: str) -> User | None:
    """The person with this e-mail address, whatever its case."""
    return User.objects.filter(email__iexact=email.strip()).first()


@transaction.atomic
def user_apply_grants(*, user: User, grants: Grants, actor: User) -> User:
    """Give `user` exactly the managed roles and support groups `grants` names (those no mapping
    manages are kept), and the default role when they would hold no role at all.

    Precondition: `user` is saved. Runs in one transaction with the caller's.
    """
    role_groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    wanted = (held - grants.managed_roles) | set(grants.roles)
    if not wanted and settings.SSO_DEFAULT_ROLE:
        wanted = {settings.SSO_DEFAULT_ROLE}
    if remove := held - wanted:
        user.groups.remove(*[role_groups[name] for name in remove])
    if add := [role_groups[name] for name in wanted - held if name in role_groups]:
        user.groups.add(*add)

    member_of = set(
        user.support_groups.filter(pk__in=grants.managed_support_group_ids).values_list(
            "pk", flat=True
        )
    )
    leave = member_of - grants.support_group_ids
    join = grants.support_group_ids - member_of
    for group in SupportGroup.objects.filter(pk__in=leave | join).order_by("pk"):
        if group.pk in leave:
            group.members.remove(user)
        else:
            group.members.add(user)
    if hasattr(user, "_role_cache"):
        del user._role_cache
    if remove or add or leave or join:
        security_event_record(
            kind=SecurityEventKind.SSO_ROLES_CHANGED,
            user=user,
            actor=actor if actor.pk != user.pk else None,
            roles_added=sorted(wanted - held),
            roles_removed=sorted(remove),
            groups_joined=sorted(
                SupportGroup.objects.filter(pk__in=join).values_list("name", flat=True)
            ),
            groups_left=sorted(
                SupportGroup.objects.filter(pk__in=leave).values_list("name", flat=True)
            ),
        )
        logger.info(
            "sso: %s roles +%s -%s, support groups +%s -%s (by %s)",
            user.email,
            sorted(wanted - held),
            sorted(remove),
            sorted(join),
            sorted(leave),
            actor.email,
        )
    return user


@transaction.atomic
def user_apply_profile(*, user: User, profile: Profile, grants: Grants, actor: User) -> User:
    """Copy the provider's name, phone and job title onto `user` (when it sends them), save, and
    apply `grants` (`user_apply_grants`). A new `user` (not saved yet) is created here. The
    caller checked the profile with `profile_check` first."""
    changed = []
    if user.pk is None:
        user.email = User.objects.normalize_email(profile.email.strip()).lower()
        user.set_unusable_password()
    for name in ("full_name", "phone", "job_title"):
        value = (getattr(profile, name) or "").strip()[: FIELD_LENGTHS[name]]
        if value and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if user.pk is None:
        user.full_clean(exclude=["password"])
        user.save()
        security_event_record(
            kind=SecurityEventKind.SSO_ACCOUNT_CREATED, user=user, source=profile.source
        )
    elif changed:
        user.save(update_fields=changed)
    return user_apply_grants(user=user, grants=grants, actor=actor)


# --- The directory (LDAP / Active Directory) --------------------------------------------------


def directory_profile(entry) -> Profile:
    """What a directory entry says about its person, through `LDAP_ATTRIBUTES`."""
    names = settings.LDAP_ATTRIBUTES
    return Profile(
        source=Source.LDAP,
        email=entry.first(names["email"]),
        full_name=entry.first(names["full_name"]),
        groups=list(entry.groups),
        phone=entry.first(names["phone"]),
        job_title=entry.first(names["job_title"]),
    )


def _organisation(name: str) -> Organisation | None:
    """The organisation called `name` (any case), created when it is new; without a name the
    default one (`LDAP_DEFAULT_ORGANISATION`, a short code) or none."""
    name = name.strip()[:200]
    if not name:
        code = settings.LDAP_DEFAULT_ORGANISATION
        return Organisation.objects.filter(code=code).first() if code else None
    found = Organisation.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    base = slugify(name)[:24] or "org"
    code, suffix = base, 1
    while Organisation.objects.filter(code=code).exists():
        suffix += 1
        code = f"{base}-{suffix}"
    return Organisation.objects.create(name=name, code=code)


def _department(organisation: Organisation | None, name: str) -> Department | None:
    name = name.strip()[:200]
    if organisation is None or not name:
        return None
    found = Department.objects.filter(organisation=organisation, name__iexact=name).first()
    return found or Department.objects.create(organisation=organisation, name=name)


@dataclass
class EntryOutcome:
    user: User
    created: bool = False
    changed: bool = False
    deactivated: bool = False
    reactivated: bool = False


@transaction.atomic
def directory_entry_apply(*, entry, actor: User, user: User | None = None) -> EntryOutcome:
    """Create or update the person of one directory entry: name, e-mail, phone, job title,
    organisation and department (created when new), manager (when the manager's entry is known
    here), roles and support groups from their groups, and `is_active` from whether the
    directory disables them (a person this sync switched off is switched on again when the
    directory enables them).

    The person is found by the entry's directory id, else by e-mail address, else created (not
    for a disabled entry). Raises SignInRefused, before any write, for an entry without an
    e-mail address or whose groups map to nothing while no default role is set. One transaction.
    """
    profile = directory_profile(entry)
    grants = profile_check(profile=profile)
    account = (
        DirectoryAccount.objects.select_for_update()
        .select_related("user")
        .filter(external_id=entry.external_id)
        .first()
    )
    if user is None:
        user = account.user if account else user_find_by_email(email=profile.email)
    if user is None:
        if entry.disabled:
            raise SignInRefused(errors.INACTIVE)
        user = User()
    if account is None:
        account = DirectoryAccount.objects.filter(user_id=user.pk).first() if user.pk else None
    outcome = EntryOutcome(user=user, created=user.pk is None)

    before = {
        name: getattr(user, name)
        for name in ("email", "full_name", "phone", "job_title", "organisation_id",
                     "department_id", "manager_id", "is_active")
    }  # fmt: skip
    email = User.objects.normalize_email(profile.email).lower()
    if user.pk and user.email != email and not User.objects.filter(email__iexact=email).exists():
        user.email = email  # the directory changed the address
    organisation = _organisation(entry.first(settings.LDAP_ATTRIBUTES["organisation"]))
    if organisation is not None:
        user.organisation = organisation
    department = _department(user.organisation, entry.first(settings.LDAP_ATTRIBUTES["department"]))
    if department is not None or organisation is not None:
        user.department = department
    manager_dn = entry.first(settings.LDAP_ATTRIBUTES["manager"]).lower()
    manager = User.objects.filter(directory_account__dn=manager_dn).first() if manager_dn else None
    if manager is not None and manager.pk != user.pk:
        user.manager = manager
    if entry.disabled and user.is_active:
        user.is_active, outcome.deactivated = False, True
    elif not entry.disabled and not user.is_active and account and account.deactivated_by_sync:
        user.is_active, outcome.reactivated = True, True

    user_apply_profile(user=user, profile=profile, grants=grants, actor=actor)
    changed = [name for name, value in before.items() if getattr(user, name) != value]
    if changed and not outcome.created:
        user.save(update_fields=[name.removesuffix("_id") for name in changed])
    outcome.changed = bool(changed)

    account = account or DirectoryAccount(user=user)
    account.user = user
    account.dn, account.external_id, account.manager_dn = entry.dn, entry.external_id, manager_dn
    account.disabled_in_directory = entry.disabled
    if outcome.deactivated:
        account.deactivated_by_sync = True
        security_event_record(
            kind=SecurityEventKind.DIRECTORY_DEACTIVATED,
            user=user,
            reason="disabled in the directory",
        )
    elif user.is_active:
        account.deactivated_by_sync = False
    account.synced_at = timezone.now()
    account.save()
    return outcome


def _managers_fill(*, started) -> None:
    """Second pass of a sync: people whose manager's entry was created after theirs."""
    accounts = DirectoryAccount.objects.filter(synced_at__gte=started).exclude(manager_dn="")
    managers = dict(
        DirectoryAccount.objects.filter(
            dn__in=accounts.values_list("manager_dn", flat=True)
        ).values_list("dn", "user_id")
    )
    for account in accounts.select_related("user").order_by("user_id"):
        manager_id = managers.get(account.manager_dn)
        if manager_id and manager_id != account.user_id and account.user.manager_id != manager_id:
            User.objects.filter(pk=account.user_id).update(manager_id=manager_id)


@transaction.atomic
def _vanished_deactivate(*, started) -> int:
    """Switch off people whose entry the directory no longer has (none seen in this run)."""
    gone = DirectoryAccount.objects.filter(synced_at__lt=started, user__is_active=True)
    user_ids = list(gone.order_by("user_id").values_list("user_id", flat=True))
    User.objects.filter(pk__in=user_ids).select_for_update().order_by("pk").update(is_active=False)
    forget_tokens()  # a bulk write sends no signal: their tokens must stop at once
    DirectoryAccount.objects.filter(user_id__in=user_ids).update(deactivated_by_sync=True)
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        security_event_record(
            kind=SecurityEventKind.DIRECTORY_DEACTIVATED,
            user=user,
            reason="gone from the directory",
        )
    return len(user_ids)


def directory_sync(*, actor: User) -> DirectorySyncRun:
    """Bring every person of the directory in: create or update each entry's person
    (`directory_entry_apply`, one transaction each, so one bad entry stops no other), set
    managers, and switch off the people whose entry was disabled or removed. A directory that
    is down or answers with nobody changes nothing. Returns the run, saved with its counts and
    the entries it skipped and why."""
    from sso import directory

    run = DirectorySyncRun.objects.create()
    started = run.started_at
    seen = 0
    try:
        connection = directory.connect()
        try:
            for entry in directory.people(connection):
                seen += 1
                try:
                    outcome = directory_entry_apply(entry=entry, actor=actor)
                except SignInRefused as refused:
                    run.skipped += 1
                    run.problems.append({"dn": entry.dn, "problem": str(refused.message)})
                    continue
                except ValidationError as invalid:
                    run.skipped += 1
                    run.problems.append({"dn": entry.dn, "problem": "; ".join(invalid.messages)})
                    continue
                run.created += outcome.created
                run.updated += outcome.changed and not outcome.created
                run.deactivated += outcome.deactivated
                run.reactivated += outcome.reactivated
        finally:
            connection.unbind_s()
    except directory.DirectoryUnavailable as error:
        run.error = str(error)
    else:
        if seen:
            _managers_fill(started=started)
            run.deactivated += _vanished_deactivate(started=started)
        else:
            run.error = "The directory returned nobody under LDAP_USER_BASE: nothing changed."
    run.finished_at = timezone.now()
    run.save()
    logger.info(
        "directory sync: %s created, %s updated, %s switched off, %s skipped%s",
        run.created,
        run.updated,
        run.deactivated,
        run.skipped,
        f", error: {run.error}" if run.error else "",
    )
    return run


# --- SAML identity providers ------------------------------------------------------------------

METADATA_MAX_BYTES = 1024 * 1024


def saml_idp_from_metadata(*, xml: str | bytes) -> dict[str, str]:
    """The identity provider's entity id, sign-in and sign-out addresses and signing certificate,
    read from its metadata XML (what ADFS serves at /FederationMetadata/2007-06/
    FederationMetadata.xml). ValidationError with a clear message for anything else."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    if len(xml) > METADATA_MAX_BYTES:
        raise ValidationError(_("This metadata is larger than 1 MB: it is not an IdP's metadata."))
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    except Exception as error:  # lxml's syntax errors, defusedxml's refusals, odd documents
        raise ValidationError(
            _("This is not SAML metadata an identity provider publishes: %(error)s"),
            params={"error": error},
        ) from error
    idp = parsed.get("idp") or {}
    certificate = idp.get("x509cert") or next(
        iter((idp.get("x509certMulti") or {}).get("signing") or []), ""
    )
    sso_url = (idp.get("singleSignOnService") or {}).get("url", "")
    if not idp.get("entityId") or not sso_url or not certificate:
        raise ValidationError(
            _(
                "The metadata names no identity provider with a sign-in address (HTTP-Redirect "
                "binding) and a signing certificate."
            )
        )
    found = {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": certificate}
    if slo_url := (idp.get("singleLogoutService") or {}).get("url"):
        found["slo_url"] = slo_url
    return found


@transaction.atomic
def saml_provider_import_metadata(*, app: SocialApp, xml: str | bytes, actor: User) -> SocialApp:
    """Take an identity provider's metadata in: its entity id, addresses and certificate replace
    the provider's `idp` settings (a metadata URL set before is dropped); assertions must then be
    signed with that certificate. Raises ValidationError (nothing saved) for bad metadata."""
    idp = saml_idp_from_metadata(xml=xml)
    app.provider = "saml"
    app.settings = {
        **(app.settings or {}),
        "idp": idp,
        "advanced": {"want_assertion_signed": True, **(app.settings or {}).get("advanced", {})},
    }
    app.full_clean()
    app.save()
    logger.info("sso: %s took in the metadata of SAML provider %s", actor.email, app.client_id)
    return app
