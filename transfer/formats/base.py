"""What a format is: data saying which column gives which field, what the source's values
mean, and how its rows make records. A new format is a small module declaring a `Format`
(`servicenow.py` is one); `reader.py` does the reading for all of them.

Our fields (`FIELDS`) are those of any record type; a record type takes those it has.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

# Our field -> how its text is read.
FIELDS: dict[str, str] = {
    "number": "text",
    "sequence": "int",
    "status": "status",
    "title": "text",
    "description": "text",
    "opened_at": "date",
    "updated_at": "date",
    "first_response_at": "date",
    "resolved_at": "date",
    "closed_at": "date",
    "impact": "scale",
    "urgency": "scale",
    "priority": "rank",
    "made_sla": "bool",
    "group": "text",
    "assignee": "text",
    "requester": "text",
    "organisation": "text",
    "category": "text",
    "subcategory": "text",
    "service": "text",
    "channel": "choice",
    "reassignment_count": "int",
    "reopen_count": "int",
    "resolution_code": "text",
    "resolution_notes": "text",
    "comment": "text",
    "work_note": "text",
    "author": "text",
}

TRUE = ("true", "yes", "y", "1", "t")
FALSE = ("false", "no", "n", "0", "f")


@dataclass(frozen=True)
class Format:
    """How one kind of file is read.

    - `columns`: our field -> the file's column;
    - `required`: our fields every row must have (a missing column is an error for the file);
    - `known`: the file's columns nobody reads (anything else is reported as unknown);
    - `null`: the texts that mean "no value" (ServiceNow writes `?`);
    - `date_formats`: strptime formats tried in order, in the job's time zone;
    - `group_by` / `order_by`: rows of one record share `group_by` and are its updates in
      `order_by` order (ServiceNow: `number` and `sys_mod_count`); without them a row is a record;
    - `statuses`: the source's status -> ours, or (ours, pending reason);
    - `values`: per field, the source's value -> ours; for `impact`/`urgency`/`priority` the
      value is a rank (1 = highest) read on the desk's own scale;
    - `kind`: "csv", "jsonl" or "helpdesk" (a django-helpdesk fixture).
    """

    key: str
    label: str
    record_type: str = "incident"
    kind: str = "csv"
    source: str = "import"
    columns: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ("number",)
    known: tuple[str, ...] = ()
    null: tuple[str, ...] = ("",)
    date_formats: tuple[str, ...] = (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S.%f%z",
    )
    group_by: str = ""
    order_by: str = ""
    statuses: Mapping[str, str | tuple[str, str]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str | int]] = field(default_factory=dict)

    def with_mapping(self, *, columns=None, statuses=None, values=None, source="") -> "Format":
        """This format with an administrator's saved choices laid over it (a field mapped to
        no column, "", is not read: the mapping editor says so of every field it does not feed)."""
        laid = {**self.columns, **(columns or {})}
        return Format(
            **{
                **self.__dict__,
                "columns": {name: column for name, column in laid.items() if column},
                "statuses": {**self.statuses, **(statuses or {})},
                "values": {**self.values, **(values or {})},
                "source": source or self.source,
            }
        )
