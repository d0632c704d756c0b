"""Why a sign-in through a provider or the directory is refused, in words for the person."""

from django.utils.translation import gettext_lazy as _


class SignInRefused(Exception):
    """A single sign-on or directory sign-in that must not go on. Nothing has been written when
    it is raised; the sign-in page shows `message`."""

    default_message = _("Signing in with your organisation's account did not work. Try again.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


NO_EMAIL = _(
    "Your organisation's account has no e-mail address, and the service desk needs one. "
    "Ask your IT department to add it, then try again."
)
NOT_MAPPED = _(
    "Your organisation's account is in no group that may use the service desk. "
    "Ask your IT department or the service desk for access."
)
INACTIVE = _("This account is switched off. Ask your service desk to switch it on.")
PROVIDER_DOWN = _(
    "%(provider)s did not answer. Try again in a few minutes, or sign in with your password."
)
TOKEN_REJECTED = _(
    "%(provider)s sent an answer this service desk cannot trust (its signature, audience or "
    "validity time is wrong, or the clocks of the two servers disagree). Nobody was signed in. "
    "If it happens again, tell your IT department."
)
CANCELLED = _("Signing in with %(provider)s was cancelled.")
FAILED = _("Signing in with %(provider)s did not work. Try again, or ask your IT department.")
DIRECTORY_DOWN = _(
    "The directory did not answer, so your password could not be checked. Try again in a few "
    "minutes."
)
