"""Pytest plugin: the project's own OpenAI-compatible dev server, started once per session.

    async def test_x(local_openai):            # reset before and after each test
        local_openai.set_faults(script=["rate_limit", "ok"])
        client = AsyncOpenAI(base_url=local_openai.base_url, api_key="test", max_retries=0)
        ...
        assert local_openai.stats()["outcomes"] == {"rate_limit": 1, "ok": 1}

For a server in its own OS process (chaos tests, benchmarks) use `start_local_openai_process`
(`robonotes.devserver.control.start_process`), a context manager yielding the same handle.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from robonotes.devserver.control import LocalOpenAI, start_in_thread, start_process

start_local_openai_process = start_process

__all__ = ["LocalOpenAI", "local_openai", "local_openai_server", "start_local_openai_process"]


@pytest.fixture(scope="session")
def local_openai_server() -> Iterator[LocalOpenAI]:
    """One dev server for the session, served from a background thread on a free port."""
    with start_in_thread() as server:
        yield server


@pytest.fixture
def local_openai(local_openai_server: LocalOpenAI) -> Iterator[LocalOpenAI]:
    """The session's dev server with the default plan and zeroed stats for this test."""
    local_openai_server.reset()
    yield local_openai_server
    local_openai_server.reset()
