"""The shape of a step in a list an administrator orders: a title and a place (`order`, then
the id). The catalogue's fulfilment task templates and the checklists' template items and items
inherit it; each model keeps its own parent, extra columns and `Meta.ordering` (parent first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderedItem(models.Model):
    """A titled step at its place in its parent's list (smaller `order` first)."""

    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=10)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title
