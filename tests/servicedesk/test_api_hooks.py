"""A record type's viewset that uses a kernel action without defining its hook is told which
hook is missing, by name, instead of failing somewhere inside the action."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from servicedesk.api.views import RecordAttachmentsMixin, RecordConversationMixin
from sla.api.views import DefinitionViewSet


class HalfDoneViewSet(RecordConversationMixin, RecordAttachmentsMixin):
    """Defines none of the hooks."""


@pytest.mark.parametrize(
    ("hook", "args"),
    [
        ("detail_response", (None,)),
        ("write_comment", (None,)),
        ("write_attachment", (None,)),
    ],
)
def test_a_missing_record_hook_is_named(hook, args):
    with pytest.raises(ImproperlyConfigured, match=rf"HalfDoneViewSet must define {hook}\(\)"):
        getattr(HalfDoneViewSet(), hook)(*args)


def test_a_missing_take_hook_is_named():
    with pytest.raises(ImproperlyConfigured, match=r"must define take_record\(\)"):
        HalfDoneViewSet().take_record(None, version=None)


class HalfDoneDefinitions(DefinitionViewSet):
    pass


def test_a_definition_viewset_without_its_services_names_them():
    view = HalfDoneDefinitions()
    with pytest.raises(ImproperlyConfigured, match=r"HalfDoneDefinitions must define create_row"):
        view.create_row(actor=None, fields={})
    with pytest.raises(ImproperlyConfigured, match=r"must define update_row"):
        view.update_row(pk=1, actor=None, changes={}, version=None)
    with pytest.raises(ImproperlyConfigured, match=r"must define delete_row"):
        view.delete_row(pk=1, actor=None)
