"""The dev server in its own OS process: `python -m robonotes.devserver`, `robonotes devserver`."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

import pytest

from robonotes.devserver.control import LocalOpenAI, start_process


def post_chat(server: LocalOpenAI) -> tuple[int, dict[str, str]]:
    body = {"model": "m", "messages": [{"role": "user", "content": "Ran 5k this morning."}]}
    request = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_module_entry_point_serves_with_the_faults_its_flags_set() -> None:
    with start_process(extra_args=["--fail-next", "1", "--fail-status", "503"]) as server:
        first, headers = post_chat(server)
        second, _ = post_chat(server)
        stats = server.stats()

    assert (first, second) == (503, 200)
    assert headers["x-request-id"].startswith("req_")
    assert stats["outcomes"] == {"ok": 1, "unavailable": 1}


def test_robonotes_devserver_command_serves_and_is_steerable() -> None:
    command = [sys.executable, "-m", "robonotes.cli.main", "devserver", "--log-level", "warning"]
    with start_process(command=command, extra_args=["--fault", "rate_limit"]) as server:
        limited, headers = post_chat(server)
        server.set_faults(fault="ok")
        fine, _ = post_chat(server)

    assert limited == 429
    assert headers["retry-after"] == "1"
    assert fine == 200


def test_a_server_that_cannot_start_is_reported_with_its_error() -> None:
    with (
        pytest.raises(RuntimeError, match="exited"),
        start_process(extra_args=["--fault", "no-such-fault"]),
    ):
        pass
