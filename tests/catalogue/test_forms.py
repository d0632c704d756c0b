"""The order form built from an item's fields: every type, required or optional, and the rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.forms import OrderForm, form_schema
from catalogue.models import FieldType
from cmdb.models import ConfigurationItem
from tests.catalogue.factories import ItemFactory, field
from tests.factories import UserFactory


@pytest.fixture
def item(db):
    item = ItemFactory(name="Everything")
    field(item, "code", FieldType.TEXT, required=True, max_length=8, pattern=r"^[A-Z]{3}-\d+$")
    field(item, "count", FieldType.NUMBER, min_value=1, max_value=5)
    field(item, "size", FieldType.CHOICE, choices="S\nM\nL")
    field(item, "when", FieldType.DATE)
    field(item, "colleague", FieldType.USER)
    field(item, "server", FieldType.CI)
    field(item, "urgent", FieldType.CHECKBOX)
    field(item, "quote", FieldType.ATTACHMENT)
    return item


def test_every_type_is_cleaned_and_stored_with_its_text(item):
    person = UserFactory(email="lena@example.com", full_name="Lena Lead")
    server = ConfigurationItem.objects.create(name="ERP-APP-01")
    quote = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    form = OrderForm(
        item,
        {"code": "ABC-12", "count": "2", "size": "M", "when": "2030-05-01",
         "colleague": "LENA@example.com", "server": server.pk, "urgent": "on"},
        {"quote": quote},
    )  # fmt: skip

    assert form.is_valid(), form.errors
    answers, files = form.answers()

    assert answers["colleague"]["value"] == person.pk
    assert answers["colleague"]["text"] == "Lena Lead"
    assert answers["server"]["text"] == "ERP-APP-01"
    assert answers["count"]["text"] == "2" and answers["urgent"]["value"] is True
    assert answers["when"]["text"] == "2030-05-01"
    assert [name for name, _file in files] == ["quote"]
    assert [a["order"] for a in answers.values()] == list(range(8))


@pytest.mark.parametrize(
    ("data", "wrong"),
    [
        ({}, "code"),
        ({"code": "abc-12"}, "code"),  # the pattern
        ({"code": "ABCD-123456"}, "code"),  # the maximum length
        ({"code": "ABC-1", "count": "6"}, "count"),
        ({"code": "ABC-1", "size": "XL"}, "size"),
        ({"code": "ABC-1", "when": "tomorrow"}, "when"),
        ({"code": "ABC-1", "colleague": "nobody@example.com"}, "colleague"),
        ({"code": "ABC-1", "server": "999999"}, "server"),
    ],
)
def test_each_rule_refuses_beside_its_field(item, data, wrong):
    form = OrderForm(item, data)
    assert not form.is_valid()
    assert wrong in form.errors


def test_an_executable_attachment_is_refused(item):
    bad = SimpleUploadedFile(
        "setup.exe", b"MZ\x90\x00rest", content_type="application/octet-stream"
    )
    form = OrderForm(item, {"code": "ABC-1"}, {"quote": bad})
    assert not form.is_valid() and "quote" in form.errors


def test_the_schema_lists_the_fields_with_their_rules(item):
    schema = {entry["name"]: entry for entry in form_schema(item)}
    assert schema["code"]["pattern"] == r"^[A-Z]{3}-\d+$" and schema["code"]["required"]
    assert schema["size"]["choices"] == ["S", "M", "L"]
    assert (schema["count"]["min"], schema["count"]["max"]) == ("1.00", "5.00")
