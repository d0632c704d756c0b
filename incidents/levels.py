"""The administrator's lists that records store codes of: the impact and urgency scales and the
resolution codes. Read from a few rows once and kept in each process (`servicedesk.memo`) until
an edit retires them (the models are watched; `forget_levels` for bulk writes)."""

from django.utils.translation import gettext

from incidents.models import ResolutionCodeOption, ScaleLevel
from servicedesk import memo

SCALE_CACHE_KEY = "incidents:scales:v1"
RESOLUTION_CACHE_KEY = "incidents:resolution-codes:v1"


def scales() -> dict[str, list[tuple[str, str, int]]]:
    """{"impact": [(code, label, rank), ...], "urgency": [...]}, highest first."""
    return memo.reference(SCALE_CACHE_KEY, _load_scales)


def _load_scales() -> dict[str, list[tuple[str, str, int]]]:
    data: dict[str, list[tuple[str, str, int]]] = {"impact": [], "urgency": []}
    for axis, code, label, rank in ScaleLevel.objects.order_by("axis", "rank").values_list(
        "axis", "code", "label", "rank"
    ):
        data[axis].append((code, label, rank))
    return data


def level_codes(axis: str) -> list[str]:
    return [code for code, _label, _rank in scales()[axis]]


def level_choices(axis: str) -> list[tuple[str, str]]:
    """The axis' (code, label) pairs, highest first, labels in the reader's language when the
    label is one of the product's own ("High", "Medium", "Low")."""
    return [(code, gettext(label)) for code, label, _rank in scales()[axis]]


def impact_choices() -> list[tuple[str, str]]:
    return level_choices("impact")


def urgency_choices() -> list[tuple[str, str]]:
    return level_choices("urgency")


def level_label(axis: str, code: str) -> str:
    return dict(level_choices(axis)).get(code, code)


def level_rank(axis: str, code: str) -> int | None:
    return {c: rank for c, _label, rank in scales()[axis]}.get(code)


def middle_level(axis: str) -> str:
    """The default a form offers: the middle of the scale."""
    codes = level_codes(axis)
    return codes[len(codes) // 2] if codes else ""


def resolution_codes() -> list[tuple[str, str, bool]]:
    """(code, label, offered in menus) of the active resolution codes, in order."""
    return memo.reference(
        RESOLUTION_CACHE_KEY,
        lambda: list(
            ResolutionCodeOption.objects.filter(is_active=True).values_list(
                "code", "label", "selectable"
            )
        ),
    )


def resolution_choices(*, menu: bool = True) -> list[tuple[str, str]]:
    """What an agent chooses from (`menu`), or every active code (the API, imports)."""
    return [
        (code, gettext(label))
        for code, label, selectable in resolution_codes()
        if selectable or not menu
    ]


def resolution_menu() -> list[tuple[str, str]]:
    return [("", "---------"), *resolution_choices()]


def resolution_label(code: str) -> str:
    if not code:
        return ""
    labels = {c: label for c, label, _s in resolution_codes()}
    if code in labels:
        return gettext(labels[code])
    label = ResolutionCodeOption.objects.filter(code=code).values_list("label", flat=True).first()
    return gettext(label) if label else code


def forget_levels() -> None:
    memo.retire()  # the callers call it again after their commit
