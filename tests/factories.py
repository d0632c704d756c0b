"""Shared factories for people and teams."""

import factory
from django.contrib.auth.models import Group

from accounts.models import Department, Organisation, SupportGroup, User

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Organisation {n}")
    code = factory.Sequence(lambda n: f"org-{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup

    name = factory.Sequence(lambda n: f"Team {n}")
