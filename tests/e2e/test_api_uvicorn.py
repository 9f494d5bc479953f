"""The real app under uvicorn in a subprocess: hostile requests over real HTTP, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from robonotes.bootstrap import Container
from robonotes.config import Settings

STARTUP_TIMEOUT_S = 30.0
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _create_user(database_url: str) -> str:
    container = Container(Settings(database_url=database_url, redis_url=None))
    try:
        _, token = await container.users.create(name="e2e")
    finally:
        await container.aclose()
    return token


def _wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited early: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("uvicorn did not answer /healthz in time")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """(base URL, a user's token, the process) of uvicorn serving create_app on a free port."""
    from robonotes.storage.migrate import upgrade_database

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'robonotes.db'}"
    upgrade_database(database_url)
    token = asyncio.run(_create_user(database_url))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBONOTES_")}
    env.update({"ROBONOTES_DATABASE_URL": database_url, "ROBONOTES_MAX_REQUEST_BYTES": str(MIB)})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "robonotes.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield base_url, token, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _raw_request(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


def test_uvicorn_serves_hostile_requests_with_4xx_and_keeps_serving(
    server: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    base_url, token, process = server
    auth = {"Authorization": f"Bearer {token}"}
    as_json = {**auth, "Content-Type": "application/json"}

    def oversized_chunks() -> Iterator[bytes]:
        yield b'{"body": "'
        for _ in range(200):
            yield b"a" * 65536
        yield b'"}'

    with httpx.Client(base_url=base_url, timeout=30) as client:
        created = client.post("/v1/notes", json={"body": "over real HTTP"}, headers=auth)
        _assert_problem(client.get("/v1/notes"), 401)
        _assert_problem(client.post("/v1/notes", content=b"[" * 10_000, headers=as_json), 400)
        _assert_problem(
            client.post("/v1/notes", content=b'{"body":"\\ud800"}', headers=as_json), 400
        )
        _assert_problem(
            client.post("/v1/notes", content=b'{"body":"\\u0000"}', headers=as_json), 400
        )
        _assert_problem(client.post("/v1/notes", content=b"", headers=as_json), 400)
        _assert_problem(client.post("/v1/notes", content=b"x", headers=auth), 415)
        _assert_problem(client.get("/v1/notes", params={"limit": 10**9}, headers=auth), 422)
        _assert_problem(client.get("/v1/notes", params={"cursor": "%%%"}, headers=auth), 400)
        _assert_problem(client.get(f"/v1/notes/{2**64}", headers=auth), 422)
        _assert_problem(client.post("/v1/notes", content=oversized_chunks(), headers=as_json), 413)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        declared = client.post(
            "/v1/notes", content=b'{"body": "' + b"a" * (10 * MIB) + b'"}', headers=as_json
        )
    _assert_problem(declared, 413)
    raw = _raw_request(
        base_url,
        b"POST /v1/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Length: 99999999999\r\nConnection: close\r\n\r\n{}",
    )
    assert raw.startswith(b"HTTP/1.1 413"), raw[:200]

    with httpx.Client(base_url=base_url, timeout=30) as client:
        listed = client.get("/v1/notes", headers=auth)
        ready = client.get("/readyz")

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [item["body"] for item in listed.json()["items"]] == ["over real HTTP"]
    assert ready.status_code == 200
    assert process.poll() is None


def test_uvicorn_stops_cleanly_on_sigterm(server: tuple[str, str, subprocess.Popen[bytes]]) -> None:
    _, _, process = server

    process.send_signal(signal.SIGTERM)
    return_code = process.wait(timeout=15)
    stderr = process.stderr.read().decode()  # type: ignore[union-attr]

    # uvicorn re-raises the signal it caught once shutdown is done, so -SIGTERM is a clean exit.
    assert return_code in {0, -signal.SIGTERM}, stderr[-2000:]
    assert "Traceback" not in stderr
    assert "Application shutdown complete" in stderr


def test_serve_with_worker_processes_notes_in_process_and_drains_on_sigterm(
    tmp_path: Path,
) -> None:
    from robonotes.storage.migrate import upgrade_database

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'robonotes.db'}"
    upgrade_database(database_url)
    token = asyncio.run(_create_user(database_url))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBONOTES_")}
    env.update({"ROBONOTES_DATABASE_URL": database_url, "ROBONOTES_ROBO_PROVIDER": "offline"})
    command = [sys.executable, "-m", "robonotes.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--with-worker"], env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    base_url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        _wait_until_up(base_url, process)
        with httpx.Client(base_url=base_url, timeout=10) as client:
            note_id = client.post(
                "/v1/notes", json={"body": "Ran 5k with Sam this morning."}, headers=auth
            ).json()["id"]
            deadline = time.monotonic() + 30
            note: dict[str, object] = {}
            metrics = ""
            while time.monotonic() < deadline:
                note = client.get(f"/v1/notes/{note_id}", headers=auth).json()
                metrics = client.get("/metrics").text
                # The status commits first and the ack follows (DESIGN.md steps 5 and 6).
                acked = "robonotes_jobs_completed_total 1.0" in metrics
                if note["robo_status"] == "COMPLETED" and acked:
                    break
                time.sleep(0.2)

        process.send_signal(signal.SIGTERM)
        return_code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert note["robo_status"] == "COMPLETED"
    assert [a["activity"] for a in note["activities"]] == ["running"]  # type: ignore[union-attr]
    assert 'robonotes_queue_depth{state="ready"} 0.0' in metrics
    assert "robonotes_jobs_completed_total 1.0" in metrics
    assert return_code in {0, -signal.SIGTERM}


def test_serve_with_worker_refuses_several_server_processes(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "robonotes.cli.main", "serve", "--with-worker", "--workers", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "--with-worker runs one server process" in result.stderr
