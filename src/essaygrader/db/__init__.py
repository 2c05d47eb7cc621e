"""Persistence: SQLAlchemy models, engines and transactions, Alembic migrations."""
