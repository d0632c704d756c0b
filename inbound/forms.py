"""The mailbox form of the admin: the secret is write-only (never shown again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inbound.choices import AfterRead, Protocol
from inbound.models import Mailbox
from servicedesk import registry


def record_type_choices():
    """The record types a channel may open for a requester (the registry's `channel_create`):
    incidents and service requests; problems and changes are raised by staff only."""
    return [(t.key, t.name) for t in registry.channel_types()]


class MailboxForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("Password or OAuth2 token"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current one."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    record_type = forms.ChoiceField(label=_("New mail becomes"), choices=record_type_choices)

    class Meta:
        model = Mailbox
        fields = [
            "name", "is_active", "protocol", "host", "port", "security", "auth_method",
            "username", "folder", "maildir_path", "after_read", "move_to",
            "poll_interval_seconds", "max_message_bytes", "record_type", "request_item",
            "support_group", "category", "service", "impact", "urgency", "reply_address",
            "unknown_senders", "staff_note_marker", "sender_hourly_limit",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        protocol = data.get("protocol")
        if protocol in (Protocol.IMAP, Protocol.POP3) and not data.get("host"):
            self.add_error("host", _("Give the server's host name."))
        if protocol in (Protocol.IMAP, Protocol.POP3) and not data.get("username"):
            self.add_error("username", _("Give the user name to sign in with."))
        if protocol == Protocol.MAILDIR and not data.get("maildir_path"):
            self.add_error("maildir_path", _("Give the Maildir's path."))
        if data.get("after_read") == AfterRead.MOVE and not data.get("move_to"):
            self.add_error("move_to", _("Name the folder read mail is moved to."))
        if data.get("record_type") == "request" and not data.get("request_item"):
            self.add_error("request_item", _("Choose the request item new mail orders."))
        if protocol == Protocol.POP3 and data.get("after_read") == AfterRead.MOVE:
            self.add_error("after_read", _("POP3 has no folders: keep or delete read mail."))
        return data

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("clear_secret"):
            mailbox.secret = ""
        elif self.cleaned_data.get("secret"):
            mailbox.secret = self.cleaned_data["secret"]
        if commit:
            mailbox.save()
        return mailbox
