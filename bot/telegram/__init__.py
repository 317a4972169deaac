"""The Telegram edge: handlers, messages, progress, delivery and the application factory."""
