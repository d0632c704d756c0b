"""Service requests' approvals move into the kernel (servicedesk.Approval, in approval sets).

Each request's approval rows become one approval set (its rule, the item's approver group, the
quorum: all of them under "all", else one; its status from the decisions and the request's
status) and kernel approvals with the same ids, so the signed links of e-mails already sent
still find their approval. The reverse copies them back (one row per request and approver).
"""

from django.core.management.color import no_style
from django.db import migrations, models

BATCH = 2000
GROUP_RULES = ("group_any", "group_all", "group_quorum")


def _reset_sequence(schema_editor, model):
    connection = schema_editor.connection
    for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(statement)


def _set_status(request, rows):
    decisions = {row.decision for row in rows}
    if request.status == "awaiting_approval" and "pending" in decisions:
        return "pending"
    if "rejected" in decisions or request.status == "rejected":
        return "rejected"
    if request.approved_at is not None or "approved" in decisions:
        return "approved"
    return "cancelled"


def _flush(Set, Approval, pending):
    sets = Set.objects.bulk_create([approval_set for approval_set, _rows in pending])
    approvals = []
    for approval_set, (_unsaved, rows) in zip(sets, pending, strict=True):
        for row in rows:
            approvals.append(
                Approval(
                    id=row.id, approval_set_id=approval_set.pk,
                    content_type_id=approval_set.content_type_id, object_id=row.request_id,
                    approver_id=row.approver_id, decision=row.decision,
                    decided_at=row.decided_at, comment=row.comment, via_link=row.via_link,
                    created_at=row.created_at,
                )  # fmt: skip
            )
    Approval.objects.bulk_create(approvals)


def forward(apps, schema_editor):
    Old = apps.get_model("catalogue", "Approval")
    Request = apps.get_model("catalogue", "ServiceRequest")
    Set = apps.get_model("servicedesk", "ApprovalSet")
    Approval = apps.get_model("servicedesk", "Approval")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not Old.objects.exists():
        return
    content_type, _created = ContentType.objects.get_or_create(
        app_label="catalogue", model="servicerequest"
    )
    request_ids = (
        Old.objects.order_by("request_id").values_list("request_id", flat=True).distinct()
    )
    ids = list(request_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        requests = Request.objects.select_related("item").in_bulk(chunk)
        rows_of = {}
        for row in Old.objects.filter(request_id__in=chunk).order_by("request_id", "id"):
            rows_of.setdefault(row.request_id, []).append(row)
        pending = []
        for request_id in chunk:
            request, rows = requests[request_id], rows_of[request_id]
            rule = request.approval_rule if request.approval_rule != "none" else "manager"
            status = _set_status(request, rows)
            decided = [row.decided_at for row in rows if row.decided_at]
            approval_set = Set(
                content_type_id=content_type.pk, object_id=request_id, rule=rule,
                group_id=request.item.approval_group_id if rule in GROUP_RULES else None,
                quorum=len(rows) if rule == "group_all" else 1, status=status,
                created_at=min(row.created_at for row in rows),
                decided_at=(request.approved_at or max(decided, default=None))
                if status != "pending" else None,
            )  # fmt: skip
            pending.append((approval_set, rows))
        _flush(Set, Approval, pending)
    _reset_sequence(schema_editor, Approval)


def backward(apps, schema_editor):
    Old = apps.get_model("catalogue", "Approval")
    Set = apps.get_model("servicedesk", "ApprovalSet")
    Approval = apps.get_model("servicedesk", "Approval")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="catalogue", model="servicerequest").first()
    if content_type is None:
        return
    rows = Approval.objects.filter(content_type=content_type).order_by("-id").iterator(BATCH)
    batch, seen = [], set()
    for row in rows:
        key = (row.object_id, row.approver_id)
        if key in seen:  # a later round of the same approver: the newest is kept
            continue
        seen.add(key)
        batch.append(row)
        if len(batch) >= BATCH:
            _copy_back(Old, batch)
            batch = []
    _copy_back(Old, batch)
    # Plain DELETEs: the collector would compare model classes of two rendered states.
    quote = schema_editor.connection.ops.quote_name
    for model in (Approval, Set):
        schema_editor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} WHERE content_type_id = %s",
            [content_type.pk],
        )
    _reset_sequence(schema_editor, Old)


def _copy_back(Old, rows):
    if not rows:
        return
    Old.objects.bulk_create(
        [
            Old(
                id=row.id, request_id=row.object_id, approver_id=row.approver_id,
                decision=row.decision, decided_at=row.decided_at, comment=row.comment,
                via_link=row.via_link,
            )  # fmt: skip
            for row in rows
        ]
    )
    # `created_at` was auto_now_add: the insert stamped it now, the old time is put back.
    for row in rows:
        Old.objects.filter(pk=row.id).update(created_at=row.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0004_status_check_constraints'),
        ('servicedesk', '0006_approvals'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AddField(
            model_name='requestitem',
            name='approval_quorum',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Under the quorum rule: how many of the group's members must approve.", null=True, verbose_name='approvals needed'),
        ),
        migrations.AlterField(
            model_name='requestitem',
            name='approval_rule',
            field=models.CharField(choices=[('none', 'No approval'), ('manager', "The requester's manager"), ('department_manager', "The manager of the requester's department"), ('service_owner', 'The service owner'), ('group_any', 'A group: any one of its members'), ('group_all', 'A group: all of its members'), ('group_quorum', 'A group: a quorum of its members')], default='none', max_length=32, verbose_name='approval'),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='approval_rule',
            field=models.CharField(choices=[('none', 'No approval'), ('manager', "The requester's manager"), ('department_manager', "The manager of the requester's department"), ('service_owner', 'The service owner'), ('group_any', 'A group: any one of its members'), ('group_all', 'A group: all of its members'), ('group_quorum', 'A group: a quorum of its members')], default='none', max_length=32, verbose_name='approval'),
        ),
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(
            name='Approval',
        ),
    ]
