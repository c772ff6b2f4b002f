"""Full-text search of messages: the PostgreSQL vector column and GIN index, or SQLite's FTS5 table."""

from django.db import migrations, models


def install(apps, schema_editor):
    from messaging import fulltext

    fulltext.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from messaging import fulltext

    fulltext.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["created_at", "id"], name="message_created_idx"),
        ),
    ]
