"""Durations as people read them ("1 h 30 min"), in the reader's language."""

from django.utils.translation import gettext as _


def duration(minutes: int | None) -> str:
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


def hours(minutes: int | None) -> str:
    """Minutes as decimal hours for files ("1.50")."""
    return f"{int(minutes or 0) / 60:.2f}"
