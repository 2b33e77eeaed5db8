"""python manage.py layouts_take_effect [--date YYYY-MM-DD] [--list]: make the scheduled layouts
whose date has come the live layout now (layers/services/layout_schedule.py). The worker does the
same every minute; this is for a machine with no worker running, and for looking at what waits."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geo.errors import BadRequest
from geo.params import date_parse
from layers.models import LayoutRevision
from layers.services.layout_schedule import layouts_due_apply


class Command(BaseCommand):
    help = (
        "Apply every scheduled layout publish whose effective date is today or earlier (local "
        "time) and print how many took effect and how many could not (the reason is kept on the "
        "revision and shown in the editor's versions list). --list only prints what is pending."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="apply what is due on this date instead of today (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--list",
            dest="list_only",
            action="store_true",
            help="list the pending publishes, apply nothing",
        )

    def handle(self, *args, date, list_only, **opts):
        try:
            today = date_parse(date, name="--date") if date else timezone.localdate()
        except BadRequest as exc:
            raise CommandError(exc.message) from None
        if list_only:
            pending = LayoutRevision.objects.filter(applied_at=None, cancelled_at=None)
            for r in pending.select_related("community").order_by("effective_date", "number"):
                due = "due" if r.effective_date <= today else "waits"
                error = f" — failed: {r.apply_error}" if r.apply_error else ""
                self.stdout.write(
                    f"{r.community.code} r{r.number} {r.effective_date} ({due}){error}"
                )
            return
        counts = layouts_due_apply(today=today)
        self.stdout.write(
            f"{today}: {counts['applied']} layout(s) took effect, {counts['failed']} could not"
        )
        if counts["failed"]:
            raise CommandError("some layouts could not take effect: see --list for why")
