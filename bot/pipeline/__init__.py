"""The stages that turn a link into audio; no Telegram in here."""
