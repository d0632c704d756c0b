"""LDAP / Active Directory: signing in with the directory's password and the scheduled sync,
against a real OpenLDAP server (tests/sso/directory.ldif)."""

import ldap
import pytest

from accounts.models import User
from accounts.roles import Role, user_roles
from accounts.security_models import SecurityEvent
from sso.models import DirectoryAccount, DirectorySyncRun
from sso.tasks import sync_directory_task
from tests.sso.conftest import signed_in

pytestmark = pytest.mark.django_db

PEOPLE = "ou=people,dc=example,dc=org"
GROUPS = "ou=groups,dc=example,dc=org"
NOT_MAPPED = "is in no group that may use the service desk"
SWITCHED_OFF = "This account is switched off."
WRONG_PASSWORD = "That e-mail address and password do not match an account."


def text(response):
    return response.content.decode()


def test_directory_sign_in_creates_the_person_with_roles_group_and_organisation(
    client, sign_in, directory, desk_team
):
    response = sign_in("ann.agent@example.org", "ann-secret")

    assert response.redirect_chain[-1][0] == "/workspace/"
    ann = User.objects.get(email="ann.agent@example.org")
    assert signed_in(client) == ann
    assert ann.full_name == "Ann Agent"
    assert ann.job_title == "Service desk analyst"
    assert ann.phone == "+44 20 7946 0002"
    assert ann.organisation.name == "Example Corp"
    assert ann.department.name == "Service Management"
    assert ann.department.organisation == ann.organisation
    assert user_roles(ann) == {Role.AGENT, Role.END_USER}
    assert list(ann.support_groups.all()) == [desk_team]
    assert not ann.has_usable_password()  # the directory keeps the password, not the desk
    account = DirectoryAccount.objects.get(user=ann)
    assert account.dn == f"cn=ann agent,{PEOPLE}"
    assert len(account.external_id) == 36  # the entry's entryUUID


def test_a_second_sign_in_matches_the_same_person_and_follows_the_directory(
    client, sign_in, directory, ldap_admin
):
    sign_in("ann.agent@example.org", "ann-secret")
    client.post("/accounts/logout/")
    ldap_admin.modify_s(f"cn=Ann Agent,{PEOPLE}", [(ldap.MOD_REPLACE, "title", [b"Team lead"])])
    ldap_admin.modify_s(
        f"cn=desk-agents,{GROUPS}",
        [(ldap.MOD_ADD, "member", [f"cn=Mia Manager,{PEOPLE}".encode()])],
    )
    ldap_admin.modify_s(
        f"cn=desk-agents,{GROUPS}",
        [(ldap.MOD_DELETE, "member", [f"cn=Ann Agent,{PEOPLE}".encode()])],
    )

    response = sign_in("ANN.AGENT@example.org", "ann-secret")

    assert response.redirect_chain[-1][0] == "/portal/"
    assert User.objects.filter(email__iexact="ann.agent@example.org").count() == 1
    ann = User.objects.get(email="ann.agent@example.org")
    assert ann.job_title == "Team lead"
    assert user_roles(ann) == {Role.END_USER}  # no longer in desk-agents
    assert not ann.support_groups.exists()


def test_a_wrong_directory_password_signs_nobody_in_and_creates_nobody(client, sign_in, directory):
    response = sign_in("ann.agent@example.org", "not-her-password")

    assert WRONG_PASSWORD in text(response)
    assert not signed_in(client).is_authenticated
    assert not User.objects.filter(email="ann.agent@example.org").exists()


def test_an_account_disabled_in_the_directory_cannot_sign_in(client, sign_in, directory):
    response = sign_in("dan@example.org", "dan-secret")

    assert SWITCHED_OFF in text(response)
    assert not signed_in(client).is_authenticated
    assert not User.objects.filter(email="dan@example.org").exists()
    refused = SecurityEvent.objects.get(kind="sso_refused")
    assert refused.email == "dan@example.org" and refused.detail["source"] == "ldap"


def test_groups_that_map_to_nothing_are_refused_when_there_is_no_default_role(
    client, sign_in, directory, settings
):
    settings.SSO_DEFAULT_ROLE = ""

    response = sign_in("gus@example.org", "gus-secret")

    assert NOT_MAPPED in text(response)
    assert not signed_in(client).is_authenticated
    assert not User.objects.filter(email="gus@example.org").exists()


def test_groups_that_map_to_nothing_give_the_default_role(client, sign_in, directory):
    response = sign_in("gus@example.org", "gus-secret")

    assert response.redirect_chain[-1][0] == "/portal/"
    assert user_roles(User.objects.get(email="gus@example.org")) == {Role.END_USER}


def test_a_directory_that_does_not_answer_says_so_on_the_sign_in_page(
    client, sign_in, directory, settings
):
    from tests.sso.servers import free_port

    settings.LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}"
    settings.LDAP_TIMEOUT = 2

    response = sign_in("ann.agent@example.org", "ann-secret")

    assert "The directory did not answer" in text(response)
    assert not User.objects.filter(email="ann.agent@example.org").exists()


def test_local_people_still_sign_in_with_their_password_beside_the_directory(
    client, sign_in, directory, agent
):
    response = sign_in(agent.email, "correct-horse-battery")

    assert signed_in(client) == agent
    assert response.redirect_chain[-1][0] == "/workspace/"


def test_the_sync_brings_in_everyone_with_manager_department_and_organisation(directory):
    run_id = sync_directory_task.delay().get()

    run = DirectorySyncRun.objects.get(pk=run_id)
    assert (run.created, run.skipped, run.error) == (4, 2, "")
    problems = {problem["dn"]: problem["problem"] for problem in run.problems}
    assert "no e-mail address" in problems[f"cn=nadia nomail,{PEOPLE}"]
    assert SWITCHED_OFF in problems[f"cn=dan departed,{PEOPLE}"]
    mia = User.objects.get(email="mia@example.org")
    ann = User.objects.get(email="ann.agent@example.org")
    eve = User.objects.get(email="eve@example.org")
    gus = User.objects.get(email="gus@example.org")
    assert ann.manager == mia and eve.manager == mia and mia.manager is None
    assert eve.department.name == "Sales" and eve.organisation.name == "Example Corp"
    assert gus.organisation.name == "Visitors Ltd" and gus.department is None
    assert user_roles(mia) == {Role.DESK_MANAGER, Role.END_USER}
    assert user_roles(gus) == {Role.END_USER}  # maps to nothing: the default role
    assert not User.objects.filter(email="dan@example.org").exists()

    again = DirectorySyncRun.objects.get(pk=sync_directory_task.delay().get())
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)


def test_the_sync_switches_off_people_disabled_or_removed_in_the_directory(directory, ldap_admin):
    sync_directory_task.delay()
    ldap_admin.modify_s(f"cn=Eve Enduser,{PEOPLE}", [(ldap.MOD_ADD, "employeeType", [b"disabled"])])
    ldap_admin.delete_s(f"cn=visitors,{GROUPS}")
    ldap_admin.delete_s(f"cn=Gus Guest,{PEOPLE}")

    run = DirectorySyncRun.objects.get(pk=sync_directory_task.delay().get())

    assert run.deactivated == 2
    assert not User.objects.get(email="eve@example.org").is_active
    assert not User.objects.get(email="gus@example.org").is_active
    switched_off = SecurityEvent.objects.filter(kind="directory_deactivated")
    assert dict(switched_off.values_list("email", "detail__reason")) == {
        "eve@example.org": "disabled in the directory",
        "gus@example.org": "gone from the directory",
    }
    assert User.objects.get(email="ann.agent@example.org").is_active

    ldap_admin.modify_s(f"cn=Eve Enduser,{PEOPLE}", [(ldap.MOD_DELETE, "employeeType", None)])
    run = DirectorySyncRun.objects.get(pk=sync_directory_task.delay().get())
    assert run.reactivated == 1
    assert User.objects.get(email="eve@example.org").is_active


def test_a_person_the_sync_switched_off_is_signed_out(client, sign_in, directory, ldap_admin):
    sign_in("eve@example.org", "eve-secret")
    assert signed_in(client).is_authenticated
    ldap_admin.modify_s(f"cn=Eve Enduser,{PEOPLE}", [(ldap.MOD_ADD, "employeeType", [b"disabled"])])

    sync_directory_task.delay()

    assert client.get("/portal/").status_code == 302
    assert not signed_in(client).is_authenticated


def test_the_sync_with_the_directory_down_changes_nothing(directory, settings):
    sync_directory_task.delay()
    settings.LDAP_SERVER_URI = "ldap://127.0.0.1:1"
    settings.LDAP_TIMEOUT = 2

    run = DirectorySyncRun.objects.get(pk=sync_directory_task.delay().get())

    assert run.error
    assert User.objects.filter(email="eve@example.org", is_active=True).exists()


def test_the_sync_is_scheduled_and_does_nothing_without_a_directory(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sync-directory"]
    assert entry["task"] == "sso.tasks.sync_directory_task"
    assert entry["options"]["expires"] < entry["schedule"].total_seconds()
    settings.LDAP_SERVER_URI = ""
    assert sync_directory_task.delay().get() is None
    assert not DirectorySyncRun.objects.exists()
