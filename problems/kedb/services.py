"""Writes of the known-error database: applying a known error's workaround to an incident,
and the problem candidates (found by the periodic finder, accepted or dismissed by a problem
manager). The pages, the admin and the beat task call these.

Errors: PermissionDenied (not allowed), TransitionNotAllowed (409: decided already, applied
already, a problem that is no known error), ValidationError (bad input); nothing is saved then.
"""

import math
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from incidents import services as incident_services
from incidents.models import Incident
from problems import services as problem_services
from problems.kedb import clustering, selectors
from problems.kedb.models import (
    CandidateIncident,
    CandidateSettings,
    CandidateStatus,
    ProblemCandidate,
    WorkaroundUse,
)
from problems.models import Problem
from servicedesk import events
from servicedesk import services as kernel
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import AuditKind, Visibility
from servicedesk.text import plain_text

# --- Applying a workaround ------------------------------------------------------------------


def workaround_reply(problem: Problem, *, language: str | None) -> str:
    """The public reply that gives the requester a known error's workaround, headed in the
    requester's language (the workaround is as its author wrote it, sanitised already)."""
    with translation.override(language or None):
        heading = _("A known workaround for this (%(number)s: %(title)s):") % {
            "number": problem.number,
            "title": plain_text(problem.title),
        }
    return f"<p>{escape(heading)}</p>{problem.workaround}"


@transaction.atomic
def workaround_apply(*, incident_id: int, problem_id: int, actor) -> WorkaroundUse:
    """Link the incident to the known error ("INC caused by PRB", unless it is already) and
    give its requester the workaround as a public reply (the incidents' comment service, so the
    first response, the update-interval clock and the requester's e-mail follow), audited as
    "workaround applied" on both timelines and counted by the KPI.

    Locks the problem, then the incident (parent before child). Raises PermissionDenied (not
    staff), Problem.DoesNotExist (no known error the actor may read: 404),
    TransitionNotAllowed (applied already; a closed incident).
    """
    problem_services.ensure_can_work(actor)
    problem = selectors.known_errors_visible_to(actor).get(pk=problem_id)
    if Problem.WORKFLOW.is_final(problem.status):
        _link_fixed(problem, incident_id, actor)
    else:
        problem_services.problem_link_incidents(
            problem_id=problem.pk, incident_ids=[incident_id], actor=actor
        )
    if WorkaroundUse.objects.filter(incident_id=incident_id, problem=problem).exists():
        raise TransitionNotAllowed(
            _("The workaround of %(number)s was applied to this incident already.")
            % {"number": problem.number}
        )
    incident = Incident.objects.select_related("requester").get(pk=incident_id)
    comment = incident_services.incident_comment(
        incident_id=incident.pk,
        actor=actor,
        body=workaround_reply(problem, language=incident.requester.language),
        visibility=Visibility.PUBLIC,
    )
    use = WorkaroundUse.objects.create(
        incident=incident, problem=problem, comment=comment, applied_by=actor
    )
    for record, other in ((incident, problem), (problem, incident)):
        events.record_event(
            record=record,
            actor=actor,
            kind=AuditKind.WORKAROUND_APPLIED,
            field="workaround",
            new_value={"number": other.number},
            new_text=other.number,
            public=False,
        )
    return use


def _link_fixed(problem: Problem, incident_id: int, actor) -> None:
    """A resolved known error takes no new links through the problems' service (it refuses a
    final record); its older incidents still get the workaround, linked by the kernel."""
    from servicedesk.models import LinkKind

    incident = incident_services.incidents_visible_to(actor).get(pk=incident_id)
    if incident.pk not in selectors.covered_incident_ids([incident.pk]):
        kernel.record_link_add(
            source=incident, target=problem, kind=LinkKind.CAUSED_BY, actor=actor
        )


# --- Problem candidates -----------------------------------------------------------------------


def ensure_can_decide(actor) -> None:
    """Problem managers (and administrators) decide candidates; PermissionDenied otherwise."""
    if not selectors.can_decide_candidates(actor):
        raise PermissionDenied(_("Only a problem manager can decide problem candidates."))


def _title(cluster: clustering.Cluster, titles: dict[int, str]) -> str:
    """The member title that says most of the common words, shortest first."""
    common = set(cluster.common_words)

    def telling(pk: int) -> tuple[int, int]:
        title = titles[pk]
        return (-len(clustering.words_of(title) & common), len(title))

    return titles[min(cluster.incident_ids, key=telling)][:200]


@transaction.atomic
def candidates_refresh(*, actor, now: datetime | None = None) -> list[ProblemCandidate]:
    """Run the finder over the window and propose what it finds (the beat's task).

    A cluster is left out when half of its incidents or more are linked to a problem already
    (covered), when its fingerprint was dismissed or accepted, or when half of it or more
    belongs to a dismissed candidate; its incidents linked to a problem are dropped from it.
    A cluster like a proposed candidate (same fingerprint, or half its incidents) updates that
    candidate. Returns the candidates proposed or updated. Idempotent: a second run changes
    nothing but `refreshed_at`.
    """
    settings_row = CandidateSettings.current()
    if not settings_row.enabled:
        return []
    settings = selectors.finder_settings(settings_row)
    start, end, baseline_start = selectors.finder_periods(settings_row, now)
    window = selectors.finder_rows(start=start, end=end)
    baseline = selectors.finder_rows(start=baseline_start, end=start)
    clusters = clustering.find_clusters(window, baseline, settings)
    if not clusters:
        return []
    titles = {row.id: row.title for row in window}
    members = {pk for cluster in clusters for pk in cluster.incident_ids}
    covered = selectors.covered_incident_ids(members)
    dismissed = selectors.candidate_ids_by_incident(members, status=CandidateStatus.DISMISSED)
    proposed = selectors.candidate_ids_by_incident(members, status=CandidateStatus.PROPOSED)
    known = {c.fingerprint: c for c in ProblemCandidate.objects.select_for_update().filter(
        fingerprint__in=[cluster.fingerprint for cluster in clusters])}  # fmt: skip
    stamp = now or timezone.now()
    done = []
    for cluster in clusters:
        ids = cluster.incident_ids
        half = math.ceil(len(ids) / 2)
        free = [pk for pk in ids if pk not in covered]
        if len(ids) - len(free) >= half or len(free) < settings.min_incidents:
            continue
        if sum(pk in dismissed for pk in ids) >= half:
            continue
        candidate = known.get(cluster.fingerprint)
        if candidate is None:
            similar = [proposed[pk] for pk in ids if pk in proposed]
            if similar and len(similar) >= half:
                candidate = ProblemCandidate.objects.select_for_update().get(
                    pk=max(set(similar), key=similar.count)
                )
        if candidate is not None and candidate.status != CandidateStatus.PROPOSED:
            continue
        done.append(_propose(candidate, cluster, free, _title(cluster, titles), stamp))
    return done


def _propose(candidate, cluster, ids, title, stamp) -> ProblemCandidate:
    fields = {
        "title": title,
        "facet": cluster.facet,
        "facet_value": cluster.value,
        "reasons": cluster.reasons() | {"incidents": len(ids)},
        "incident_count": len(ids),
        "requester_count": cluster.requesters,
        "first_at": cluster.first_at,
        "last_at": cluster.last_at,
        "refreshed_at": stamp,
    }
    if candidate is None:
        candidate = ProblemCandidate.objects.create(
            fingerprint=cluster.fingerprint, found_at=stamp, **fields
        )
    else:
        for name, value in fields.items():
            setattr(candidate, name, value)
        candidate.save(update_fields=list(fields))
        CandidateIncident.objects.filter(candidate=candidate).exclude(incident_id__in=ids).delete()
    CandidateIncident.objects.bulk_create(
        [CandidateIncident(candidate=candidate, incident_id=pk) for pk in ids],
        ignore_conflicts=True,
    )
    return candidate


def _lock_proposed(candidate_id: int) -> ProblemCandidate:
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate_id)
    if candidate.status != CandidateStatus.PROPOSED:
        raise TransitionNotAllowed(
            _("This candidate was %(status)s already.")
            % {"status": candidate.get_status_display().lower()}
        )
    return candidate


@transaction.atomic
def candidate_accept(*, candidate_id: int, actor, title: str = "") -> Problem:
    """Raise the problem the candidate proposes, with its incidents linked (those not linked
    to a problem since), through the problems' service; the problem's description says why
    they were grouped. Raises PermissionDenied, TransitionNotAllowed (decided already),
    ValidationError (no incident left to link)."""
    ensure_can_decide(actor)
    candidate = _lock_proposed(candidate_id)
    ids = list(
        CandidateIncident.objects.filter(candidate=candidate).values_list("incident_id", flat=True)
    )
    free = sorted(set(ids) - selectors.covered_incident_ids(ids))
    if not free:
        raise ValidationError(_("Every incident of this candidate is linked to a problem now."))
    problem = problem_services.problem_create(
        actor=actor,
        incident_ids=free,
        title=(title or candidate.title).strip()[:200],
        description=_candidate_description(candidate),
    )
    candidate.status = CandidateStatus.ACCEPTED
    candidate.problem = problem
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "problem", "decided_by", "decided_at"])
    return problem


def _candidate_description(candidate: ProblemCandidate) -> str:
    reasons = candidate.reasons
    text = _(
        "Proposed from %(incidents)s recurring incidents from %(requesters)s people; "
        "common words: %(words)s."
    ) % {
        "incidents": candidate.incident_count,
        "requesters": candidate.requester_count,
        "words": ", ".join(reasons.get("common_words", [])),
    }
    return f"<p>{escape(text)}</p>"


@transaction.atomic
def candidate_dismiss(*, candidate_id: int, actor, reason: str = "") -> ProblemCandidate:
    """Dismiss the candidate: its fingerprint, and a group mostly made of its incidents, are
    never proposed again. Raises PermissionDenied, TransitionNotAllowed (decided already)."""
    ensure_can_decide(actor)
    candidate = _lock_proposed(candidate_id)
    candidate.status = CandidateStatus.DISMISSED
    candidate.dismiss_reason = plain_text(reason or "")[:2000]
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "dismiss_reason", "decided_by", "decided_at"])
    return candidate
