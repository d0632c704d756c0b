"""The application's one error family. Services raise these; the UI and the API render them."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A request the domain refuses. `errors` maps field names to messages where a field is at fault."""

    status_code = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, errors: dict[str, list[str]] | None = None):
        self.message = message or self.default_message
        self.errors = errors or {}
        super().__init__(str(self.message))


class TransitionNotAllowed(ApplicationError):
    """The workflow does not allow this status change, or one of its guards refused it."""

    status_code = 409
    default_message = _("This status change is not allowed.")


class StaleVersion(ApplicationError):
    """Somebody else saved the record after the version the caller was editing."""

    status_code = 409
    default_message = _(
        "Somebody else changed this record while you were editing it. "
        "Reload it to see their changes, then try again."
    )


class AlreadyExists(ApplicationError):
    """What the request would create is there already (a second identical link)."""

    status_code = 409
    default_message = _("This already exists.")
