"""Many ids sent to PostgreSQL as one array parameter.

psycopg2 adapts a Python list element by element into `ARRAY[1, 2, ...]`, which PostgreSQL then
parses as one expression per element: for the 50,000 ids of a wide CMDB walk's level that is
about 0.4 s of adapting and parsing on a loaded machine. The same ids as one array literal
(`'{1,2,...}'`, passed to `%s::bigint[]`) are one string to quote and one constant to read:
about 20 times less.
"""

from collections.abc import Iterable


def id_array(ids: Iterable[int]) -> str:
    """`ids` as a PostgreSQL array literal, for a `%s::bigint[]` parameter."""
    return "{" + ",".join(map(str, ids)) + "}"
