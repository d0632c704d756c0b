"""The demo data command, and the completeness of the Persian and Chinese translations."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import Department, Organisation, SupportGroup, User
from accounts.roles import Role
from catalogue.models import FulfilmentTask, ServiceRequest
from checklists.models import ChecklistTemplate
from dashboards.models import MonthlyStat, RecordFact
from incidents.models import Incident
from servicedesk.actors import SYSTEM_ACTOR_EMAIL
from servicedesk.management.commands.load_demo import DEMO_PASSWORD
from servicedesk.models import Approval, AuditEvent, Comment, SatisfactionRating
from sla.models import EscalationFiring, SlaPolicy, SlaTimer

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
    Role.KNOWLEDGE_MANAGER: "/knowledge/",
    Role.DESK_MANAGER: "/dashboards/",
    Role.ADMINISTRATOR: "/admin/",
}

# --- load_demo ---------------------------------------------------------------------------------


# A smaller history than the default keeps these tests quick; one test loads the default.
SMALL_HISTORY = ["--history-days=70", "--history-incidents=500", "--history-requests=50"]


def load_demo(*args):
    out = StringIO()
    call_command("load_demo", *(args or ["--no-history"]), stdout=out)
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
        "incidents": Incident.objects.count(),
        "requests": ServiceRequest.objects.count(),
        "tasks": FulfilmentTask.objects.count(),
        "approvals": Approval.objects.count(),
        "sla timers": SlaTimer.objects.count(),
        "escalations": EscalationFiring.objects.count(),
        "comments": Comment.objects.count(),
        "audit events": AuditEvent.objects.count(),
        "ratings": SatisfactionRating.objects.count(),
        "facts": RecordFact.objects.count(),
        "monthly sums": MonthlyStat.objects.count(),
        "sla policies": SlaPolicy.objects.count(),
    }


def printed_logins(output):
    """{role label: (e-mail, password)} from the table load_demo prints."""
    rows = re.findall(r"^\s+(\S.*?)\s{2,}(\S+@\S+)\s+(\S+)\s*$", output, flags=re.MULTILINE)
    return {label: (email, password) for label, email, password in rows}


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_rows():
    load_demo(*SMALL_HISTORY)
    first = row_counts()

    load_demo(*SMALL_HISTORY)

    assert row_counts() == first
    assert first["users"] > len(Role)
    assert first["incidents"] > 500 and first["sla timers"] > 500


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
    for user in User.objects.exclude(email=SYSTEM_ACTOR_EMAIL):  # automation has no department
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


# --- load_demo's history ------------------------------------------------------------------------

# A Wednesday morning: the history's "now" (the data is relative to the moment it is loaded).
DEMO_NOW = datetime(2026, 3, 11, 10, 30, tzinfo=UTC)


@pytest.fixture
def history(db):
    """The demo with a smaller history (70 days, 500 incidents, 50 requests), loaded at
    DEMO_NOW with the clock stopped there."""
    with time_machine.travel(DEMO_NOW, tick=False):
        output = load_demo(*SMALL_HISTORY)
        yield output


def kpis(period: str, record_type: str = "incident"):
    from dashboards import selectors
    from dashboards.scope import ScopeForm

    query = (
        {"period": period} if record_type == "incident" else {"period": period, "type": record_type}
    )
    scope = ScopeForm(query).scope()
    return scope, selectors.summary(scope)


def test_history_spans_months_of_incidents_and_requests(history):
    customers = Incident.objects.filter(requester__email__endswith="@customers.example.com")
    oldest = Incident.objects.order_by("created_at").first()
    statuses = Counter(Incident.objects.values_list("status", flat=True))

    assert 500 <= customers.count() <= 530  # the drawn ones, the major and due-soon incidents
    assert DEMO_NOW - oldest.created_at >= timedelta(days=60)
    assert Incident.objects.filter(created_at__gt=DEMO_NOW).count() == 0
    assert statuses["closed"] > 0.8 * customers.count()
    assert statuses["resolved"] > 0 and statuses["cancelled"] > 0
    assert (
        statuses["in_progress"] + statuses["pending"] + statuses["new"] + statuses["assigned"] > 10
    )
    assert Incident.objects.filter(reopen_count=1).exists()
    assert Incident.objects.filter(reassignment_count__gt=0).exists()
    assert Incident.objects.filter(first_contact_resolution=True, channel="phone").exists()
    assert (
        not Incident.objects.filter(first_contact_resolution=True).exclude(channel="phone").exists()
    )
    # Numbers follow the order incidents were logged in: the history first, the samples last.
    numbers = list(Incident.objects.order_by("created_at", "pk").values_list("number", flat=True))
    assert numbers == sorted(numbers)
    assert Incident.objects.filter(requester__email="enduser@example.com").count() == 3
    requests = Counter(ServiceRequest.objects.values_list("status", flat=True))
    assert 50 <= sum(requests.values()) <= 55 and requests["closed"] > 35
    assert FulfilmentTask.objects.filter(status="done").exists()
    assert Approval.objects.filter(decision="approved", decided_at__isnull=False).exists()
    assert "History of 70 days" in history


def test_history_has_met_and_breached_timers_ratings_and_outages(history):
    states = Counter(SlaTimer.objects.values_list("state", flat=True))
    scores = Counter(SatisfactionRating.objects.values_list("score", flat=True))
    majors = Incident.objects.filter(
        major_incident=True, requester__email__endswith="@customers.example.com"
    )

    assert states["met"] > 4 * states["breached"] > 0
    assert states["running"] > 0 and states["paused"] > 0 and states["cancelled"] > 0
    assert EscalationFiring.objects.exists()
    assert set(scores) == {1, 2, 3, 4, 5} and scores[5] > scores[1]
    assert SatisfactionRating.objects.exclude(comment="").exists()
    assert not SatisfactionRating.objects.filter(created_at__gt=DEMO_NOW).exists()
    assert majors.count() >= 8
    for incident in majors:
        assert incident.priority == 1 and incident.service_id is not None
        assert incident.outage_started_at < incident.created_at
        assert incident.outage_ended_at == incident.resolved_at
    assert AuditEvent.objects.filter(kind="status_changed", new_value="closed").exists()
    assert Comment.objects.filter(visibility="internal").exists()


def test_history_timers_are_what_the_sla_engine_computes(history):
    from sla.services import business_calendar, schedule, spent_seconds

    with time_machine.travel(DEMO_NOW, tick=False):
        running = SlaTimer.objects.filter(state="running").select_related("target__calendar")
        for timer in running:
            stored = (timer.due_at, timer.next_check_at)
            schedule(timer, DEMO_NOW)
            assert abs((timer.due_at - stored[0]).total_seconds()) < 1, timer.pk
            assert (
                stored[1] == timer.next_check_at
                or abs((timer.next_check_at - stored[1]).total_seconds()) < 1
            ), timer.pk
        stopped = SlaTimer.objects.filter(state__in=["met", "breached"]).select_related(
            "target__calendar"
        )
        for timer in stopped:
            assert (timer.state == "breached") == (timer.stopped_at > timer.due_at), timer.pk
            assert (timer.breached_at is not None) == (timer.state == "breached"), timer.pk
            spent = spent_seconds(timer, DEMO_NOW)
            assert (spent > timer.target_seconds + 1) <= (timer.state == "breached"), timer.pk
            if not timer.pauses:
                calendar = business_calendar(timer.target.calendar)
                due = calendar.add(timer.started_at, timedelta(seconds=timer.target_seconds))
                assert abs((due - timer.due_at).total_seconds()) < 1, timer.pk
    open_ids = set(Incident.objects.filter(status__in=["new", "assigned", "in_progress",
                                                        "pending"]).values_list("pk", flat=True))  # fmt: skip
    incident_timers = SlaTimer.objects.filter(content_type__model="incident")
    assert set(incident_timers.filter(state__in=["running", "paused"]).values_list(
        "object_id", flat=True)) <= open_ids  # fmt: skip
    paused = incident_timers.filter(state="paused").values_list("object_id", flat=True)
    assert set(Incident.objects.filter(pk__in=paused).values_list("status", flat=True)) == {
        "pending"
    }


def test_history_kpis_are_plausible(history):
    from dashboards import selectors

    with time_machine.travel(DEMO_NOW, tick=False):
        scope, n = kpis("last_30")
        availability = selectors.availability(scope).rows
        breached_now = selectors.breached_now(scope).rows
        breaching_soon = selectors.breaching_soon(scope).rows
        _scope, requests = kpis("last_30", "request")

    assert n["opened"] > 100 and n["resolved"] > 100 and n["backlog"] > 10
    assert 60 <= n["response_pct"] <= 99 and 60 <= n["resolution_pct"] <= 99
    assert 5 <= n["first_contact_pct"] <= 60
    assert 0 < n["reassigned_pct"] < 40
    assert 3.5 <= n["mean_rating"] <= 5 and 50 <= n["hotline_index"] <= 100
    assert 0 < n["respond_business_hours_mean"] < n["resolve_business_hours_mean"]
    assert n["resolve_hours_p90"] > n["resolve_hours_mean"] > 0
    assert 60 <= requests["resolution_pct"] <= 100 and requests["resolved"] > 10
    by_service = {row["name"]: row for row in availability}
    assert by_service["ERP"]["faults"] >= 2 and by_service["ERP"]["availability_ok"] == "bad"
    assert by_service["E-mail"]["availability_ok"] == "ok" and by_service["E-mail"]["faults"] == 1
    assert {"ok", "bad"} <= {row["mtbf_ok"] for row in availability}
    assert all(99 < row["availability"] <= 100 for row in availability)
    assert breached_now and breaching_soon
    assert all(DEMO_NOW < row["due_at"] <= DEMO_NOW + timedelta(hours=2) for row in breaching_soon)


def test_history_is_loaded_once_and_kept_on_the_next_run(history):
    first = row_counts()
    facts_before = list(RecordFact.objects.order_by("record_type", "object_id").values_list(
        "number", "response_outcome", "resolution_outcome", "rating"))  # fmt: skip

    with time_machine.travel(DEMO_NOW + timedelta(days=1), tick=False):
        output = load_demo(*SMALL_HISTORY)

    assert row_counts() == first
    assert "History of" not in output
    assert facts_before == list(RecordFact.objects.order_by("record_type", "object_id")
                                .values_list("number", "response_outcome", "resolution_outcome",
                                             "rating"))  # fmt: skip


@pytest.mark.django_db
def test_history_is_the_same_for_the_same_moment():
    def fingerprint():
        # Ordered by every field compared: rows equal on a shorter key (two timers of one
        # moment, one paused) come back in whatever order the table's pages hold them.
        incident_fields = (
            "title",
            "status",
            "priority",
            "created_at",
            "resolved_at",
            "assignee__email",
        )
        timer_fields = ("metric", "state", "started_at", "due_at", "stopped_at")
        incidents = Incident.objects.order_by("created_at", *incident_fields).values_list(
            *incident_fields
        )
        timers = SlaTimer.objects.order_by("started_at", *timer_fields).values_list(*timer_fields)
        return list(incidents), list(timers)

    def fresh_process():
        """The same starting state for both runs: what this process keeps between requests
        (calendars, scales, the priority matrix, permissions, content types) is read again."""
        from django.contrib.contenttypes.models import ContentType

        from accounts.backends import new_permission_generation
        from incidents.levels import forget_levels
        from incidents.priority import forget_priority_data
        from sla.services.policies import _CALENDARS

        _CALENDARS.clear()
        forget_levels()
        forget_priority_data()
        new_permission_generation()
        ContentType.objects.clear_cache()

    with time_machine.travel(DEMO_NOW, tick=False):
        fresh_process()
        load_demo("--history-days=30", "--history-incidents=120", "--history-requests=10")
        first = fingerprint()
        for model in (SlaTimer, SatisfactionRating, AuditEvent, Comment, RecordFact):
            model.objects.all().delete()
        Incident.objects.all().delete()
        ServiceRequest.objects.all().delete()
        # The checklist templates the first load added after its history: a fresh database
        # has none when its history is written.
        ChecklistTemplate.objects.all().delete()
        fresh_process()
        load_demo("--history-days=30", "--history-incidents=120", "--history-requests=10")

    assert fingerprint() == first


@pytest.mark.django_db
def test_load_demo_default_history_fills_three_months():
    with time_machine.travel(DEMO_NOW, tick=False):
        output = load_demo("--history-days=90")
        _scope, n = kpis("last_90")

    assert 3000 <= Incident.objects.count() <= 3100
    assert 300 <= ServiceRequest.objects.count() <= 310
    assert re.search(r"History of 90 days: 3,0\d\d incidents", output)
    assert n["opened"] > 2500 and 60 <= n["resolution_pct"] <= 99 and n["ratings"] > 500


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
