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
