"""Alembic's entry point: runs the migrations on the connection ``upgrade`` hands over."""

from alembic import context

from voiceline.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `voiceline db upgrade`, not the alembic command")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
