from django.apps import AppConfig


class KernelTestsConfig(AppConfig):
    """A concrete record type used only by the tests of the shared kernel."""

    name = "tests.kernel"
    label = "kernel_tests"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from servicedesk.registry import (
            ApprovalHooks,
            DashboardSource,
            PortalPages,
            RecordType,
            register,
        )

        register(
            RecordType(
                key="ticket",
                model="kernel_tests.Ticket",
                label=_("Tickets"),
                name=_("Ticket"),
                visible_to="tests.kernel.models.tickets_visible_to",
                detail_url_name="admin:index",
                sla_metrics=("first_response", "resolution"),
                dashboard=DashboardSource(),
                # Listed in the portal's "my records" with its generic page; agents read tickets.
                portal=PortalPages(),
                permissions={"agent": ("kernel_tests.view_ticket",)},
                approvals=ApprovalHooks(
                    decided="tests.kernel.models.ticket_approval_decided",
                    service_field="service",
                ),
                work_permission="kernel_tests.work_ticket",
            )
        )
