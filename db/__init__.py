"""RanaWatch database layer (SQLModel tables, sessions, CRUD, Alembic migrations)."""
