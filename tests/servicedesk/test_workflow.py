"""Workflows as data: declared transitions, guards with reasons, final states, menus."""

import pytest

from servicedesk.exceptions import ApplicationError, TransitionNotAllowed
from servicedesk.workflow import Workflow
from tests.kernel.models import TICKET_WORKFLOW, TicketStatus

RECORD = object()  # the workflow never inspects the record itself; guards may


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("new", "in_progress"),
        ("in_progress", "resolved"),
        ("new", "resolved"),
        ("resolved", "in_progress"),
        ("resolved", "closed"),
    ],
)
def test_declared_transitions_are_allowed(source, target):
    context = {"note": "Replaced the toner"}
    assert (
        TICKET_WORKFLOW.check(record=RECORD, source=source, target=target, context=context) is None
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [("new", "closed"), ("in_progress", "new"), ("in_progress", "closed"), ("closed", "new")],
)
def test_undeclared_transitions_raise_a_domain_error_naming_both_states(source, target):
    with pytest.raises(TransitionNotAllowed) as refused:
        TICKET_WORKFLOW.check(record=RECORD, source=source, target=target)
    error = refused.value
    assert isinstance(error, ApplicationError)
    assert error.status_code == 409
    labels = dict(TicketStatus.choices)
    assert (
        str(error.message) == f"A record cannot go from “{labels[source]}” to “{labels[target]}”."
    )
    assert str(error) == str(error.message)
    assert error.errors == {}


def test_staying_in_the_same_state_is_not_a_transition():
    with pytest.raises(TransitionNotAllowed):
        TICKET_WORKFLOW.check(record=RECORD, source="new", target="new")


def test_an_unknown_target_state_is_refused_by_name():
    with pytest.raises(TransitionNotAllowed, match="“reopened” is not a known status"):
        TICKET_WORKFLOW.check(record=RECORD, source="resolved", target="reopened")


def test_unlabelled_states_are_named_by_their_code():
    workflow = Workflow(initial="a", transitions={"a": {"b"}, "b": set()})
    with pytest.raises(TransitionNotAllowed, match="from “b” to “a”"):
        workflow.check(record=RECORD, source="b", target="a")


@pytest.mark.parametrize("context", [None, {}, {"note": ""}, {"note": "   "}])
def test_a_guard_blocks_with_its_reason(context):
    with pytest.raises(TransitionNotAllowed) as refused:
        TICKET_WORKFLOW.check(
            record=RECORD, source="in_progress", target="resolved", context=context
        )
    assert str(refused.value.message) == "Resolving needs a resolution note."


def test_guards_receive_the_record_and_context_and_the_first_refusal_wins():
    calls = []

    def first(record, context):
        calls.append(("first", record, dict(context)))
        return None if context.get("approved") else "Needs approval."

    def second(record, context):
        calls.append(("second", record, dict(context)))
        return "Second guard refuses."

    workflow = Workflow(
        initial="draft",
        transitions={"draft": {"published"}, "published": set()},
        guards={"published": [first, second]},
    )
    with pytest.raises(TransitionNotAllowed, match="Needs approval."):
        workflow.check(record="the record", source="draft", target="published", context={})
    assert calls == [("first", "the record", {})]

    calls.clear()
    with pytest.raises(TransitionNotAllowed, match="Second guard refuses."):
        workflow.check(
            record="the record", source="draft", target="published", context={"approved": True}
        )
    assert [name for name, *_ in calls] == ["first", "second"]


def test_guards_only_run_for_declared_transitions():
    def explode(record, context):
        raise AssertionError("guard ran for an undeclared transition")

    workflow = Workflow(
        initial="a", transitions={"a": {"b"}, "b": {"c"}, "c": set()}, guards={"c": [explode]}
    )
    with pytest.raises(TransitionNotAllowed, match="cannot go from"):
        workflow.check(record=RECORD, source="a", target="c")


def test_final_states_have_no_way_out():
    assert TICKET_WORKFLOW.is_final("closed")
    assert not TICKET_WORKFLOW.is_final("new")
    assert not TICKET_WORKFLOW.is_final("resolved")
    assert TICKET_WORKFLOW.allowed_targets("closed") == []
    for target in TICKET_WORKFLOW.states:
        with pytest.raises(TransitionNotAllowed):
            TICKET_WORKFLOW.check(
                record=RECORD, source="closed", target=target, context={"note": "x"}
            )


def test_allowed_targets_follow_declaration_order_for_menus():
    assert TICKET_WORKFLOW.states == ["new", "in_progress", "resolved", "closed"]
    assert TICKET_WORKFLOW.initial == "new"
    assert TICKET_WORKFLOW.allowed_targets("new") == ["in_progress", "resolved"]
    assert TICKET_WORKFLOW.allowed_targets("in_progress") == ["resolved"]
    assert TICKET_WORKFLOW.allowed_targets("resolved") == ["in_progress", "closed"]
    assert TICKET_WORKFLOW.allowed_targets("no-such-state") == []


def test_allowed_targets_ignore_the_order_the_targets_were_written_in():
    workflow = Workflow(initial="a", transitions={"a": ["d", "c", "b"], "b": [], "c": [], "d": []})
    assert workflow.allowed_targets("a") == ["b", "c", "d"]


def test_a_transition_to_an_undeclared_state_is_a_programming_error():
    with pytest.raises(ValueError, match=r"new leads to undeclared states \['reopened'\]"):
        Workflow(initial="new", transitions={"new": {"reopened"}})


def test_the_initial_state_must_be_declared():
    with pytest.raises(ValueError, match="initial state 'draft' is not declared"):
        Workflow(initial="draft", transitions={"new": set()})


def test_workflows_are_immutable():
    with pytest.raises(AttributeError):
        TICKET_WORKFLOW.initial = "closed"  # type: ignore[misc]
