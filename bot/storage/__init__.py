"""Persistence: SQLAlchemy models, repositories and Alembic migrations."""

# The feed tables live in their own module; importing it here registers them on the shared
# metadata wherever the models are used (migrations, schema comparison, test wipes).
from bot.storage import feeds_models as feeds_models

# Likewise the "Später hören" list.
from bot.storage import later as later
