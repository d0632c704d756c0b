"""The OpenAPI schema is built once per release, language and format, then served from the cache."""

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator

from servicedesk.api.schema_view import source_digest


@pytest.fixture
def builds(monkeypatch):
    """How many times drf-spectacular built the schema."""
    calls = []
    build = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return build(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    cache.clear()
    return calls


@pytest.mark.django_db
def test_the_schema_is_built_once_then_served_from_the_cache(client, builds):
    first = client.get("/api/schema/", {"format": "json"})
    again = client.get("/api/schema/", {"format": "json"})

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "/api/v1/incidents/" in first.json()["paths"]
    assert len(builds) == 1


@pytest.mark.django_db
def test_each_format_and_language_has_its_own_copy(client, builds):
    json_schema = client.get("/api/schema/", {"format": "json"})
    yaml_schema = client.get("/api/schema/")
    persian = client.get("/api/schema/", {"format": "json", "lang": "fa"})
    client.get("/api/schema/", {"format": "json", "lang": "fa"})

    assert json_schema["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert yaml_schema["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml_schema.content.startswith(b"openapi:")
    assert persian.json()["paths"].keys() == json_schema.json()["paths"].keys()
    assert len(builds) == 3


def test_the_digest_changes_with_the_source(tmp_path):
    (tmp_path / "app").mkdir()
    module = tmp_path / "app" / "views.py"
    module.write_text("ANSWER = 1\n")
    (tmp_path / "tests").mkdir()
    before = source_digest(tmp_path)

    (tmp_path / "tests" / "test_it.py").write_text("assert True\n")
    assert source_digest(tmp_path) == before  # tests are not the release

    module.write_text("ANSWER = 2\n")
    assert source_digest(tmp_path) != before
