from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    """The shared kernel: base record, workflow, audit events, comments and attachments."""

    name = "servicedesk"
    verbose_name = _("Service desk kernel")

    def ready(self):
        from celery.signals import task_postrun, task_prerun
        from django.core import checks
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from accounts.tokens import read_with_tokens
        from servicedesk import memo
        from servicedesk.approvals.emails import render_approval_email
        from servicedesk.approvals.services import APPROVAL_REQUESTED
        from servicedesk.attachments import check_serve_via
        from servicedesk.converters import IdConverter
        from servicedesk.notifications import register_kind
        from servicedesk.reference import KERNEL_KINDS, register_reference

        register_converter(IdConverter, "id")  # before any URLconf is read
        checks.register(check_serve_via)
        register_kind(APPROVAL_REQUESTED, render_approval_email)
        register_reference(*KERNEL_KINDS)

        # Reference data: its generation token is read once per request or task.
        request_started.connect(memo.scope_start, dispatch_uid="servicedesk.memo.start")
        request_finished.connect(memo.scope_end, dispatch_uid="servicedesk.memo.end")
        task_prerun.connect(memo.scope_start, dispatch_uid="servicedesk.memo.task_start")
        task_postrun.connect(memo.scope_end, dispatch_uid="servicedesk.memo.task_end")
        post_migrate.connect(memo.forget, dispatch_uid="servicedesk.memo.migrated")
        # The API's token check reads it in its own round trip, and hands it over.
        read_with_tokens(memo.GENERATION_KEY, memo.scope_hand_over)

        post_migrate.connect(_restore_number_counters, sender=self)
        post_migrate.connect(_restore_system_actor, sender=self)


def _restore_number_counters(sender, using="default", **kwargs):
    """On SQLite numbers come from counter rows, which `flush` (and every transactional test)
    deletes with all other data: recreate one per record type. A no-op after `migrate`."""
    from django.apps import apps
    from django.db import connections

    from servicedesk.models import BaseRecord, NumberCounter

    connection = connections[using]
    if connection.vendor == "postgresql":  # sequences survive a flush
        return
    if NumberCounter._meta.db_table not in connection.introspection.table_names():
        return
    for model in apps.get_models():
        if issubclass(model, BaseRecord):
            NumberCounter.objects.using(using).get_or_create(prefix=model.NUMBER_PREFIX)


def _restore_system_actor(sender, **kwargs):
    """A flush (every transactional test) deletes the system actor with all other users."""
    from servicedesk.actors import system_actor, system_actor_ensure

    system_actor.cache_clear()
    system_actor_ensure()
