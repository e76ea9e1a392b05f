"""Alembic revision files (loaded by Alembic by path; never edit a released one)."""
