"""Relational storage: schema, engine and repositories (SQLAlchemy, 2.0 style)."""
