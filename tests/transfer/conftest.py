import pytest

from accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def admin():
    return UserFactory(role=Role.ADMINISTRATOR)
