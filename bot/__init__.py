"""Hörclub: articles become audio."""

__version__ = "0.1.0"
