"""Input found by fuzzing the API (schemathesis) that used to give a 500: ids longer than a
64-bit row id in a URL, and a JSON body that is not an object."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role

pytestmark = pytest.mark.django_db

TOO_LONG = "192232850522094338048"  # 21 digits: beyond any bigint


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/cmdb/impact-proposals/{TOO_LONG}/",
        f"/api/v1/cmdb/cis/{TOO_LONG}/",
        f"/api/v1/sla/calendars/{TOO_LONG}/",
        f"/api/v1/catalogue/services/{TOO_LONG}/",
        f"/cmdb/{TOO_LONG}/",
        f"/portal/catalogue/{TOO_LONG}/",
    ],
)
def test_an_id_too_long_for_the_database_is_a_404(client, make_user, url):
    client.force_login(make_user(Role.ADMINISTRATOR))

    assert client.get(url).status_code == 404
    assert client.get(url.replace(TOO_LONG, "999999")).status_code == 404  # still routed


def test_an_order_that_is_not_an_object_is_refused_with_a_message(make_user):
    api = APIClient()
    api.force_authenticate(make_user(Role.END_USER))

    response = api.post("/api/v1/requests/", [None, None], format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == ["Send the order as an object."]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cmdb/relationships/?target=2.79e-168&source=-1.7976931348623157e%2B308",
        "/api/v1/cmdb/relationships/?ci=" + TOO_LONG,
        "/api/v1/sla/timers/?object_id=1e300",
    ],
)
def test_an_id_filter_that_is_not_a_row_id_is_a_field_error(make_user, url):
    api = APIClient()
    api.force_authenticate(make_user(Role.ADMINISTRATOR))

    response = api.get(url)

    assert response.status_code == 400
    assert response.json()["errors"]


# --- NUL characters: refused in one place, naming the field ---------------------------------------


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_nul_in_the_catalogue_search_is_a_field_error(make_user):
    response = api_as(make_user(Role.END_USER)).get("/api/v1/catalogue/services/", {"q": "vp\x00n"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some fields need attention.",
        "errors": {"q": ["Null characters are not allowed."]},
    }


def test_a_nul_in_the_portal_search_is_a_clear_page(client, make_user):
    client.force_login(make_user(Role.END_USER))

    response = client.get("/portal/search/", {"q": "vp\x00n"})

    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "“q”" in page and "Null characters are not allowed." in page
    assert 'href="/"' in page  # the site's layout, with the way home


def test_a_nul_in_a_request_forms_answers_is_a_field_error(make_user):
    from tests.catalogue.factories import laptop_setup

    world = laptop_setup()
    response = api_as(world.requester).post(
        "/api/v1/requests/",
        {"item": world.item.pk, "answers": {"model": "14-inch\x00", "needed_by": "2030-01-02"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"answers.model": ["Null characters are not allowed."]}
    assert not world.item.requests.exists()


def test_a_nul_in_a_portal_order_form_is_refused_before_the_view(client):
    from tests.catalogue.factories import laptop_setup

    world = laptop_setup()
    client.force_login(world.requester)

    response = client.post(
        f"/portal/order/{world.item.pk}/", {"model": "14-inch", "needed_by": "2030-01-02\x00"}
    )

    assert response.status_code == 400
    assert "“needed_by”" in response.content.decode()
    assert not world.item.requests.exists()


@pytest.mark.parametrize(
    ("attributes", "field"),
    [({"engine": "Ora\x00cle"}, "attributes.engine"), ({"eng\x00ine": "Oracle"}, "attributes.eng")],
)
def test_a_nul_in_a_cis_attributes_is_a_field_error(make_user, attributes, field):
    from tests.cmdb.factories import make_ci

    ci = make_ci("DB-1", "database", attributes={"engine": "Oracle"})
    api = api_as(make_user(Role.ADMINISTRATOR))

    response = api.patch(f"/api/v1/cmdb/cis/{ci.pk}/", {"attributes": attributes}, format="json")

    assert response.status_code == 400
    (name,) = response.json()["errors"]
    assert name.startswith(field)
    ci.refresh_from_db()
    assert ci.attributes == {"engine": "Oracle"}


def test_a_nul_in_a_form_encoded_api_body_is_a_field_error(make_user):
    response = api_as(make_user(Role.END_USER)).post(
        "/api/v1/incidents/", {"title": "Printer\x00", "impact": "low", "urgency": "low"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"title": ["Null characters are not allowed."]}


# --- Bodies too deep or too large -----------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400_not_a_crash(make_user):
    body = "[" * 100_000 + "]" * 100_000

    response = api_as(make_user(Role.END_USER)).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON is nested more than 64 levels deep.",
        "errors": {},
    }


def test_json_within_the_depth_limit_is_read(make_user):
    def nested(levels):
        value = {}
        for _level in range(levels - 1):
            value = {"x": value}
        return value

    api = api_as(make_user(Role.END_USER))
    fields = {"title": "Printer jams", "impact": "low", "urgency": "low"}

    too_deep = api.post("/api/v1/incidents/", {**fields, "extra": nested(70)}, format="json")
    read = api.post("/api/v1/incidents/", {**fields, "extra": nested(60)}, format="json")

    assert too_deep.status_code == 400
    assert too_deep.json()["detail"] == "The JSON is nested more than 64 levels deep."
    # Read whole: the endpoint names the field it does not take.
    assert read.status_code == 400 and list(read.json()["errors"]) == ["extra"]


def test_a_body_over_the_limit_is_a_413_in_the_api_shape(make_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = api_as(make_user(Role.END_USER))

    response = api.post(
        "/api/v1/incidents/",
        {"title": "x" * 2000, "impact": "low", "urgency": "low"},
        format="json",
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large.", "errors": {}}


def test_the_json_parser_counts_the_bytes_it_reads_when_no_length_is_sent(settings):
    import io

    from servicedesk.api.parsers import JSONParser, RequestTooLarge

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    with pytest.raises(RequestTooLarge):
        JSONParser().parse(io.BytesIO(b'{"title": "far too long"}'))
    assert JSONParser().parse(io.BytesIO(b'{"a": 1}')) == {"a": 1}


# --- JSON answers everywhere under /api/ ----------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here/", "/api/v2/incidents/", "/api/v1/incidents/%C2%84/"]
)
def test_an_unknown_api_url_is_a_json_404(make_user, url):
    response = api_as(make_user(Role.AGENT)).get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_an_unknown_page_is_still_the_sites_404_page(client, make_user):
    client.force_login(make_user(Role.AGENT))

    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("header", [None, "Token not-a-token", "Bearer abc"])
def test_a_bad_or_missing_token_is_a_401_that_says_how_to_sign_in(db, header):
    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/v1/incidents/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail", "errors"}


def test_a_browser_session_still_works_without_a_token(client, make_user):
    client.force_login(make_user(Role.AGENT))

    assert client.get("/api/v1/incidents/").status_code == 200


# --- Unknown query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/api/v1/sla/timers/?record_id=5", "record_id"),
        ("/api/v1/incidents/?stauts=new", "stauts"),
        ("/api/v1/catalogue/services/?query=vpn", "query"),
        ("/api/v1/requests/?page=2", "page"),
    ],
)
def test_an_unknown_query_parameter_is_refused_by_name(make_user, url, unknown):
    response = api_as(make_user(Role.ADMINISTRATOR)).get(url)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [unknown]
    assert errors[unknown][0].startswith("Unknown query parameter.")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sla/timers/?object_id=5&record_type=incident&state=running",
        "/api/v1/incidents/?status=new&ordering=-priority&page_size=10&format=json",
        "/api/v1/incidents/?created_after=2025-01-01T00:00:00Z&q=printer",
        "/api/v1/catalogue/services/?q=vpn",
        "/api/v1/catalogue/items/?service=1",
        "/api/v1/tasks/?queue=all",
        "/api/v1/approvals/?all=true",
    ],
)
def test_the_parameters_a_list_reads_are_accepted(make_user, url):
    assert api_as(make_user(Role.ADMINISTRATOR)).get(url).status_code == 200


def test_approvals_all_must_be_a_boolean(make_user):
    response = api_as(make_user(Role.END_USER)).get("/api/v1/approvals/", {"all": "null"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["all"]


# --- Found by schemathesis ------------------------------------------------------------------------


def test_a_calendar_patch_with_a_partial_row_is_a_field_error(make_user):
    from sla.models import Calendar

    calendar = Calendar.objects.create(name="Office", time_zone="UTC")
    api = api_as(make_user(Role.ADMINISTRATOR))

    response = api.patch(
        f"/api/v1/sla/calendars/{calendar.pk}/",
        {"hours": [{"weekday": 0, "start": "09:00"}]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["hours"]
    assert not calendar.hours.exists()


@pytest.mark.parametrize("value", ["²", "null", "0", TOO_LONG])
def test_a_catalogue_item_filter_that_is_not_a_service_id_is_a_field_error(make_user, value):
    response = api_as(make_user(Role.END_USER)).get("/api/v1/catalogue/items/", {"service": value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["service"]


@pytest.mark.parametrize(
    "url", ["/api/v1/sla/timers/?cursor=if", "/api/v1/cmdb/relationships/?cursor=__main__"]
)
def test_a_bad_cursor_is_a_field_error_not_a_404(make_user, url):
    response = api_as(make_user(Role.ADMINISTRATOR)).get(url)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_multipart_body_without_a_boundary_is_a_400_in_the_api_shape(make_user):
    response = api_as(make_user(Role.END_USER)).generic(
        "POST", "/api/v1/incidents/", b"title=x", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request could not be read.", "errors": {}}


def test_the_schema_declares_the_errors_every_operation_can_give(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert operations
    for path, method, operation in operations:
        codes = set(operation["responses"])
        if path != "/api/v1/auth/token/":
            assert "401" in codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
        if method in ("post", "put", "patch"):
            assert {"400", "413"} <= codes, (path, method)
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"200", "400", "413", "429"} <= set(token)
    detail = schema["components"]["schemas"]["IncidentDetail"]["properties"]["pending_reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in detail["oneOf"]
