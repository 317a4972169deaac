"""Fixtures for the pipeline tests: a local article server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.article_server import ArticleServer


@pytest.fixture
def article_server() -> Iterator[ArticleServer]:
    """A fresh ArticleServer (saved pages from tests/data/pages plus programmable routes)."""
    with ArticleServer() as server:
        yield server


@pytest.fixture
def tls_article_server() -> Iterator[ArticleServer]:
    """The same server speaking HTTPS with the test certificate for artikel.test."""
    with ArticleServer(tls=True) as server:
        yield server
