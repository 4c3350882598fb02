"""One lock for every Alembic migration in the process (without importing Alembic).

Alembic keeps the migration being run in a module-level `context`, so two migrations at once
in two threads (ours, or MLflow creating its tracking tables) would run each other's scripts
on the wrong database. Hold `MIGRATION_LOCK` around anything that may migrate.
"""

import threading

MIGRATION_LOCK = threading.RLock()
