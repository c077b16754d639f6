"""On PostgreSQL, every statement that writes outbox rows notifies the relays when its
transaction commits (`shop_common.events.relay.OUTBOX_CHANNEL`), so an idle relay sleeps
until there is work instead of polling. Other databases have no LISTEN/NOTIFY: their
relays keep polling."""

from django.db import migrations

STATEMENTS = (
    """
    CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('events_outbox', '');
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent",
    """
    CREATE TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify()
    """,
)
REVERSE = (
    "DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent",
    "DROP FUNCTION IF EXISTS events_outbox_notify()",
)


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(run(STATEMENTS), run(REVERSE), elidable=False)]
