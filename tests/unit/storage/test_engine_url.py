"""Database URLs get their async driver; anything unsupported is a clear StorageError."""

from __future__ import annotations

import pytest

from robonotes.domain.exceptions import StorageError
from robonotes.storage.engine import normalise_url, sqlite_file


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h:5433/db", "postgresql+asyncpg://u@h:5433/db"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
    ],
)
def test_urls_get_their_async_driver(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "cannot be parsed"),
        ("not a url", "cannot be parsed"),
        ("mysql://u:s3cret@h/db", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://u:s3cret@h/db", "unsupported driver 'psycopg2'"),
        ("sqlite+pysqlite:///x.db", "unsupported driver"),
    ],
)
def test_unsupported_urls_are_refused_without_echoing_secrets(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as caught:
        normalise_url(url)

    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "is_file"),
    [
        ("sqlite+aiosqlite:///a/b.db", True),
        ("sqlite+aiosqlite://", False),
        ("sqlite:///:memory:", False),
    ],
)
def test_sqlite_file_is_none_for_memory_databases(url: str, is_file: bool) -> None:
    assert (sqlite_file(url) is not None) is is_file
