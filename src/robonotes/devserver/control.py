"""Start the dev server (in a thread or its own process) and steer it over HTTP.

`LocalOpenAI` is the handle tests and benchmarks hold: `base_url` for the SDK (".../v1"),
`set_faults(**changes)`, `reset()`, `stats()`, `requests()`. It speaks plain HTTP with the
standard library, so it works in any venv and against a server in another process.

    with start_in_thread() as server:          # pytest fixture, same process
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
    with start_process(port=None) as server:    # chaos tests, benchmarks: its own OS process
        server.set_faults(fail_rate=0.2)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn

from robonotes.devserver.app import create_app
from robonotes.devserver.extraction import warm_up
from robonotes.devserver.faults import FaultPlan


class LocalOpenAI:
    """A handle on a running dev server: its URLs and its control endpoints."""

    def __init__(self, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.root_url = f"http://{host}:{port}"
        self.base_url = f"{self.root_url}/v1"

    def _call(self, method: str, path: str, payload: object | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.root_url}{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"dev server refused {path}: {exc.read().decode()[:500]}") from exc

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change the plan (FaultPlan fields); the rest stays as it was. Returns the new plan."""
        result: dict[str, Any] = self._call("POST", "/_control", changes)
        return result

    def reset(self) -> None:
        """Back to the start-up plan, counters at zero."""
        self._call("POST", "/_reset", {})

    def stats(self) -> dict[str, Any]:
        """{"requests": n, "outcomes": {fault: n}, "prompt_tokens", "completion_tokens", ...}."""
        result: dict[str, Any] = self._call("GET", "/_stats")
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The last request bodies the server received, newest last."""
        result: list[dict[str, Any]] = self._call("GET", "/_requests")
        return result

    def is_up(self) -> bool:
        """Whether the server answers GET /v1/models."""
        try:
            self._call("GET", "/v1/models")
        except (OSError, ValueError):
            return False
        return True

    def wait_until_up(self, *, timeout_s: float = 15.0) -> None:
        """Block until the server answers; TimeoutError when it does not in time."""
        deadline = time.monotonic() + timeout_s
        while not self.is_up():
            if time.monotonic() > deadline:
                raise TimeoutError(f"dev server at {self.root_url} did not answer in {timeout_s}s")
            time.sleep(0.05)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def start_in_thread(
    plan: FaultPlan | None = None, *, host: str = "127.0.0.1", api_key: str | None = None
) -> Iterator[LocalOpenAI]:
    """Serve on a free port from a background thread of this process; stop on exit."""
    warm_up()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(plan, api_key=api_key),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="devserver", daemon=True
    )
    thread.start()
    handle = LocalOpenAI(host=host, port=port)
    try:
        handle.wait_until_up()
        yield handle
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_command(
    *, host: str, port: int, extra_args: Sequence[str] = (), python: str | None = None
) -> list[str]:
    """The command line that runs the dev server as its own process."""
    return [
        python or sys.executable,
        "-m",
        "robonotes.devserver",
        "--host",
        host,
        "--port",
        str(port),
        *extra_args,
    ]


@contextmanager
def start_process(
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    extra_args: Sequence[str] = (),
    python: str | None = None,
    command: Sequence[str] | None = None,
    timeout_s: float = 30.0,
) -> Iterator[LocalOpenAI]:
    """Run the dev server in its own OS process (chaos tests, benchmarks); terminate it on exit.

    `extra_args` are `python -m robonotes.devserver` flags, e.g. ["--latency-ms", "50"].
    `command` replaces `python -m robonotes.devserver` (e.g. ["robonotes", "devserver"]);
    `--host`, `--port` and `extra_args` are appended to it.
    """
    chosen = port or free_port(host)
    # a file, not a pipe: a pipe nobody drains would block a chatty server
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    argv = (
        [*command, "--host", host, "--port", str(chosen), *extra_args]
        if command
        else serve_command(host=host, port=chosen, extra_args=extra_args, python=python)
    )
    process = subprocess.Popen(
        argv,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    handle = LocalOpenAI(host=host, port=chosen)
    try:
        deadline = time.monotonic() + timeout_s
        while not handle.is_up():
            if process.poll() is not None:
                errors.seek(0)
                error = errors.read().decode(errors="replace")
                raise RuntimeError(f"dev server exited with {process.returncode}: {error[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"dev server on port {chosen} did not answer in {timeout_s}s")
            time.sleep(0.05)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()


def serve(
    plan: FaultPlan | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8089,
    api_key: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve in the foreground until interrupted (`python -m robonotes.devserver`)."""
    warm_up()
    uvicorn.run(
        create_app(plan, api_key=api_key),
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
