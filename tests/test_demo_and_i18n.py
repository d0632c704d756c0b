"""The demo data command, and the completeness of the Persian and Chinese translations."""

import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import Department, Organisation, SupportGroup, User
from accounts.roles import Role
from servicedesk.management.commands.load_demo import DEMO_PASSWORD

PROJECT = Path(__file__).resolve().parents[1]
LANGUAGES = ["fa", "zh_Hans"]

HOME_BY_ROLE = {
    Role.END_USER: "/portal/",
    Role.AGENT: "/workspace/",
    Role.GROUP_LEAD: "/workspace/",
    Role.PROBLEM_MANAGER: "/workspace/",
    Role.CHANGE_MANAGER: "/workspace/",
    Role.CAB_MEMBER: "/workspace/",
    Role.CONFIGURATION_MANAGER: "/cmdb/",
    Role.DESK_MANAGER: "/dashboards/",
    Role.ADMINISTRATOR: "/admin/",
}

# --- load_demo ---------------------------------------------------------------------------------


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts():
    return {
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "departments": Department.objects.count(),
        "support groups": SupportGroup.objects.count(),
        "memberships": SupportGroup.members.through.objects.count(),
        "groups": Group.objects.count(),
        "role grants": User.groups.through.objects.count(),
        "group permissions": Group.permissions.through.objects.count(),
        "permissions": Permission.objects.count(),
    }


def printed_logins(output):
    """{role label: (e-mail, password)} from the table load_demo prints."""
    rows = re.findall(r"^\s+(\S.*?)\s{2,}(\S+@\S+)\s+(\S+)\s*$", output, flags=re.MULTILINE)
    return {label: (email, password) for label, email, password in rows}


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_rows():
    load_demo()
    first = row_counts()

    load_demo()

    assert row_counts() == first
    assert first["users"] > len(Role)


@pytest.mark.django_db
def test_load_demo_repairs_what_was_changed_since():
    load_demo()
    agent = User.objects.get(email="agent@example.com")
    agent.set_password("changed-by-someone")
    agent.is_active = False
    agent.save()
    agent.groups.set([Group.objects.get(name=Role.ADMINISTRATOR)])

    load_demo()

    agent.refresh_from_db()
    assert agent.is_active
    assert agent.check_password(DEMO_PASSWORD)
    assert list(agent.groups.values_list("name", flat=True)) == [Role.AGENT]


@pytest.mark.django_db
def test_load_demo_prints_one_login_per_role_and_each_signs_in(client):
    output = load_demo()
    logins = printed_logins(output)

    assert "Sign in with any of these" in output
    assert set(logins) == {role.label for role in Role}
    assert len({email for email, _password in logins.values()}) == len(Role)
    for role in Role:
        email, password = logins[role.label]
        assert password == DEMO_PASSWORD
        user = User.objects.get(email=email)
        assert role in set(user.groups.values_list("name", flat=True))

        response = client.post(
            "/accounts/login/", {"username": email, "password": password}, follow=True
        )

        assert response.status_code == 200, email
        assert response.redirect_chain[-1][0] == HOME_BY_ROLE[role], email
        assert client.session["_auth_user_id"] == str(user.pk)
        client.post("/accounts/logout/")


@pytest.mark.django_db
def test_load_demo_creates_the_teams_organisations_and_departments():
    load_demo()

    groups = {g.name: g for g in SupportGroup.objects.select_related("lead")}
    assert set(groups) == {"Service Desk", "Network", "Servers", "Applications"}
    for group in groups.values():
        assert group.is_active
        assert group.email.endswith("@example.com")
        assert group.lead is not None, group.name
        assert group.members.filter(pk=group.lead.pk).exists(), group.name
    assert groups["Service Desk"].lead.email == "lead@example.com"
    assert groups["Network"].lead.email == "network@example.com"

    departments = {
        org.name: sorted(org.departments.values_list("name", flat=True))
        for org in Organisation.objects.all()
    }
    assert departments == {
        "Contoso Health": ["Administration", "Clinical Systems"],
        "Internal IT": ["IT Operations"],
        "Northwind Trading": ["Finance", "Operations", "Sales"],
    }
    finance = Department.objects.get(organisation__code="northwind", name="Finance")
    assert finance.manager.email == "approver@example.com"
    assert User.objects.get(email="enduser@example.com").manager == finance.manager
    for user in User.objects.all():
        assert user.department.organisation_id == user.organisation_id, user.email


@pytest.mark.django_db
def test_load_demo_gives_the_administrator_the_admin_site_only():
    load_demo()

    staff = set(User.objects.filter(is_staff=True).values_list("email", flat=True))
    assert staff == {"admin@example.com"}
    assert User.objects.get(email="admin@example.com").is_superuser


@pytest.mark.django_db
def test_load_demo_includes_people_who_prefer_persian_and_chinese():
    load_demo()

    assert set(User.objects.exclude(language="").values_list("language", flat=True)) == {
        "fa",
        "zh-hans",
    }


# --- Translations --------------------------------------------------------------------------------

GETTEXT_TOOLS = ["msgfmt", "xgettext", "msgmerge", "msguniq"]
# As `make messages`: not the environment, the data directory or the tests.
SKIP_DIRS = {".venv", "var", ".git", "tests", "node_modules", "__pycache__", ".pytest_cache"}


def need_gettext():
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"gettext tools missing: {', '.join(missing)} (apt-get install gettext)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def copy_source(target: Path) -> Path:
    """The project's source (apps, templates, locale) without the environment, data and tests."""

    def ignore(directory, names):
        skipped = {name for name in names if name in SKIP_DIRS or name.endswith(".egg-info")}
        if Path(directory) == PROJECT:
            skipped |= {name for name in names if name.startswith(".")}
        return skipped

    shutil.copytree(PROJECT, target, ignore=ignore)
    return target


def describe(entries):
    return "\n".join(f"  - {entry.msgid!r}" for entry in entries)


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    """The catalogues as `make messages` would leave them, made in a copy of the source."""
    need_gettext()
    source = copy_source(tmp_path_factory.mktemp("i18n") / "src")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "django", "makemessages", "--no-obsolete"]
    command += [f"--locale={language}" for language in LANGUAGES]
    command += ["--ignore=.venv", "--ignore=var", "--ignore=tests"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=source, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = source / "locale"
    return {language: folder / language / "LC_MESSAGES" / "django.po" for language in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(fresh_catalogues, language):
    import polib

    catalogue = polib.pofile(str(fresh_catalogues[language]))
    untranslated = catalogue.untranslated_entries()
    fuzzy = [entry for entry in catalogue.fuzzy_entries() if not entry.obsolete]

    assert len(catalogue) > 100, "makemessages found (almost) no messages"
    assert not untranslated, f"{len(untranslated)} untranslated in {language}:\n" + describe(
        untranslated
    )
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}:\n" + describe(fuzzy)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(fresh_catalogues, language):
    result = subprocess.run(  # noqa: S603 - a fixed gettext tool on our own file
        ["msgfmt", "--check", "--output-file=/dev/null", str(fresh_catalogues[language])],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language):
    """The .mo the server reads holds every translation of the .po (compilemessages was run)."""
    import polib

    folder = PROJECT / "locale" / language / "LC_MESSAGES"
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in polib.mofile(str(folder / "django.mo"))
    }
    stale = [
        entry
        for entry in polib.pofile(str(folder / "django.po")).translated_entries()
        if compiled.get((entry.msgctxt, entry.msgid))
        != ({int(k): v for k, v in entry.msgstr_plural.items()} or entry.msgstr)
    ]

    assert not stale, (
        f"{len(stale)} {language} translations are not compiled; "
        "run `python manage.py compilemessages`:\n" + describe(stale)
    )
