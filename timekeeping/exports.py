"""The time columns of every record type's CSV / XLSX export (transfer.exports.EXTRA_COLUMNS):
total and billable hours per record, one grouped query per chunk of records."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from timekeeping.formatting import hours
from timekeeping.selectors import record_minutes_for


class TimeColumns:
    def headers(self, record_type) -> list:
        return [_("Time spent (hours)"), _("Billable time (hours)")]

    def values(self, record_type, ids: list[int]) -> dict[int, tuple]:
        type_id = ContentType.objects.get_for_model(apps.get_model(record_type.model)).pk
        found = record_minutes_for([(type_id, pk) for pk in ids])
        return {
            pk: tuple(hours(minutes) for minutes in found.get((type_id, pk), (0, 0))) for pk in ids
        }


COLUMNS = TimeColumns()
