"""Renders `content_html` for the messages written before it existed, a batch per transaction.

It calls today's renderer and stores today's version, so it is right whenever it runs; a later
renderer change is `manage.py rerender_messages`' job.
"""

from django.db import migrations, transaction


def render_existing(apps, schema_editor) -> None:
    from messaging.markdown import RENDERER_VERSION, render

    Message = apps.get_model("messaging", "Message")
    last_id = None
    while True:
        with transaction.atomic(using=schema_editor.connection.alias):
            query = Message.objects.select_for_update().filter(render_version__lt=RENDERER_VERSION).order_by("id")
            if last_id is not None:
                query = query.filter(id__gt=last_id)
            batch = list(query.only("id", "content", "mentions", "mentions_room", "is_deleted")[:500])
            if not batch:
                return
            for message in batch:
                message.content_html = (
                    ""
                    if message.is_deleted
                    else render(message.content, mentions=message.mentions, mentions_room=message.mentions_room)
                )
                message.render_version = RENDERER_VERSION
            Message.objects.bulk_update(batch, ["content_html", "render_version"])
        last_id = batch[-1].id


class Migration(migrations.Migration):
    # Each batch commits on its own: a large history is not one long transaction.
    atomic = False

    dependencies = [
        ("messaging", "0004_rich_messages"),
    ]

    operations = [
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
