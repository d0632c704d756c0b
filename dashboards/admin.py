from django.contrib import admin

from dashboards.models import ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "service", "support_group", "organisation", "last_sent_at"]
    list_filter = ["frequency"]
    raw_id_fields = ["user"]
