"""The README tells a newcomer what `make run` prints: every demo login is in its login table."""

import io
import re
from pathlib import Path

from servicedesk.management.commands.load_demo import Command

README = Path(__file__).resolve().parents[2] / "README.md"


def printed_logins() -> list[tuple[str, str]]:
    """(role, e-mail) of each login load_demo prints, in its order."""
    out = io.StringIO()
    Command(stdout=out)._print_logins()
    return re.findall(r"^  (\S.*?)\s{2,}(\S+@\S+)\s+\S+$", out.getvalue(), re.M)


def test_every_login_load_demo_prints_is_in_the_readme_table():
    rows = dict(
        re.findall(r"^\| `(\S+@\S+)` \| ([^|]+?) (?:\([^)]*\) )?\|", README.read_text(), re.M)
    )
    logins = printed_logins()
    assert len(logins) >= 9
    for role, email in logins:
        assert email in rows, f"{email} ({role}) is missing from the README's login table"
        assert rows[email] == role
