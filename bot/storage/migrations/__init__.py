"""Alembic migrations, run programmatically by `bot.storage.db.Database.migrate`."""
