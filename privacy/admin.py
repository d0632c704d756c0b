"""The people admin's personal-data actions: export one person's data as JSON, anonymise people
who left, reset a lost second factor. They call privacy.services and accounts.mfa."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import mfa
from accounts.admin import UserAdmin
from accounts.models import User
from privacy.services import CannotAnonymise, person_anonymise, person_export
from privacy.views import personal_data_download


class PrivacyUserAdmin(UserAdmin):
    actions = [*(UserAdmin.actions or []), "export_personal_data", "anonymise", "reset_two_factor"]

    @admin.action(description=gettext_lazy("Export personal data (JSON)"), permissions=["change"])
    def export_personal_data(self, request, queryset):
        people = list(queryset.order_by("pk")[:2])
        if len(people) != 1:
            self.message_user(request, _("Choose one person to export."), messages.WARNING)
            return None
        data = person_export(person=people[0], actor=request.user)
        return personal_data_download(data, filename=f"person-{people[0].pk}.json")

    @admin.action(description=gettext_lazy("Anonymise (people who left)"), permissions=["change"])
    def anonymise(self, request, queryset):
        people = list(queryset.order_by("pk"))
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "privacy/anonymise_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Anonymise these people?"),
                    "people": people,
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        done = 0
        for person in people:
            try:
                person_anonymise(person=person, actor=request.user)
            except CannotAnonymise as error:
                self.message_user(request, f"{person}: {error.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d person anonymised.", "%(count)d people anonymised.", done)
            % {"count": done},
            messages.SUCCESS,
        )
        return None

    @admin.action(
        description=gettext_lazy("Reset two-factor sign-in (lost phone)"), permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        count = 0
        for person in queryset.order_by("pk"):
            mfa.two_factor_reset(user=person, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d person.",
                "Two-factor sign-in reset for %(count)d people.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


admin.site.unregister(User)
admin.site.register(User, PrivacyUserAdmin)
