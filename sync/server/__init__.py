"""The central server: kiosk registration, the signed change feed, the push ingest.

FastAPI on uvicorn over SQLAlchemy Core; PostgreSQL (psycopg) in production,
SQLite as the embedded default. SQLAlchemy and Alembic are imported only inside
this package (import contract). The server keeps no state in the process that
matters: nonces, sequences and registrations live in the database, so several
instances can run behind a load balancer. See ``docs/sync.md``.
"""
