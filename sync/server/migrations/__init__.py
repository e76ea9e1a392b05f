"""Alembic migrations of the central database, run programmatically by
:func:`sync.server.db.migrate` (no ``alembic.ini``, no ``env.py``)."""
