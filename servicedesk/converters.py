"""URL converters shared by the apps."""

# Row ids are 64-bit: a longer number cannot name a row, and handed to the database it fails
# (out of range) instead of finding nothing. 18 digits stay below 2**63.
ID_PATTERN = "[0-9]{1,18}"


class IdConverter:
    """`<id:pk>`: a row id, as `<int:...>` but never beyond what the database can hold (a
    longer number is a 404, not a server error)."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
