from accounts.models import SupportGroup

SERVICE_DESK_GROUP = "Service Desk"


def service_desk_contact() -> SupportGroup | None:
    """The first-line group end users reach (the single point of contact), if it exists."""
    return SupportGroup.objects.filter(name=SERVICE_DESK_GROUP, is_active=True).first()
