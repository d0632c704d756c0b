"""The structured root-cause analysis of a problem: pure checks of its method's notes.

`rca_data` holds one entry per method the analyst used:
- "five_whys": five ordered answers (strings; the later ones may stay empty);
- "fishbone": {category: notes} over FISHBONE_CATEGORIES;
- "timeline": [{"at": "YYYY-MM-DDTHH:MM", "event": text}], kept in time order.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from problems.choices import FISHBONE_CATEGORIES, FIVE_WHYS

MAX_TEXT = 2000
MAX_TIMELINE_ROWS = 100


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({"rca_data": [_("%(what)s must be text.") % {"what": what}]})
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(
            {"rca_data": [_("%(what)s is too long (at most %(max)d characters).")
                          % {"what": what, "max": MAX_TEXT}]}
        )  # fmt: skip
    return value


def rca_clean(data: Any) -> dict[str, Any]:
    """The analysis notes checked and normalised; ValidationError on `rca_data` otherwise."""
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        raise ValidationError({"rca_data": [_("The analysis must be an object.")]})
    unknown = set(data) - {"five_whys", "fishbone", "timeline"}
    if unknown:
        raise ValidationError(
            {"rca_data": [_("Unknown analysis parts: %s") % ", ".join(sorted(unknown))]}
        )
    clean: dict[str, Any] = {}
    if "five_whys" in data:
        whys = data["five_whys"] or []
        if not isinstance(whys, list) or len(whys) > FIVE_WHYS:
            raise ValidationError({"rca_data": [_("Give at most five answers to “why?”.")]})
        answers = [_text(answer, _("Why %(n)d") % {"n": n}) for n, answer in enumerate(whys, 1)]
        answers += [""] * (FIVE_WHYS - len(answers))
        # Ordered: each answer explains the one before, so no gap before a given answer.
        last = max((i for i, answer in enumerate(answers) if answer), default=-1)
        if any(not answer for answer in answers[: last + 1]):
            raise ValidationError({"rca_data": [_("Answer the whys in order, without gaps.")]})
        clean["five_whys"] = answers
    if "fishbone" in data:
        bones = data["fishbone"] or {}
        if not isinstance(bones, dict) or set(bones) - set(FISHBONE_CATEGORIES):
            raise ValidationError(
                {"rca_data": [_("Fishbone categories are: %s") % ", ".join(FISHBONE_CATEGORIES)]}
            )
        clean["fishbone"] = {
            key: _text(bones.get(key), str(label))
            for key, label in FISHBONE_CATEGORIES.items()
            if bones.get(key)
        }
    if "timeline" in data:
        clean["timeline"] = _timeline(data["timeline"] or [])
    return clean


def _timeline(rows: Any) -> list[dict[str, str]]:
    if not isinstance(rows, list) or len(rows) > MAX_TIMELINE_ROWS:
        raise ValidationError(
            {"rca_data": [_("The timeline is a list of at most %d rows.") % MAX_TIMELINE_ROWS]}
        )
    clean = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValidationError({"rca_data": [_("Each timeline row has a time and an event.")]})
        event = _text(row.get("event"), _("An event"))
        at = row.get("at") or ""
        if not event and not at:
            continue
        try:
            when = datetime.fromisoformat(str(at))
        except ValueError:
            raise ValidationError(
                {"rca_data": [_("“%(at)s” is not a time (YYYY-MM-DD HH:MM).") % {"at": at}]}
            ) from None
        if not event:
            raise ValidationError({"rca_data": [_("Say what happened at %(at)s.") % {"at": at}]})
        clean.append({"at": when.isoformat(timespec="minutes"), "event": event})
    return sorted(clean, key=lambda row: row["at"])
