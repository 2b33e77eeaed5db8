"""Scheduled layouts: a publish dated after today waits as a revision with no applied_at
(layouts.layout_commit records it and keeps the live layout as it is); on its date a worker makes
it the live layout, and until then its author (or anyone who may edit the community) may cancel it.

- Taking effect: the periodic task `layouts_take_effect` (layers/jobs.py, every minute on the
  procrastinate worker `make run` starts; `manage.py layouts_take_effect` does the same by hand)
  calls layouts_due_apply(today). Each due revision is applied in its own transaction under the
  community's lock: the moves that make the live layout equal the revision's assignment
  (layout_history.revision_restore_plan, which also places parcels cut since), the rules
  checked as at publish (the band accepted when the publish gave a reason), then applied_at is
  set. Grid polygons, totals and the tile cache follow from the parcels by the triggers, so the
  map, tiles, lookup, analyses and exports switch at once. No new revision number: the revision
  the planner published is the one that takes effect.
- If the rules fail on the day (buildings imported since, a boundary changed), nothing changes,
  the reason is kept in apply_error (the versions list shows "failed to take effect") and later
  runs try again; the planner cancels it and publishes anew.
- "Today" is the local date (settings.TIME_ZONE): a layout dated 2027-06-01 goes live in the
  first minute of that day in Asia/Shanghai, as the people it governs count days.
"""

import datetime
import logging

import pghistory
from django.db import transaction
from django.utils import timezone

from geo.errors import BadRequest, Conflict, DomainError, NotFound, RuleViolation
from layers.models import LayoutRevision
from layers.permissions import is_signed_in, is_system
from layers.rules import boundary_violations
from layers.services.layout_apply import layout_apply
from layers.services.layout_history import revision_restore_plan
from layers.services.layouts import BAND_RULE, community_locked, layout_authorise

log = logging.getLogger(__name__)


def revisions_due(*, today: datetime.date) -> list[LayoutRevision]:
    """Pending revisions whose date has come, oldest date first."""
    return list(
        LayoutRevision.objects.filter(
            applied_at=None, cancelled_at=None, effective_date__lte=today
        ).order_by("effective_date", "number")
    )


def layouts_due_apply(*, today: datetime.date | None = None) -> dict[str, int]:
    """Make every revision due by `today` (default: the local date) the live layout of its
    community; {"applied": n, "failed": m}. Safe to run at any time and from several workers at
    once: each revision is applied under its community's lock, once."""
    today = today or timezone.localdate()
    counts = {"applied": 0, "failed": 0}
    for revision in revisions_due(today=today):
        try:
            if revision_take_effect(revision_id=revision.pk, today=today):
                counts["applied"] += 1
        except DomainError as exc:
            counts["failed"] += 1
            _failure_record(revision.pk, exc.message)
            log.warning(
                "layout %s r%s could not take effect: %s",
                revision.community_id,
                revision.number,
                exc.message,
            )
        except Exception:  # one broken revision must not keep the others from their date
            counts["failed"] += 1
            log.exception("layout revision %s could not take effect", revision.pk)
            _failure_record(revision.pk, "internal error: see the worker's log")
    return counts


def revision_take_effect(*, revision_id: int, today: datetime.date) -> bool:
    """Apply one due revision (module docstring); False when someone else already did, or it
    was cancelled meanwhile. Raises the RuleViolation that keeps it from taking effect."""
    with transaction.atomic():
        code = LayoutRevision.objects.filter(pk=revision_id).values_list(
            "community__code", flat=True
        )[0]
        community = community_locked(code)
        revision = LayoutRevision.objects.select_related("community").get(pk=revision_id)
        if revision.applied_at or revision.cancelled_at or revision.effective_date > today:
            return False
        moves, new_units = revision_restore_plan(revision)
        context = {
            "action": "layout_take_effect",
            "community": community.code,
            "layout_revision": revision.number,
            "effective_date": revision.effective_date.isoformat(),
            "author": getattr(revision.author, "username", None),
        }
        with pghistory.context(**context):
            if moves:
                layout_apply(community=community, moves=moves, new_units=new_units, restore=True)
            found = boundary_violations(scope=community.code)
            blocking = [v for v in found if v.rule != BAND_RULE or not revision.reason.strip()]
            if blocking:
                listed = "; ".join(v.message for v in blocking[:3])
                raise RuleViolation(
                    f"{len(blocking)} rule violation(s) on {today.isoformat()}: {listed}",
                    violations=[v.as_dict() for v in blocking],
                )
            revision.applied_at = timezone.now()
            revision.apply_error = ""
            revision.save(update_fields=["applied_at", "apply_error"])
    log.info("layout %s r%s took effect", community.code, revision.number)
    return True


def _failure_record(revision_id: int, message: str) -> None:
    LayoutRevision.objects.filter(pk=revision_id, applied_at=None).update(apply_error=message)


def revision_cancel(*, community_code: str, number: int, user) -> LayoutRevision:
    """Withdraw a scheduled (or failed) publish before it takes effect. Who may publish to the
    community may cancel; the revision stays in the list as cancelled, its number is not
    reused, and as-of lookups ignore it."""
    with transaction.atomic():
        community = community_locked(community_code)
        layout_authorise(user=user, community=community)
        revision = community.revisions.filter(number=number).first()
        if revision is None:
            raise NotFound(f"community {community_code} has no revision {number}")
        if revision.state == LayoutRevision.State.CANCELLED:
            raise Conflict(f"revision {number} is already cancelled", state=revision.state)
        if revision.state == LayoutRevision.State.IN_EFFECT:
            raise BadRequest(
                f"revision {number} is already in effect: publish a change, or revert to an "
                "earlier revision, instead of cancelling it"
            )
        revision.cancelled_at = timezone.now()
        revision.cancelled_by = user if is_signed_in(user) and not is_system(user) else None
        revision.save(update_fields=["cancelled_at", "cancelled_by"])
    return revision
