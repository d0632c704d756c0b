"""Behaviour of the incident services: create, update, the workflow and its guards, parent and
child incidents, assignment, comments, logged calls, bulk actions and the auto-close sweep."""

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from incidents import services
from incidents.choices import Channel, IncidentStatus, PendingReason, ResolutionCode
from incidents.models import Incident
from incidents.priority import forget_priority_data
from incidents.tasks import close_resolved_incidents_task
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.actors import system_actor
from servicedesk.exceptions import ApplicationError, StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditKind, Comment, Visibility
from tests.incidents.factories import (
    RESOLUTION,
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    RoutingRuleFactory,
    SubcategoryFactory,
    SupportGroupFactory,
    audit_events,
    incident,
    incident_in,
    transition,
)

S = IncidentStatus
NUMBER = re.compile(r"^INC(\d{7})$")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture(autouse=True)
def fresh_priority_cache():
    forget_priority_data()
    yield


@pytest.fixture
def agent(db):
    return AgentFactory(full_name="Arash Agent")


@pytest.fixture
def group(agent):
    return SupportGroupFactory(name="Service Desk", members=[agent])


@pytest.fixture
def requester(db):
    return EndUserFactory(full_name="Emma Enduser")


def stored(incident_obj) -> Incident:
    return Incident.objects.get(pk=incident_obj.pk)


def comment_on(incident_obj, actor, body="<p>Any news?</p>", visibility=Visibility.PUBLIC):
    with transaction.atomic():
        return services.incident_comment(
            incident_id=incident_obj.pk, actor=actor, body=body, visibility=visibility
        )


def comments_of(incident_obj):
    return Comment.objects.filter(object_id=incident_obj.pk, content_type__model="incident")


# --- Create -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestCreate:
    def test_numbers_are_inc_and_seven_digits_and_increase(self, agent, group):
        first = incident(actor=agent, support_group=group)
        second = incident(actor=agent, support_group=group)
        first_value = int(NUMBER.match(first.number).group(1))
        second_value = int(NUMBER.match(second.number).group(1))
        assert second_value > first_value >= 1

    def test_a_new_incident_is_new_with_its_facts(self, agent, group, requester):
        created = incident(
            actor=agent,
            support_group=group,
            requester=requester,
            title="Printer jammed",
            impact="high",
            urgency="low",
        )
        created = stored(created)
        assert created.status == S.NEW
        assert created.assignee is None
        assert created.requester == requester
        assert created.support_group == group
        assert created.priority == 4
        assert created.version == 1
        assert created.reassignment_count == created.reopen_count == 0

    def test_with_an_assignee_it_is_assigned(self, agent, group):
        created = stored(incident(actor=agent, support_group=group, assignee=agent))
        assert created.status == S.ASSIGNED
        assert created.assignee == agent
        assert created.reassignment_count == 0

    def test_the_organisation_defaults_to_the_requesters(self, agent, group, requester):
        created = incident(actor=agent, support_group=group, requester=requester)
        assert requester.organisation_id is not None
        assert stored(created).organisation_id == requester.organisation_id

    def test_an_organisation_given_by_an_agent_is_kept(self, agent, group, requester):
        other = EndUserFactory().organisation
        created = incident(
            actor=agent, support_group=group, requester=requester, organisation=other
        )
        assert stored(created).organisation == other

    def test_the_requester_defaults_to_the_actor(self, agent, group):
        assert stored(incident(actor=agent, support_group=group)).requester == agent

    def test_an_end_user_logs_for_themselves_only(self, requester):
        RoutingRuleFactory(order=1000)
        someone_else = EndUserFactory()
        stranger_group = SupportGroupFactory(members=[someone_else])
        created = incident(
            actor=requester,
            requester=someone_else,
            organisation=someone_else.organisation,
            support_group=stranger_group,
            assignee=someone_else,
            channel=Channel.PHONE,
        )
        created = stored(created)
        assert created.requester == requester
        assert created.organisation == requester.organisation
        assert created.assignee is None
        assert created.support_group != stranger_group  # chosen by routing instead
        assert created.channel == Channel.PORTAL
        assert created.status == S.NEW

    def test_scripts_are_stripped_from_the_description(self, agent, group):
        created = incident(
            actor=agent,
            support_group=group,
            description='<p>It <b>fails</b></p><script>alert("x")</script>'
            '<img src=x onerror="alert(1)">',
        )
        description = stored(created).description
        assert "<script" not in description
        assert "alert" not in description
        assert "onerror" not in description
        assert "<p>It <b>fails</b></p>" in description

    def test_a_subcategory_sets_its_category(self, agent, group):
        vpn = SubcategoryFactory(name="VPN")
        created = stored(incident(actor=agent, support_group=group, subcategory=vpn))
        assert (created.category, created.subcategory) == (vpn.parent, vpn)

    def test_a_subcategory_from_another_tree_is_refused(self, agent, group):
        network, hardware = CategoryFactory(name="Network"), CategoryFactory(name="Hardware")
        vpn = SubcategoryFactory(name="VPN", parent=network)
        before = Incident.objects.count()
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, category=hardware, subcategory=vpn)
        assert list(error.value.message_dict) == ["subcategory"]
        assert "VPN" in error.value.message_dict["subcategory"][0]
        assert Incident.objects.count() == before

    def test_a_category_given_as_subcategory_is_refused(self, agent, group):
        top = CategoryFactory()
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, category=top, subcategory=top)
        assert "subcategory" in error.value.message_dict

    def test_a_non_top_level_category_is_refused(self, agent, group):
        vpn = SubcategoryFactory()
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, category=vpn)
        assert "category" in error.value.message_dict
        assert not Incident.objects.exists()

    def test_an_inactive_category_is_refused(self, agent, group):
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, category=CategoryFactory(is_active=False))
        assert "category" in error.value.message_dict

    def test_unassigning_an_incident_in_progress_puts_it_back_in_the_queue(self, agent, group):
        subject = incident(actor=agent, support_group=group, assignee=agent)
        transition(subject, agent, S.IN_PROGRESS)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=None
        )
        back = stored(subject)
        assert (back.status, back.assignee) == (S.NEW, None)

    def test_an_assignee_outside_the_group_is_refused(self, agent, group):
        outsider = AgentFactory()
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, assignee=outsider)
        assert list(error.value.message_dict) == ["assignee"]
        assert not Incident.objects.exists()

    def test_the_group_lead_counts_as_a_member(self, agent):
        lead = AgentFactory()
        team = SupportGroupFactory(lead=lead, members=[agent])
        assert stored(incident(actor=agent, support_group=team, assignee=lead)).assignee == lead

    def test_an_assignee_without_a_group_is_refused(self, agent):
        with pytest.raises(ValidationError) as error:
            services.incident_create(
                actor=agent, title="x", impact="low", urgency="low", assignee=agent
            )
        assert "support_group" in error.value.message_dict

    @pytest.mark.parametrize("field", ["impact", "urgency"])
    def test_an_unknown_impact_or_urgency_is_a_field_error(self, agent, group, field):
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, **{field: "catastrophic"})
        assert field in error.value.message_dict
        assert not Incident.objects.exists()

    def test_a_missing_title_is_a_field_error(self, agent, group):
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, title="")
        assert "title" in error.value.message_dict
        assert not Incident.objects.exists()

    def test_unknown_fields_are_refused(self, agent, group):
        with pytest.raises(ApplicationError, match="status"):
            incident(actor=agent, support_group=group, status=S.RESOLVED)
        assert not Incident.objects.exists()

    def test_a_created_event_is_written(self, agent, group):
        created = incident(actor=agent, support_group=group)
        event = audit_events(created, kind=AuditKind.CREATED).get()
        assert event.actor == agent
        assert event.new_text == created.number


# --- Update -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestUpdate:
    def test_each_changed_field_is_audited_and_the_version_moves(self, agent, group):
        created = incident(actor=agent, support_group=group, title="Old title")
        services.incident_update(
            incident_id=created.pk,
            actor=agent,
            version=1,
            changes={"title": "New title", "major_incident": True},
        )
        changed = stored(created)
        assert (changed.title, changed.major_incident, changed.version) == ("New title", True, 2)
        event = audit_events(created, field="title").get()
        assert (event.old_value, event.new_value, event.actor) == ("Old title", "New title", agent)
        assert audit_events(created, field="major_incident").exists()

    def test_nothing_changed_no_version_and_no_event(self, agent, group):
        created = incident(actor=agent, support_group=group, title="Same")
        services.incident_update(incident_id=created.pk, actor=agent, changes={"title": "Same"})
        assert stored(created).version == 1
        assert audit_events(created).count() == 1  # created

    def test_the_description_is_sanitised(self, agent, group):
        created = incident(actor=agent, support_group=group)
        services.incident_update(
            incident_id=created.pk,
            actor=agent,
            changes={"description": "<p>ok</p><script>steal()</script>"},
        )
        assert stored(created).description == "<p>ok</p>"

    def test_a_subcategory_alone_brings_its_category(self, agent, group):
        created = incident(actor=agent, support_group=group)
        vpn = SubcategoryFactory()
        services.incident_update(incident_id=created.pk, actor=agent, changes={"subcategory": vpn})
        changed = stored(created)
        assert (changed.category, changed.subcategory) == (vpn.parent, vpn)

    def test_a_subcategory_from_another_tree_changes_nothing(self, agent, group):
        vpn = SubcategoryFactory()
        created = incident(actor=agent, support_group=group, subcategory=vpn)
        with pytest.raises(ValidationError) as error:
            services.incident_update(
                incident_id=created.pk, actor=agent, changes={"subcategory": SubcategoryFactory()}
            )
        assert "subcategory" in error.value.message_dict
        assert stored(created).subcategory == vpn

    def test_end_users_cannot_edit(self, agent, group, requester):
        created = incident(actor=agent, support_group=group, requester=requester)
        with pytest.raises(PermissionDenied):
            services.incident_update(
                incident_id=created.pk, actor=requester, changes={"title": "Mine now"}
            )

    def test_fields_with_their_own_service_are_refused(self, agent, group):
        created = incident(actor=agent, support_group=group)
        for name, value in (("status", S.CLOSED), ("assignee", agent), ("priority", 1)):
            with pytest.raises(ApplicationError, match=name):
                services.incident_update(incident_id=created.pk, actor=agent, changes={name: value})
        assert stored(created).version == 1

    def test_a_stale_version_is_refused_and_nothing_changes(self, agent, group):
        created = incident(actor=agent, support_group=group, title="Before")
        services.incident_update(incident_id=created.pk, actor=agent, changes={"title": "Mine"})
        with pytest.raises(StaleVersion):
            services.incident_update(
                incident_id=created.pk, actor=agent, version=1, changes={"title": "Theirs"}
            )
        assert (stored(created).title, stored(created).version) == ("Mine", 2)


# --- Workflow ---------------------------------------------------------------------------------


def incident_ready_to_leave(status, agent):
    """An incident in `status` meeting every need of every target: it has an assignee (in its
    group) and is freshly resolved when resolved. A new incident with an assignee is one the
    requester reopened to the queue."""
    if status == S.NEW:
        reopened = incident_in(S.RESOLVED, agent=agent)
        transition(reopened, agent, S.NEW)
        reopened.refresh_from_db()
        assert reopened.assignee == agent
        return reopened
    return incident_in(status, agent=agent)


ALL_PAIRS = list(itertools.product(INCIDENT_WORKFLOW.states, repeat=2))
DECLARED = {
    (source, target)
    for source in INCIDENT_WORKFLOW.states
    for target in INCIDENT_WORKFLOW.allowed_targets(source)
}


def test_the_declared_transitions_are_the_expected_ones():
    assert {
        (S.NEW, S.ASSIGNED), (S.NEW, S.IN_PROGRESS), (S.NEW, S.PENDING), (S.NEW, S.RESOLVED),
        (S.NEW, S.CANCELLED),
        (S.ASSIGNED, S.IN_PROGRESS), (S.ASSIGNED, S.PENDING), (S.ASSIGNED, S.RESOLVED),
        (S.ASSIGNED, S.CANCELLED),
        (S.IN_PROGRESS, S.PENDING), (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.CANCELLED),
        (S.PENDING, S.NEW), (S.PENDING, S.IN_PROGRESS), (S.PENDING, S.RESOLVED),
        (S.PENDING, S.CANCELLED),
        (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.IN_PROGRESS), (S.RESOLVED, S.NEW),
    } == DECLARED  # fmt: skip
    assert set(INCIDENT_WORKFLOW.states) == set(S.values)
    assert INCIDENT_WORKFLOW.initial == S.NEW


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{s}->{t}" for s, t in ALL_PAIRS])
def test_every_pair_of_statuses(source, target):
    agent = AgentFactory()
    subject = incident_ready_to_leave(source, agent)
    assert subject.status == source
    if (source, target) in DECLARED:
        transition(subject, agent, target)
        moved = stored(subject)
        assert moved.status == target
        assert moved.version == subject.version + 1
        event = audit_events(subject, kind=AuditKind.STATUS_CHANGED).last()
        assert (event.old_value, event.new_value, event.actor) == (source, target, agent)
    else:
        with pytest.raises(TransitionNotAllowed):
            transition(subject, agent, target)
        unchanged = stored(subject)
        assert (unchanged.status, unchanged.version) == (source, subject.version)


@pytest.mark.django_db
class TestGuards:
    def test_an_unknown_status_is_refused(self, agent):
        subject = incident_in(S.ASSIGNED, agent=agent)
        with pytest.raises(TransitionNotAllowed, match="not a known status"):
            transition(subject, agent, "on_hold")

    @pytest.mark.parametrize("target", [S.ASSIGNED, S.IN_PROGRESS])
    def test_working_needs_an_assignee(self, agent, target):
        subject = incident_in(S.NEW, agent=agent)
        with pytest.raises(TransitionNotAllowed, match="Assign the incident"):
            transition(subject, agent, target)
        assert stored(subject).status == S.NEW

    def test_pending_needs_a_reason(self, agent):
        subject = incident_in(S.IN_PROGRESS, agent=agent)
        with pytest.raises(TransitionNotAllowed, match="waiting for"):
            transition(subject, agent, S.PENDING, pending_reason="")
        unchanged = stored(subject)
        assert (unchanged.status, unchanged.pending_reason) == (S.IN_PROGRESS, "")

    def test_an_unknown_pending_reason_is_a_field_error(self, agent):
        subject = incident_in(S.IN_PROGRESS, agent=agent)
        with pytest.raises(ValidationError) as error:
            transition(subject, agent, S.PENDING, pending_reason="holiday")
        assert "pending_reason" in error.value.message_dict
        unchanged = stored(subject)
        assert (unchanged.status, unchanged.pending_reason) == (S.IN_PROGRESS, "")

    def test_pending_stores_and_audits_the_reason(self, agent):
        subject = incident_in(S.IN_PROGRESS, agent=agent)
        transition(subject, agent, S.PENDING, pending_reason=PendingReason.CHANGE)
        assert stored(subject).pending_reason == PendingReason.CHANGE
        event = audit_events(subject, field="pending_reason").get()
        assert (event.old_value, event.new_value) == ("", PendingReason.CHANGE)

    @pytest.mark.parametrize("target", [S.IN_PROGRESS, S.RESOLVED, S.CANCELLED, S.NEW])
    def test_leaving_pending_clears_the_reason(self, agent, target):
        subject = incident_in(S.PENDING, agent=agent)
        assert subject.pending_reason == PendingReason.SUPPLIER
        transition(subject, agent, target)
        left = stored(subject)
        assert (left.status, left.pending_reason) == (target, "")

    def test_resolving_stores_the_resolution(self, agent):
        with time_machine.travel(T0, tick=False):
            subject = incident_in(S.IN_PROGRESS, agent=agent)
            transition(
                subject,
                agent,
                S.RESOLVED,
                resolution_code=ResolutionCode.SOLVED_WORKAROUND,
                resolution_notes="<p>Restarted the gateway.</p><script>x()</script>",
            )
        resolved = stored(subject)
        assert resolved.status == S.RESOLVED
        assert resolved.resolution_code == ResolutionCode.SOLVED_WORKAROUND
        assert resolved.resolution_notes == "<p>Restarted the gateway.</p>"
        assert resolved.resolved_at == T0
        assert resolved.first_contact_resolution is False
        assert audit_events(subject, field="resolution_code").get().new_value == (
            ResolutionCode.SOLVED_WORKAROUND
        )

    @pytest.mark.parametrize(
        ("code", "notes", "message"),
        [
            ("", "<p>Done.</p>", "resolution code"),
            (ResolutionCode.SOLVED_PERMANENTLY, "", "resolution notes"),
            (ResolutionCode.SOLVED_PERMANENTLY, "   \n\t ", "resolution notes"),
            (ResolutionCode.SOLVED_PERMANENTLY, "<p> </p><br><b></b>", "resolution notes"),
            (ResolutionCode.SOLVED_PERMANENTLY, "<script>alert(1)</script>", "resolution notes"),
        ],
        ids=["no-code", "no-notes", "whitespace", "only-tags", "only-script"],
    )
    def test_resolving_needs_a_code_and_real_notes_and_saves_nothing_else(
        self, agent, code, notes, message
    ):
        subject = incident_in(S.IN_PROGRESS, agent=agent)
        events_before = audit_events(subject).count()
        with pytest.raises(TransitionNotAllowed, match=f"(?i){message}"):
            transition(subject, agent, S.RESOLVED, resolution_code=code, resolution_notes=notes)
        unchanged = stored(subject)
        assert unchanged.status == S.IN_PROGRESS
        assert (unchanged.resolution_code, unchanged.resolution_notes) == ("", "")
        assert unchanged.resolved_at is None
        assert unchanged.version == subject.version
        assert audit_events(subject).count() == events_before

    def test_an_unknown_resolution_code_is_a_field_error(self, agent):
        subject = incident_in(S.IN_PROGRESS, agent=agent)
        with pytest.raises(ValidationError) as error:
            transition(subject, agent, S.RESOLVED, resolution_code="magic")
        assert "resolution_code" in error.value.message_dict
        assert stored(subject).status == S.IN_PROGRESS

    def test_closing_sets_closed_at(self, agent):
        subject = incident_in(S.RESOLVED, agent=agent)
        with time_machine.travel(T0, tick=False):
            transition(subject, agent, S.CLOSED)
        closed = stored(subject)
        assert (closed.status, closed.closed_at) == (S.CLOSED, T0)
        assert closed.resolution_code == RESOLUTION["resolution_code"]  # kept when closing


@pytest.mark.django_db
class TestFinalStatuses:
    @pytest.fixture(params=[S.CLOSED, S.CANCELLED])
    def final(self, request, agent):
        return incident_in(request.param, agent=agent)

    def test_no_transition_leaves_a_final_status(self, agent, final):
        assert INCIDENT_WORKFLOW.is_final(final.status)
        for target in S.values:
            with pytest.raises(TransitionNotAllowed):
                transition(final, agent, target)

    def test_it_can_no_longer_be_edited(self, agent, final):
        with pytest.raises(TransitionNotAllowed, match="can no longer be changed"):
            services.incident_update(
                incident_id=final.pk, actor=agent, changes={"title": "Too late"}
            )
        assert stored(final).title == final.title

    def test_it_can_no_longer_be_assigned_or_taken(self, agent, final):
        other = AgentFactory()
        team = SupportGroupFactory(members=[other, agent])
        with pytest.raises(TransitionNotAllowed):
            services.incident_assign(
                incident_id=final.pk, actor=agent, support_group=team, assignee=other
            )
        with pytest.raises(TransitionNotAllowed):
            services.incident_take(incident_id=final.pk, actor=other)
        unchanged = stored(final)
        assert (unchanged.assignee, unchanged.support_group) == (agent, final.support_group)


@pytest.mark.django_db
class TestReopen:
    @pytest.mark.parametrize("target", [S.IN_PROGRESS, S.NEW])
    def test_within_the_window_it_reopens_and_forgets_the_resolution(self, agent, settings, target):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 7
        with time_machine.travel(T0, tick=False) as clock:
            subject = incident_in(S.RESOLVED, agent=agent)
            clock.shift(timedelta(days=6, hours=23))
            transition(subject, agent, target, note="Still broken")
        reopened = stored(subject)
        assert reopened.status == target
        assert reopened.reopen_count == 1
        assert (reopened.resolution_code, reopened.resolution_notes) == ("", "")
        assert reopened.resolved_at is None
        assert reopened.first_contact_resolution is False
        assert reopened.assignee == agent

    def test_the_last_moment_of_the_window_still_counts(self, agent, settings):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 7
        with time_machine.travel(T0, tick=False) as clock:
            subject = incident_in(S.RESOLVED, agent=agent)
            clock.shift(timedelta(days=7))
            transition(subject, agent, S.IN_PROGRESS)
        assert stored(subject).status == S.IN_PROGRESS

    def test_each_reopen_counts(self, agent):
        subject = incident_in(S.RESOLVED, agent=agent)
        transition(subject, agent, S.IN_PROGRESS)
        transition(subject, agent, S.RESOLVED)
        transition(subject, agent, S.IN_PROGRESS)
        assert stored(subject).reopen_count == 2

    @pytest.mark.parametrize("target", [S.IN_PROGRESS, S.NEW])
    def test_after_the_window_it_is_refused_with_a_clear_message(self, agent, settings, target):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 7
        with time_machine.travel(T0, tick=False) as clock:
            subject = incident_in(S.RESOLVED, agent=agent)
            clock.shift(timedelta(days=7, seconds=1))
            with pytest.raises(TransitionNotAllowed) as error:
                transition(subject, agent, target)
        message = str(error.value)
        assert "more than 7 days ago" in message
        assert "log a new incident" in message
        unchanged = stored(subject)
        assert (unchanged.status, unchanged.reopen_count) == (S.RESOLVED, 0)
        assert unchanged.resolution_code == RESOLUTION["resolution_code"]

    def test_the_window_follows_the_setting(self, agent, settings):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 2
        with time_machine.travel(T0, tick=False) as clock:
            subject = incident_in(S.RESOLVED, agent=agent)
            clock.shift(timedelta(days=3))
            with pytest.raises(TransitionNotAllowed, match="more than 2 days ago"):
                transition(subject, agent, S.IN_PROGRESS)

    def test_closing_after_the_window_is_still_allowed(self, agent):
        with time_machine.travel(T0, tick=False) as clock:
            subject = incident_in(S.RESOLVED, agent=agent)
            clock.shift(timedelta(days=30))
            transition(subject, agent, S.CLOSED)
        assert stored(subject).status == S.CLOSED

    @pytest.mark.parametrize("target", [S.NEW, S.IN_PROGRESS])
    def test_the_requester_may_reopen_their_own_incident(self, agent, requester, target):
        subject = incident_in(S.RESOLVED, agent=agent, requester=requester)
        transition(subject, requester, target, note="It is broken again")
        reopened = stored(subject)
        assert (reopened.status, reopened.reopen_count) == (target, 1)
        event = audit_events(subject, kind=AuditKind.STATUS_CHANGED).last()
        assert (event.actor, event.note) == (requester, "It is broken again")

    def test_the_requester_confirms_the_resolution_by_closing_it(self, agent, requester):
        subject = incident_in(S.RESOLVED, agent=agent, requester=requester)
        transition(subject, requester, S.CLOSED)
        assert stored(subject).status == S.CLOSED

    def test_but_not_someone_elses(self, agent, requester):
        subject = incident_in(S.RESOLVED, agent=agent, requester=EndUserFactory())
        with pytest.raises(PermissionDenied):
            transition(subject, requester, S.NEW)
        assert stored(subject).status == S.RESOLVED

    @pytest.mark.parametrize(
        ("source", "target"),
        [
            (S.IN_PROGRESS, S.RESOLVED),
            (S.NEW, S.CANCELLED),
            (S.IN_PROGRESS, S.CLOSED),
            (S.IN_PROGRESS, S.PENDING),
        ],
    )
    def test_the_requester_may_do_nothing_else(self, agent, requester, source, target):
        subject = incident_in(source, agent=agent, requester=requester)
        with pytest.raises(PermissionDenied):
            transition(subject, requester, target)
        unchanged = stored(subject)
        assert (unchanged.status, unchanged.resolution_code) == (source, subject.resolution_code)


# --- Parent and child -------------------------------------------------------------------------


@pytest.mark.django_db
class TestParentAndChildren:
    def test_resolving_the_parent_resolves_its_open_children(self, agent, group):
        parent = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        new_child = incident(actor=agent, support_group=group, parent=parent)
        working_child = incident_in(S.IN_PROGRESS, agent=agent, parent=parent)
        pending_child = incident_in(S.PENDING, agent=agent, parent=parent)
        closed_child = incident_in(S.ASSIGNED, agent=agent, parent=parent)
        transition(
            closed_child,
            agent,
            S.RESOLVED,
            resolution_code=ResolutionCode.DUPLICATE,
            resolution_notes="Duplicate.",
        )
        transition(closed_child, agent, S.CLOSED)
        closed_before = stored(closed_child)
        unrelated = incident_in(S.IN_PROGRESS, agent=agent)

        transition(parent, agent, S.RESOLVED, resolution_notes="<p>Core switch replaced.</p>")

        for child in (new_child, working_child, pending_child):
            child = stored(child)
            assert child.status == S.RESOLVED
            assert child.resolution_code == ResolutionCode.RESOLVED_BY_PARENT
            assert parent.number in child.resolution_notes
            assert "Core switch replaced." in child.resolution_notes
            assert child.resolved_at is not None
            assert child.pending_reason == ""
        after = stored(closed_child)
        assert (after.status, after.resolution_code, after.version) == (
            S.CLOSED,
            ResolutionCode.DUPLICATE,
            closed_before.version,
        )
        assert stored(unrelated).status == S.IN_PROGRESS

    def test_a_refused_resolution_of_the_parent_leaves_the_children(self, agent, group):
        parent = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        child = incident(actor=agent, support_group=group, parent=parent)
        with pytest.raises(TransitionNotAllowed):
            transition(parent, agent, S.RESOLVED, resolution_notes="  ")
        assert stored(child).status == S.NEW

    def test_a_child_cannot_be_a_parent(self, agent, group):
        parent = incident(actor=agent, support_group=group)
        child = incident(actor=agent, support_group=group, parent=parent)
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, support_group=group, parent=child)
        assert child.number in error.value.message_dict["parent"][0]

    def test_a_parent_cannot_become_a_child(self, agent, group):
        parent = incident(actor=agent, support_group=group)
        incident(actor=agent, support_group=group, parent=parent)
        other = incident(actor=agent, support_group=group)
        with pytest.raises(ValidationError) as error:
            services.incident_update(incident_id=parent.pk, actor=agent, changes={"parent": other})
        assert "parent" in error.value.message_dict
        assert stored(parent).parent is None

    def test_an_incident_cannot_be_its_own_parent(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        with pytest.raises(ValidationError) as error:
            services.incident_update(
                incident_id=subject.pk, actor=agent, changes={"parent": subject}
            )
        assert "parent" in error.value.message_dict
        assert stored(subject).parent is None

    def test_the_parent_must_be_open(self, agent):
        done = incident_in(S.RESOLVED, agent=agent)
        with pytest.raises(ValidationError) as error:
            incident(actor=agent, parent=done, support_group=done.support_group)
        assert done.number in error.value.message_dict["parent"][0]

    def test_linking_a_child_later(self, agent, group):
        parent = incident(actor=agent, support_group=group)
        child = incident(actor=agent, support_group=group)
        services.incident_update(incident_id=child.pk, actor=agent, changes={"parent": parent})
        assert list(parent.children.all()) == [stored(child)]
        assert audit_events(child, field="parent").get().new_value == parent.pk


# --- Assignment -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestAssign:
    def test_assigning_sets_group_and_person_and_moves_new_to_assigned(self, agent, group):
        other = AgentFactory()
        group.members.add(other)
        subject = incident(actor=agent, support_group=group)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=other, version=1
        )
        assigned = stored(subject)
        assert (assigned.status, assigned.support_group, assigned.assignee) == (
            S.ASSIGNED,
            group,
            other,
        )
        assert assigned.reassignment_count == 0  # the first assignment is not a reassignment
        event = audit_events(subject, field="assignee").get()
        assert event.kind == AuditKind.ASSIGNED
        assert (event.old_value, event.new_value, event.actor) == (None, other.pk, agent)
        status = audit_events(subject, kind=AuditKind.STATUS_CHANGED).get()
        assert (status.old_value, status.new_value) == (S.NEW, S.ASSIGNED)

    def test_reassigning_to_another_person_counts_and_is_audited(self, agent, group):
        other = AgentFactory()
        group.members.add(other)
        subject = incident(actor=agent, support_group=group, assignee=agent)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=other
        )
        moved = stored(subject)
        assert (moved.assignee, moved.reassignment_count, moved.status) == (other, 1, S.ASSIGNED)
        event = audit_events(subject, field="assignee").get()
        assert (event.old_value, event.new_value) == (agent.pk, other.pk)
        assert (event.old_text, event.new_text) == (str(agent), str(other))

    def test_reassigning_to_another_group_counts_and_is_audited(self, agent, group):
        network_agent = AgentFactory()
        network = SupportGroupFactory(name="Network", members=[network_agent])
        subject = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=network, assignee=network_agent
        )
        moved = stored(subject)
        assert (moved.support_group, moved.assignee) == (network, network_agent)
        assert moved.reassignment_count == 1
        assert moved.status == S.IN_PROGRESS  # work goes on with the new holder
        event = audit_events(subject, field="support_group").get()
        assert (event.old_value, event.new_value) == (group.pk, network.pk)
        assert (event.old_text, event.new_text) == ("Service Desk", "Network")

    def test_each_reassignment_counts(self, agent, group):
        second, third = AgentFactory(), AgentFactory()
        group.members.add(second, third)
        subject = incident(actor=agent, support_group=group, assignee=agent)
        for person in (second, third, agent):
            services.incident_assign(
                incident_id=subject.pk, actor=agent, support_group=group, assignee=person
            )
        assert stored(subject).reassignment_count == 3

    def test_assigning_the_same_again_changes_nothing(self, agent, group):
        subject = incident(actor=agent, support_group=group, assignee=agent)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=agent
        )
        same = stored(subject)
        assert (same.version, same.reassignment_count) == (1, 0)
        assert not audit_events(subject, kind=AuditKind.ASSIGNED).exists()

    def test_unassigning_an_assigned_incident_puts_it_back_to_new(self, agent, group):
        subject = incident(actor=agent, support_group=group, assignee=agent)
        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=None
        )
        back = stored(subject)
        assert (back.status, back.assignee, back.support_group) == (S.NEW, None, group)
        status = audit_events(subject, kind=AuditKind.STATUS_CHANGED).get()
        assert (status.old_value, status.new_value) == (S.ASSIGNED, S.NEW)
        assert audit_events(subject, field="assignee").get().new_value is None

    def test_an_assignee_outside_the_group_is_refused(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        with pytest.raises(ValidationError) as error:
            services.incident_assign(
                incident_id=subject.pk, actor=agent, support_group=group, assignee=AgentFactory()
            )
        assert list(error.value.message_dict) == ["assignee"]
        unchanged = stored(subject)
        assert (unchanged.assignee, unchanged.status, unchanged.version) == (None, S.NEW, 1)

    def test_a_support_group_is_required(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        with pytest.raises(ValidationError) as error:
            services.incident_assign(incident_id=subject.pk, actor=agent, support_group=None)
        assert "support_group" in error.value.message_dict
        assert stored(subject).support_group == group

    def test_end_users_cannot_assign(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        with pytest.raises(PermissionDenied):
            services.incident_assign(
                incident_id=subject.pk, actor=requester, support_group=group, assignee=agent
            )

    def test_a_stale_version_is_refused_and_nothing_changes(self, agent, group):
        other = AgentFactory()
        group.members.add(other)
        subject = incident(actor=agent, support_group=group)
        services.incident_update(incident_id=subject.pk, actor=agent, changes={"title": "Edited"})
        with pytest.raises(StaleVersion):
            services.incident_assign(
                incident_id=subject.pk,
                actor=agent,
                support_group=group,
                assignee=other,
                version=1,
            )
        unchanged = stored(subject)
        assert (unchanged.assignee, unchanged.status, unchanged.version) == (None, S.NEW, 2)
        assert not audit_events(subject, kind=AuditKind.ASSIGNED).exists()

    def test_a_stale_version_is_refused_for_transitions_too(self, agent):
        subject = incident_in(S.ASSIGNED, agent=agent)
        with pytest.raises(StaleVersion):
            transition(subject, agent, S.IN_PROGRESS, version=subject.version - 1)
        assert stored(subject).status == S.ASSIGNED


@pytest.mark.django_db
class TestTake:
    def test_a_member_takes_it_within_the_incidents_group(self, agent, group):
        own_first = SupportGroupFactory(name="AAA first by name", members=[agent])
        subject = incident(actor=AgentFactory(), support_group=group)
        services.incident_take(incident_id=subject.pk, actor=agent)
        taken = stored(subject)
        assert (taken.assignee, taken.support_group, taken.status) == (agent, group, S.ASSIGNED)
        assert taken.support_group != own_first
        assert taken.reassignment_count == 0

    def test_a_non_member_takes_it_into_their_own_first_group(self, agent, group):
        zeta = SupportGroupFactory(name="Zeta")
        alpha = SupportGroupFactory(name="Alpha")
        outsider = AgentFactory()
        zeta.members.add(outsider)
        alpha.members.add(outsider)
        SupportGroupFactory(name="Aardvark (inactive)", is_active=False).members.add(outsider)
        subject = incident(actor=agent, support_group=group)
        services.incident_take(incident_id=subject.pk, actor=outsider)
        taken = stored(subject)
        assert (taken.assignee, taken.support_group) == (outsider, alpha)

    def test_an_actor_in_no_group_gets_a_clear_error(self, agent, group):
        loner = AgentFactory()
        subject = incident(actor=agent, support_group=group)
        with pytest.raises(ValidationError) as error:
            services.incident_take(incident_id=subject.pk, actor=loner)
        assert error.value.message_dict == {
            "assignee": ["You are not a member of any support group."]
        }
        assert stored(subject).assignee is None

    def test_end_users_cannot_take(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group)
        with pytest.raises(PermissionDenied):
            services.incident_take(incident_id=subject.pk, actor=requester)

    def test_a_stale_version_is_refused(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        services.incident_update(incident_id=subject.pk, actor=agent, changes={"title": "x"})
        with pytest.raises(StaleVersion):
            services.incident_take(incident_id=subject.pk, actor=agent, version=1)
        assert stored(subject).assignee is None


# --- Comments ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestComments:
    def test_the_first_public_agent_reply_is_the_first_response(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        with time_machine.travel(T0, tick=False) as clock:
            comment_on(subject, agent, "<p>Looking into it.</p>")
            clock.shift(timedelta(hours=2))
            comment_on(subject, agent, "<p>Still on it.</p>")
        assert stored(subject).first_responded_at == T0

    def test_an_internal_note_is_not_a_response(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        note = comment_on(subject, agent, "<p>Probably the switch.</p>", Visibility.INTERNAL)
        assert note.visibility == Visibility.INTERNAL
        assert stored(subject).first_responded_at is None

    def test_an_end_users_note_is_always_public(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        comment = comment_on(subject, requester, "<p>Secret?</p>", Visibility.INTERNAL)
        assert comment.visibility == Visibility.PUBLIC
        assert stored(subject).first_responded_at is None  # the requester is not the desk

    def test_an_end_user_cannot_comment_on_someone_elses_incident(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=EndUserFactory())
        with pytest.raises(PermissionDenied):
            comment_on(subject, requester)
        assert not comments_of(subject).exists()

    def test_the_body_is_sanitised_and_must_not_be_empty(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        comment = comment_on(subject, agent, "<p>Hi</p><script>x()</script>")
        assert comment.body == "<p>Hi</p>"
        with pytest.raises(ValidationError):
            comment_on(subject, agent, "<p> </p>")
        assert comments_of(subject).count() == 1

    def test_a_requester_reply_brings_an_assigned_incident_back_to_work(self, agent, requester):
        subject = incident_in(S.IN_PROGRESS, agent=agent, requester=requester)
        transition(subject, agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        comment_on(subject, requester, "<p>Here is the screenshot.</p>")
        back = stored(subject)
        assert (back.status, back.pending_reason) == (S.IN_PROGRESS, "")
        event = audit_events(subject, kind=AuditKind.STATUS_CHANGED).last()
        assert (event.old_value, event.new_value, event.actor) == (
            S.PENDING,
            S.IN_PROGRESS,
            system_actor(),
        )
        assert event.note == "The requester replied."

    def test_a_requester_reply_brings_an_unassigned_incident_back_to_new(
        self, agent, group, requester
    ):
        subject = incident(actor=agent, support_group=group, requester=requester)
        transition(subject, agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        comment_on(subject, requester, "<p>It happens on the 3rd floor only.</p>")
        back = stored(subject)
        assert (back.status, back.pending_reason, back.assignee) == (S.NEW, "", None)

    def test_a_requester_reply_does_not_end_a_wait_for_someone_else(self, agent, requester):
        subject = incident_in(S.PENDING, agent=agent, requester=requester)  # supplier
        comment_on(subject, requester)
        waiting = stored(subject)
        assert (waiting.status, waiting.pending_reason) == (S.PENDING, PendingReason.SUPPLIER)

    def test_an_agent_reply_does_not_end_a_wait_for_the_customer(self, agent, requester):
        subject = incident_in(S.IN_PROGRESS, agent=agent, requester=requester)
        transition(subject, agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        comment_on(subject, agent, "<p>Could you send a screenshot?</p>")
        assert stored(subject).status == S.PENDING

    def test_comments_on_a_closed_incident_are_refused(self, agent, requester):
        subject = incident_in(S.CLOSED, agent=agent, requester=requester)
        for actor in (agent, requester):
            with pytest.raises(TransitionNotAllowed, match="closed"):
                comment_on(subject, actor)
        assert not comments_of(subject).exists()

    def test_a_requester_may_still_reply_on_a_resolved_incident(self, agent, requester):
        subject = incident_in(S.RESOLVED, agent=agent, requester=requester)
        comment_on(subject, requester, "<p>Thanks!</p>")
        assert stored(subject).status == S.RESOLVED
        assert comments_of(subject).count() == 1


# --- Logged calls -----------------------------------------------------------------------------


def log_call(actor, **fields):
    fields.setdefault("title", "Outlook will not start")
    fields.setdefault("impact", "low")
    fields.setdefault("urgency", "medium")
    with transaction.atomic():
        return services.incident_log_call(actor=actor, **fields)


@pytest.mark.django_db
class TestLogCall:
    def test_resolved_on_the_call(self, agent, group, requester):
        with time_machine.travel(T0, tick=False):
            logged = log_call(
                agent,
                requester=requester,
                resolve_now=True,
                resolution_code=ResolutionCode.USER_ERROR,
                resolution_notes="Showed how to clear the cache.",
            )
        logged = stored(logged)
        assert logged.channel == Channel.PHONE
        assert logged.status == S.RESOLVED
        assert logged.first_contact_resolution is True
        assert (logged.assignee, logged.support_group) == (agent, group)
        assert logged.requester == requester
        assert logged.resolution_code == ResolutionCode.USER_ERROR
        assert logged.resolution_notes == "Showed how to clear the cache."
        assert logged.resolved_at == T0

    def test_the_agents_group_is_used_when_the_given_one_is_not_theirs(self, agent, group):
        logged = log_call(
            agent,
            support_group=SupportGroupFactory(),
            resolve_now=True,
            resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
            resolution_notes="Fixed.",
        )
        assert stored(logged).support_group == group

    def test_not_resolved_it_is_a_new_phone_incident(self, agent, group):
        logged = stored(log_call(agent, support_group=group))
        assert (logged.channel, logged.status, logged.first_contact_resolution) == (
            Channel.PHONE,
            S.NEW,
            False,
        )

    @pytest.mark.parametrize(
        ("code", "notes", "fields"),
        [
            (ResolutionCode.SOLVED_PERMANENTLY, "", {"resolution_notes"}),
            (ResolutionCode.SOLVED_PERMANENTLY, "  \n ", {"resolution_notes"}),
            (ResolutionCode.SOLVED_PERMANENTLY, "<p></p>", {"resolution_notes"}),
            ("", "Fixed it.", {"resolution_code"}),
            ("", "", {"resolution_code", "resolution_notes"}),
        ],
        ids=["no-notes", "whitespace", "only-tags", "no-code", "nothing"],
    )
    def test_missing_resolution_details_are_field_errors_and_nothing_is_saved(
        self, agent, group, code, notes, fields
    ):
        with pytest.raises(ValidationError) as error:
            log_call(agent, resolve_now=True, resolution_code=code, resolution_notes=notes)
        assert set(error.value.message_dict) == fields
        assert not Incident.objects.exists()

    def test_an_unknown_resolution_code_saves_nothing(self, agent, group):
        with pytest.raises(ValidationError) as error:
            log_call(agent, resolve_now=True, resolution_code="magic", resolution_notes="Done.")
        assert "resolution_code" in error.value.message_dict
        assert not Incident.objects.exists()

    def test_end_users_cannot_log_calls(self, requester):
        with pytest.raises(PermissionDenied):
            log_call(requester)


# --- Bulk -------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestBulk:
    def test_bulk_assign_reports_done_and_failed(self, agent, group):
        target_agent = AgentFactory()
        network = SupportGroupFactory(members=[target_agent])
        first = incident(actor=agent, support_group=group)
        second = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        closed = incident_in(S.CLOSED, agent=agent, support_group=group)
        result = services.incidents_bulk_assign(
            incident_ids=[first.pk, second.pk, closed.pk],
            actor=agent,
            support_group=network,
            assignee=target_agent,
        )
        assert sorted(result.done) == sorted([first.number, second.number])
        assert len(result.failed) == 1
        number, message = result.failed[0]
        assert number == closed.number
        assert "can no longer be changed" in message
        for changed in (first, second):
            assert (stored(changed).support_group, stored(changed).assignee) == (
                network,
                target_agent,
            )
        unchanged = stored(closed)
        assert (unchanged.support_group, unchanged.assignee, unchanged.version) == (
            group,
            agent,
            closed.version,
        )

    def test_bulk_assign_reports_field_errors_as_text(self, agent, group):
        subject = incident(actor=agent, support_group=group)
        result = services.incidents_bulk_assign(
            incident_ids=[subject.pk], actor=agent, support_group=group, assignee=AgentFactory()
        )
        assert result.done == []
        assert result.failed == [(subject.number, result.failed[0][1])]
        assert "is not a member of Service Desk" in result.failed[0][1]
        assert stored(subject).assignee is None

    def test_bulk_transition_reports_done_and_failed(self, agent, group):
        assigned = incident_in(S.ASSIGNED, agent=agent, support_group=group)
        working = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        unassigned = incident(actor=agent, support_group=group)
        resolved = incident_in(S.RESOLVED, agent=agent, support_group=group)
        result = services.incidents_bulk_transition(
            incident_ids=[assigned.pk, working.pk, unassigned.pk, resolved.pk],
            actor=agent,
            target=S.PENDING,
            pending_reason=PendingReason.SUPPLIER,
        )
        assert sorted(result.done) == sorted([assigned.number, working.number, unassigned.number])
        assert result.failed == [(resolved.number, result.failed[0][1])]
        assert "Resolved" in result.failed[0][1] and "Pending" in result.failed[0][1]
        for done in (assigned, working, unassigned):
            assert stored(done).status == S.PENDING
        assert stored(resolved).status == S.RESOLVED

    def test_bulk_resolve_with_details_and_guards(self, agent, group):
        working = incident_in(S.IN_PROGRESS, agent=agent, support_group=group)
        cancelled = incident_in(S.CANCELLED, agent=agent, support_group=group)
        result = services.incidents_bulk_transition(
            incident_ids=[working.pk, cancelled.pk], actor=agent, target=S.RESOLVED, **RESOLUTION
        )
        assert result.done == [working.number]
        assert [number for number, _ in result.failed] == [cancelled.number]
        assert stored(working).resolution_code == RESOLUTION["resolution_code"]
        assert stored(cancelled).status == S.CANCELLED

    def test_a_guard_failure_in_bulk_is_reported_with_its_reason(self, agent, group):
        unassigned = incident(actor=agent, support_group=group)
        result = services.incidents_bulk_transition(
            incident_ids=[unassigned.pk], actor=agent, target=S.IN_PROGRESS
        )
        assert result.done == []
        assert result.failed == [
            (unassigned.number, "Assign the incident to someone before it is worked on.")
        ]

    def test_end_users_cannot_use_bulk_actions(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        with pytest.raises(PermissionDenied):
            services.incidents_bulk_transition(
                incident_ids=[subject.pk], actor=requester, target=S.CANCELLED
            )
        with pytest.raises(PermissionDenied):
            services.incidents_bulk_assign(
                incident_ids=[subject.pk], actor=requester, support_group=group
            )
        assert stored(subject).status == S.NEW


# --- Auto-close -------------------------------------------------------------------------------


@pytest.fixture
def resolved_at_different_times(agent, settings):
    """Resolved at T0 (old), T0 + 1 day (old) and T0 + 2 days 12 h (young at T0 + 3 days 1 h)."""
    settings.INCIDENT_AUTO_CLOSE_DAYS = 2
    made = []
    with time_machine.travel(T0, tick=False) as clock:
        for offset in (timedelta(0), timedelta(days=1), timedelta(days=2, hours=12)):
            clock.move_to(T0 + offset)
            made.append(incident_in(S.RESOLVED, agent=agent))
    return made


@pytest.mark.django_db
class TestAutoClose:
    NOW = T0 + timedelta(days=3, hours=1)

    def test_closes_only_incidents_resolved_long_enough_ago(self, resolved_at_different_times):
        old, older_than_cutoff, young = resolved_at_different_times
        open_one = incident_in(S.IN_PROGRESS)
        with time_machine.travel(self.NOW, tick=False):
            closed = services.close_resolved_incidents()
        assert closed == 2
        for subject in (old, older_than_cutoff):
            subject = stored(subject)
            assert (subject.status, subject.closed_at) == (S.CLOSED, self.NOW)
            event = audit_events(subject, kind=AuditKind.STATUS_CHANGED).last()
            assert (event.old_value, event.new_value, event.actor) == (
                S.RESOLVED,
                S.CLOSED,
                system_actor(),
            )
            assert "2 days" in event.note
        assert stored(young).status == S.RESOLVED
        assert stored(young).closed_at is None
        assert stored(open_one).status == S.IN_PROGRESS

    def test_running_it_twice_closes_nothing_more(self, resolved_at_different_times):
        with time_machine.travel(self.NOW, tick=False):
            assert services.close_resolved_incidents() == 2
            assert services.close_resolved_incidents() == 0
        assert Incident.objects.filter(status=S.CLOSED).count() == 2

    def test_small_batches_still_close_everything(self, resolved_at_different_times):
        with time_machine.travel(self.NOW + timedelta(days=2), tick=False):
            assert services.close_resolved_incidents(batch_size=1) == 3
        assert set(Incident.objects.values_list("status", flat=True)) == {S.CLOSED}

    def test_the_celery_task_does_the_same(self, resolved_at_different_times):
        old, older_than_cutoff, young = resolved_at_different_times
        with time_machine.travel(self.NOW, tick=False):
            assert close_resolved_incidents_task.delay().get() == 2
            assert close_resolved_incidents_task.delay().get() == 0
        assert [stored(i).status for i in (old, older_than_cutoff, young)] == [
            S.CLOSED,
            S.CLOSED,
            S.RESOLVED,
        ]
        assert stored(old).closed_at == self.NOW

    def test_a_reopened_incident_is_not_closed(self, agent, resolved_at_different_times):
        old = resolved_at_different_times[0]
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            transition(old, agent, S.IN_PROGRESS)
        with time_machine.travel(self.NOW, tick=False):
            assert services.close_resolved_incidents() == 1
        assert stored(old).status == S.IN_PROGRESS


class TestAttachments:
    def upload(self, name="log.txt", content=b"boot log"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile(name, content, "text/plain")

    def test_a_requester_attaches_to_their_own_incident_always_publicly(
        self, agent, group, requester, tmp_path, settings
    ):
        settings.MEDIA_ROOT = tmp_path
        subject = incident(actor=agent, support_group=group, requester=requester)
        added = services.incident_attach(
            incident_id=subject.pk, actor=requester, file=self.upload(), visibility="internal"
        )
        assert added.visibility == Visibility.PUBLIC
        assert added.uploaded_by == requester

    def test_nobody_else_may_attach_to_a_requesters_incident(self, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        with pytest.raises(PermissionDenied):
            services.incident_attach(
                incident_id=subject.pk, actor=EndUserFactory(), file=self.upload()
            )

    def test_closed_incidents_take_no_more_files(self, agent, requester):
        subject = incident_in(S.CLOSED, agent=agent, requester=requester)
        with pytest.raises(TransitionNotAllowed):
            services.incident_attach(incident_id=subject.pk, actor=agent, file=self.upload())


class TestChannels:
    def test_an_end_user_may_say_api_or_email_but_not_phone(self, agent, group, requester):
        RoutingRuleFactory(support_group=group)
        fields = {"title": "Printer", "impact": "low", "urgency": "low"}
        by_api = services.incident_create(actor=requester, channel=Channel.API, **fields)
        by_phone = services.incident_create(actor=requester, channel=Channel.PHONE, **fields)
        assert (by_api.channel, by_phone.channel) == (Channel.API, Channel.PORTAL)


def test_assignments_are_agent_only_events(agent, group, requester):
    subject = incident(actor=agent, support_group=group, requester=requester)
    services.incident_assign(
        incident_id=subject.pk, actor=agent, support_group=group, assignee=agent
    )
    assignment = audit_events(subject, field="assignee").get()
    assert assignment.public is False
