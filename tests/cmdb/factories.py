"""CMDB test data: classes come from the migration (the standard ones); CIs and relationships
are made through the services so they are validated and audited like real ones."""

from cmdb import services
from cmdb.models import CIClass, ConfigurationItem, Relationship
from servicedesk.actors import system_actor


def ci_class(code: str) -> CIClass:
    """A standard class (seeded by the migration, and again after a test flush)."""
    return CIClass.objects.get(code=code)


def make_ci(
    name: str, code: str = "server", *, criticality: int = 2, **fields
) -> ConfigurationItem:
    return services.ci_create(
        actor=system_actor(), name=name, ci_class=ci_class(code), criticality=criticality, **fields
    )


def relate(source: ConfigurationItem, target: ConfigurationItem, kind: str = "depends_on"):
    return services.relationship_add(actor=system_actor(), source=source, target=target, type=kind)


def bulk_graph(edges: list[tuple[str, str]], code: str = "server") -> dict[str, ConfigurationItem]:
    """CIs named by the edges' ends and a depends_on relationship per (source, target)."""
    names = sorted({name for edge in edges for name in edge})
    cls = ci_class(code)
    ConfigurationItem.objects.bulk_create([ConfigurationItem(name=n, ci_class=cls) for n in names])
    items = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=names)}
    Relationship.objects.bulk_create(
        [Relationship(source=items[s], target=items[t], type="depends_on") for s, t in edges]
    )
    return items
