"""States and transitions as data. Each record type declares a `Workflow`; services ask it first.

    INCIDENT_WORKFLOW = Workflow(
        initial="new",
        transitions={"new": {"assigned", "cancelled"}, "assigned": {"in_progress"}, ...},
        guards={"resolved": [needs_resolution_code]},
    )

A guard is a function `(record, context) -> str | None` that returns the reason it refuses.

Each state also carries its meaning (`Meaning`), which the SLA engine and the dashboards read
instead of status names: `paused` states may stop the clocks (on the reasons a policy lists),
`resolved` states stop them as delivered (met or breached), `cancelled` states cancel them.
Every other state is open; a final state (no way out) not declared otherwise is resolved.

`automatic` transitions are moves a service makes as the consequence of another change (an
incident put back in its group's queue when its assignee is removed): declared, checked and
audited like the others, but never offered as a choice (`allowed_targets`).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from servicedesk.exceptions import TransitionNotAllowed

Guard = Callable[[Any, Mapping[str, Any]], str | None]

# Guards that apps above the kernel put on every record type's moves, registered in their
# AppConfig.ready() (a checklist with required items open refuses a resolution): called by
# `servicedesk.services.record_transition` once the workflow allows the move, as
# `f(record, *, source, target, meaning, automatic, actor, context) -> str | None`, the reason it
# refuses (TransitionNotAllowed, 409) or None.
RECORD_GUARDS: list[Callable[..., str | None]] = []


class Meaning(StrEnum):
    """What a state means to the clocks and the reports, whatever its name."""

    OPEN = "open"
    PAUSED = "paused"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Workflow:
    initial: str
    transitions: Mapping[str, Iterable[str]]
    guards: Mapping[str, Iterable[Guard]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    paused: Iterable[str] = ()
    resolved: Iterable[str] = ()
    cancelled: Iterable[str] = ()
    automatic: Mapping[str, Iterable[str]] = field(default_factory=dict)
    meanings: Mapping[str, Meaning] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        states = set(self.transitions)
        for source, targets in [*self.transitions.items(), *self.automatic.items()]:
            unknown = ({source} | set(targets)) - states
            if unknown:
                raise ValueError(f"{source} leads to undeclared states {sorted(unknown)}")
        if self.initial not in states:
            raise ValueError(f"initial state {self.initial!r} is not declared")
        meanings: dict[str, Meaning] = {}
        for meaning, declared in (
            (Meaning.PAUSED, self.paused),
            (Meaning.RESOLVED, self.resolved),
            (Meaning.CANCELLED, self.cancelled),
        ):
            for state in declared:
                if state not in states:
                    raise ValueError(f"{meaning} state {state!r} is not declared")
                if state in meanings:
                    raise ValueError(f"{state!r} is both {meanings[state]} and {meaning}")
                meanings[state] = meaning
        for state in states:
            if state not in meanings:
                final = not self.transitions[state]
                meanings[state] = Meaning.RESOLVED if final else Meaning.OPEN
        object.__setattr__(self, "meanings", meanings)

    @property
    def states(self) -> list[str]:
        return list(self.transitions)

    def meaning(self, state: str) -> Meaning:
        """The meaning of `state`; an unknown state is open (the clocks keep running)."""
        return self.meanings.get(state, Meaning.OPEN)

    def states_meaning(self, *meanings: Meaning) -> list[str]:
        """The states of the given meanings, in declaration order (for queries)."""
        return [s for s in self.transitions if self.meaning(s) in meanings]

    @property
    def open_states(self) -> list[str]:
        """States with work left: open or paused."""
        return self.states_meaning(Meaning.OPEN, Meaning.PAUSED)

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def allowed_targets(self, state: str) -> list[str]:
        """The states reachable from `state` in one step, in declaration order (for menus)."""
        targets = set(self.transitions.get(state, ()))
        return [s for s in self.transitions if s in targets]

    def check(
        self,
        *,
        record: Any,
        source: str,
        target: str,
        context: Mapping[str, Any] | None = None,
        automatic: bool = False,
    ):
        """Raise `TransitionNotAllowed` unless `source -> target` is declared and every guard agrees.

        With `automatic` the service's own consequential moves (`automatic`) are allowed too.
        """
        name = self.labels.get
        if target not in self.transitions:
            raise TransitionNotAllowed(_("“%(state)s” is not a known status.") % {"state": target})
        allowed = set(self.transitions.get(source, ()))
        if automatic:
            allowed |= set(self.automatic.get(source, ()))
        if target not in allowed:
            raise TransitionNotAllowed(
                _("A record cannot go from “%(source)s” to “%(target)s”.")
                % {"source": name(source, source), "target": name(target, target)}
            )
        for guard in self.guards.get(target, ()):
            reason = guard(record, context or {})
            if reason:
                raise TransitionNotAllowed(reason)
