"""Input no field may hold, found in one place: NUL characters and JSON nested too deep.

PostgreSQL cannot store a NUL character in text or jsonb (SQLite can, so tests on SQLite alone
never saw it), and Python's JSON decoder recurses once per nesting level. The middleware
(`servicedesk.middleware.BadInputMiddleware`: query strings and form fields of every page and API
call) and the API's parsers (`servicedesk.api.parsers`: JSON strings and keys) both ask
`nul_field` and `too_deep`, and answer 400 naming the field.
"""

from django.utils.translation import gettext_lazy as _

NUL = "\x00"
MAX_JSON_DEPTH = 64

NUL_MESSAGE = _("Null characters are not allowed.")
TOO_DEEP_MESSAGE = _("The JSON is nested more than %(depth)s levels deep.")


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def nul_field(value, path: str = "") -> str | None:
    """The dotted path of the first string or key holding a NUL character, or None.

    A NUL in the body itself (a bare string) is named `non_field_errors`. Depth is bounded by the
    caller (`too_deep` first), so the recursion is too."""
    if isinstance(value, str):
        return (path or "non_field_errors") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = _join(path, key)
            if NUL in str(key):
                return where
            found = nul_field(item, where)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_field(item, _join(path, index))
            if found:
                return found
    return None


def nul_in_querydict(data) -> str | None:
    """The first key of a QueryDict (query string, form fields) whose name or a value has a NUL."""
    for key, values in data.lists():
        if NUL in key or any(NUL in str(value) for value in values):
            return key
    return None


def too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when lists and objects nest deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
