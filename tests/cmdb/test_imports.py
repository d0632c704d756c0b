"""CSV import: a dry run lists each row's errors and saves nothing; an import saves all or
nothing; export gives back what import takes."""

import io

import pytest
from django.core.exceptions import PermissionDenied

from accounts.roles import Role
from cmdb.imports import export_rows, run_import
from cmdb.models import ConfigurationItem, Relationship
from tests.cmdb.factories import ci_class, make_ci

pytestmark = pytest.mark.django_db

GOOD = """name,class,status,criticality,environment,attr.engine,attr.size_gb
DB-ORDERS,database,live,critical,production,PostgreSQL,120
DB-HR,Database,in build,2,test,MySQL,
"""

BAD = """name,class,status,criticality,attr.engine,attr.size_gb,attr.colour
DB-OK,database,live,3,Oracle,10,
DB-1,gadget,live,3,Oracle,10,
DB-2,database,sleeping,3,Oracle,lots,
DB-3,database,live,3,Oracle,,green
"""


@pytest.fixture
def manager(make_user):
    return make_user(Role.CONFIGURATION_MANAGER)


def csv_file(text):
    return io.BytesIO(text.encode())


def test_a_dry_run_of_a_good_file_saves_nothing(manager):
    report = run_import(actor=manager, file=csv_file(GOOD), kind="cis", dry_run=True)
    assert report.ok and report.rows == 2 and report.created == 2 and not report.saved
    assert not ConfigurationItem.objects.filter(name__startswith="DB-").exists()


def test_an_import_saves_every_row_and_updates_by_name(manager):
    report = run_import(actor=manager, file=csv_file(GOOD), kind="cis", dry_run=False)
    assert report.saved and report.created == 2
    hr = ConfigurationItem.objects.get(name="DB-HR")
    assert (hr.status, hr.criticality, hr.environment) == ("in_build", 2, "test")
    assert ConfigurationItem.objects.get(name="DB-ORDERS").attributes == {
        "engine": "PostgreSQL", "size_gb": 120
    }  # fmt: skip
    again = run_import(actor=manager, file=csv_file(GOOD), kind="cis", dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_each_bad_row_is_listed_with_its_errors_and_nothing_is_saved(manager):
    report = run_import(actor=manager, file=csv_file(BAD), kind="cis", dry_run=False)
    assert not report.saved
    errors = dict(report.errors)
    assert set(errors) == {3, 4, 5}  # line 2 (DB-OK) is fine
    assert any("Unknown class “gadget”" in e for e in errors[3])
    assert any("Unknown lifecycle status “sleeping”" in e for e in errors[4])
    assert any("size_gb: Enter a number." in e for e in errors[4])
    assert any("no attribute “colour”" in e for e in errors[5])
    assert not ConfigurationItem.objects.filter(name="DB-OK").exists()


def test_relationships_import_names_missing_targets(manager):
    make_ci("APP-1", "application")
    make_ci("VM-1", "virtual_machine")
    text = "source,type,target\nAPP-1,runs on,VM-1\nAPP-1,depends_on,DB-404\nAPP-1,loves,VM-1\n"
    report = run_import(actor=manager, file=csv_file(text), kind="relationships", dry_run=False)
    errors = dict(report.errors)
    assert set(errors) == {3, 4}
    assert errors[3] == ["No configuration item “DB-404” (target)."]
    assert errors[4] == ["Unknown relationship type “loves”."]
    assert not Relationship.objects.exists()
    ok = run_import(actor=manager, file=csv_file(text.rsplit("\n", 3)[0] + "\n"),
                    kind="relationships", dry_run=False)  # fmt: skip
    assert ok.saved and Relationship.objects.get().type == "runs_on"


def test_agents_may_not_import(agent):
    with pytest.raises(PermissionDenied):
        run_import(actor=agent, file=csv_file(GOOD), kind="cis", dry_run=True)


def test_export_round_trips_through_import(manager):
    run_import(actor=manager, file=csv_file(GOOD), kind="cis", dry_run=False)
    rows = list(export_rows(ci_class=ci_class("database")))
    assert rows[0][:2] == ["name", "class"] and "attr.engine" in rows[0]
    text = io.StringIO()
    import csv

    csv.writer(text).writerows(rows)
    report = run_import(actor=manager, file=csv_file(text.getvalue()), kind="cis", dry_run=True)
    assert report.ok and report.unchanged == 2
