"""The configuration item lifecycle as data: planned >> in build >> live (>> maintenance) >>
retired. A retired CI may be brought back only to planned."""

from cmdb.choices import LifecycleStatus as L
from servicedesk.workflow import Workflow

CI_WORKFLOW = Workflow(
    initial=L.PLANNED,
    transitions={
        L.PLANNED: [L.IN_BUILD, L.LIVE, L.RETIRED],
        L.IN_BUILD: [L.PLANNED, L.LIVE, L.RETIRED],
        L.LIVE: [L.MAINTENANCE, L.RETIRED],
        L.MAINTENANCE: [L.LIVE, L.RETIRED],
        L.RETIRED: [L.PLANNED],
    },
    labels=dict(L.choices),
)
