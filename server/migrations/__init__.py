"""Alembic migrations of the platform's schema, shipped inside the package."""
