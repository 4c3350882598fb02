"""Alembic's entry point: runs the migrations on the connection the store hands over in
`config.attributes["connection"]`, or prints their SQL in offline mode (`sqlalchemy.url` set)."""

from alembic import context

from engine.runtime.store.tables import metadata

config = context.config


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes["connection"]
    # SQLite cannot ALTER most things in place: batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
