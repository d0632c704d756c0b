"""States and transitions as data. Each record type declares a `Workflow`; services ask it first.

    INCIDENT_WORKFLOW = Workflow(
        initial="new",
        transitions={"new": {"assigned", "cancelled"}, "assigned": {"in_progress"}, ...},
        guards={"resolved": [needs_resolution_code]},
    )

A guard is a function `(record, context) -> str | None` that returns the reason it refuses.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from servicedesk.exceptions import TransitionNotAllowed

Guard = Callable[[Any, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Workflow:
    initial: str
    transitions: Mapping[str, Iterable[str]]
    guards: Mapping[str, Iterable[Guard]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        states = set(self.transitions)
        for source, targets in self.transitions.items():
            unknown = set(targets) - states
            if unknown:
                raise ValueError(f"{source} leads to undeclared states {sorted(unknown)}")
        if self.initial not in states:
            raise ValueError(f"initial state {self.initial!r} is not declared")

    @property
    def states(self) -> list[str]:
        return list(self.transitions)

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def allowed_targets(self, state: str) -> list[str]:
        """The states reachable from `state` in one step, in declaration order (for menus)."""
        targets = set(self.transitions.get(state, ()))
        return [s for s in self.transitions if s in targets]

    def check(
        self, *, record: Any, source: str, target: str, context: Mapping[str, Any] | None = None
    ):
        """Raise `TransitionNotAllowed` unless `source -> target` is declared and every guard agrees."""
        name = self.labels.get
        if target not in self.transitions:
            raise TransitionNotAllowed(_("“%(state)s” is not a known status.") % {"state": target})
        if target not in set(self.transitions.get(source, ())):
            raise TransitionNotAllowed(
                _("A record cannot go from “%(source)s” to “%(target)s”.")
                % {"source": name(source, source), "target": name(target, target)}
            )
        for guard in self.guards.get(target, ()):
            reason = guard(record, context or {})
            if reason:
                raise TransitionNotAllowed(reason)
