"""Fulfilment tasks become tasks on any record: a parent (content type and id, with its number)
and a due time. Every existing task is a request's: its parent is filled from its request in one
UPDATE, before the columns become required, so no task is lost or left without a parent."""

import django.db.models.deletion
from django.db import migrations, models


def fill_parents(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    FulfilmentTask = apps.get_model("catalogue", "FulfilmentTask")
    ServiceRequest = apps.get_model("catalogue", "ServiceRequest")
    request_type, _ = ContentType.objects.get_or_create(
        app_label="catalogue", model="servicerequest"
    )
    numbers = ServiceRequest.objects.filter(pk=models.OuterRef("request_id")).values("number")[:1]
    FulfilmentTask.objects.filter(parent_type__isnull=True).update(
        parent_type=request_type.pk,
        parent_id=models.F("request_id"),
        parent_number=models.Subquery(numbers),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0005_approvals_in_the_kernel"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="fulfilmenttask",
            options={
                "ordering": ["parent_type", "parent_id", "order", "id"],
                "verbose_name": "fulfilment task",
                "verbose_name_plural": "fulfilment tasks",
            },
        ),
        migrations.AddField(
            model_name="fulfilmenttask",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="due"),
        ),
        migrations.AddField(
            model_name="fulfilmenttask",
            name="parent_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="record type",
            ),
        ),
        migrations.AddField(
            model_name="fulfilmenttask",
            name="parent_id",
            field=models.PositiveBigIntegerField(null=True, verbose_name="record"),
        ),
        migrations.AddField(
            model_name="fulfilmenttask",
            name="parent_number",
            field=models.CharField(
                default="", editable=False, max_length=32, verbose_name="record"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_parents, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="fulfilmenttask",
            name="parent_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="record type",
            ),
        ),
        migrations.AlterField(
            model_name="fulfilmenttask",
            name="parent_id",
            field=models.PositiveBigIntegerField(verbose_name="record"),
        ),
        migrations.AlterField(
            model_name="fulfilmenttask",
            name="request",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tasks",
                to="catalogue.servicerequest",
                verbose_name="request",
            ),
        ),
        migrations.AddIndex(
            model_name="fulfilmenttask",
            index=models.Index(
                fields=["parent_type", "parent_id", "order"], name="tsk_parent_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="fulfilmenttask",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["open", "in_progress"]), ("due_at__isnull", False)
                ),
                fields=["due_at", "id"],
                name="tsk_open_due_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="fulfilmenttask",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("request__isnull", True), ("request_id", models.F("parent_id")), _connector="OR"
                ),
                name="catalogue_fulfilmenttask_request_is_parent",
            ),
        ),
    ]
