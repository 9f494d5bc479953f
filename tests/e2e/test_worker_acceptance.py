"""Issue 5's acceptance through the CLI: import, `worker --burst`, status, DLQ, flush."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from worker_cli import base_env, prepare, robonotes, status_counts

pytestmark = pytest.mark.slow


def _delete_prefix(redis_url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


def test_500_imported_notes_complete_on_the_embedded_default(tmp_path: Path) -> None:
    env = base_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}")
    prepare(tmp_path, env, notes=500)

    robonotes("worker", "--burst", env=env, cwd=tmp_path)

    assert status_counts(tmp_path, env) == {"COMPLETED": 500}


def test_500_imported_notes_complete_on_redis_and_postgresql(
    tmp_path: Path, postgres_url: str, postgres_schema: str, redis_url: str, redis_prefix: str
) -> None:
    env = base_env(
        database_url=postgres_url,
        database_schema=postgres_schema,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    )
    prepare(tmp_path, env, notes=500)

    robonotes("worker", "--burst", "--processes", "2", env=env, cwd=tmp_path)

    assert status_counts(tmp_path, env) == {"COMPLETED": 500}
    health = robonotes("health", "--json", env=env, cwd=tmp_path, check=False)
    assert json.loads(health.stdout)["ready"] == 0
    # Both processes retired when their burst ended: no worker is left to call healthy.
    assert json.loads(health.stdout)["live_workers"] == 0
    assert health.returncode == 1
    # Two processes linked one person's notes at once: still one activity per kind of doing.
    listed = robonotes("activities", "list", "--user", "ana", "--json", env=env, cwd=tmp_path)
    counts = {item["name"]: item["count"] for item in json.loads(listed.stdout)}
    assert counts == dict.fromkeys(["cooking", "reading", "running", "swimming", "yoga"], 100)


def test_permanent_401_dead_letters_and_replay_completes_after_the_fix(
    tmp_path: Path, local_openai: object
) -> None:
    server = local_openai
    server.set_faults(fault="unauthorized")  # type: ignore[attr-defined]
    env = base_env(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}",
        robo_provider="openai",
        openai_base_url=server.base_url,
        openai_api_key="sk-test",  # type: ignore[attr-defined]
    )
    prepare(tmp_path, env, notes=20)

    burst = robonotes("worker", "--burst", env=env, cwd=tmp_path)

    assert status_counts(tmp_path, env) == {"FAILED": 20}
    logged = [json.loads(line) for line in burst.stderr.splitlines() if line.startswith("{")]
    failures = [entry for entry in logged if entry.get("event") == "job attempt failed"]
    assert len(failures) == 20
    assert {entry["outcome"] for entry in failures} == {"dead_lettered"}
    assert all(
        {"note_id", "job_id", "attempt", "error_class"} <= entry.keys() for entry in failures
    )
    dead = json.loads(robonotes("dlq", "list", "--json", env=env, cwd=tmp_path).stdout)
    assert len(dead) == 20
    assert {job["error_class"] for job in dead} == {"RoboAuthError"}
    shown = json.loads(robonotes("dlq", "show", dead[0]["id"], env=env, cwd=tmp_path).stdout)
    assert shown["errors"][-1]["error_class"] == "RoboAuthError"

    purge = robonotes("dlq", "purge", "--yes", dead[0]["id"], env=env, cwd=tmp_path)

    server.set_faults(fault="ok")  # type: ignore[attr-defined]
    replay = robonotes("dlq", "replay", "--all", "--rate", "500", env=env, cwd=tmp_path)
    robonotes("worker", "--burst", env=env, cwd=tmp_path)

    assert "purged 1 job(s)" in purge.stdout
    assert "replayed 19" in replay.stdout
    # The purged one stays FAILED for good (until its note is edited or reprocessed).
    assert status_counts(tmp_path, env) == {"COMPLETED": 19, "FAILED": 1}
    assert json.loads(robonotes("dlq", "list", "--json", env=env, cwd=tmp_path).stdout) == []


def test_dlq_commands_reject_hostile_input(tmp_path: Path) -> None:
    env = base_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}")
    robonotes("db", "upgrade", env=env, cwd=tmp_path)

    both = robonotes("dlq", "replay", "x", "--all", env=env, cwd=tmp_path, check=False)
    neither = robonotes("dlq", "replay", env=env, cwd=tmp_path, check=False)
    missing = robonotes(
        "dlq", "show", "'; DROP TABLE notes; --\x1b[31m", env=env, cwd=tmp_path, check=False
    )
    unknown = robonotes("dlq", "replay", "no-such-job", "../../etc", env=env, cwd=tmp_path)
    bad_rate = robonotes(
        "dlq", "replay", "--all", "--rate", "-1", env=env, cwd=tmp_path, check=False
    )

    assert both.returncode == 2
    assert neither.returncode == 2
    assert missing.returncode == 1
    assert "no job" in missing.stderr
    assert "replayed 0" in unknown.stdout
    assert bad_rate.returncode == 2
    assert status_counts(tmp_path, env) == {}


def test_a_running_worker_serves_its_metrics_and_counts_as_alive(tmp_path: Path) -> None:
    env = base_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}")
    prepare(tmp_path, env, notes=5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = subprocess.Popen(
        [sys.executable, "-m", "robonotes.cli.main", "worker", "--metrics-port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        metrics = ""
        for _ in range(150):
            time.sleep(0.2)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    metrics = r.read().decode()
            except OSError:
                continue
            # Jobs count as they finish; queue gauges at the next maintenance pass.
            if "robonotes_jobs_completed_total 5.0" in metrics and "queue_depth{" in metrics:
                break
        health = robonotes("health", "--json", env=env, cwd=tmp_path, check=False)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)

    assert "robonotes_jobs_completed_total 5.0" in metrics
    assert 'robonotes_queue_depth{state="ready"}' in metrics
    assert health.returncode == 0
    assert json.loads(health.stdout)["live_workers"] == 1
    assert worker.returncode == 0


def test_health_is_unhealthy_without_a_live_worker(tmp_path: Path) -> None:
    env = base_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}")
    robonotes("db", "upgrade", env=env, cwd=tmp_path)

    result = robonotes("health", "--json", env=env, cwd=tmp_path, check=False)

    assert result.returncode == 1
    assert "no worker heartbeat is fresh" in json.loads(result.stdout)["problems"]


def test_flushing_the_queue_mid_run_loses_no_note(
    tmp_path: Path, postgres_url: str, postgres_schema: str, redis_url: str, redis_prefix: str
) -> None:
    env = base_env(
        database_url=postgres_url,
        database_schema=postgres_schema,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        reconcile_interval_s="1",
    )
    prepare(tmp_path, env, notes=300)
    worker = subprocess.Popen(
        [sys.executable, "-m", "robonotes.cli.main", "worker", "--burst", "--concurrency", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while status_counts(tmp_path, env).get("COMPLETED", 0) < 20:
            assert worker.poll() is None, "the worker finished before the flush"
            assert time.monotonic() < deadline
            time.sleep(0.2)

        deleted = _delete_prefix(redis_url, redis_prefix)
        _, stderr = worker.communicate(timeout=240)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert deleted > 0
    assert worker.returncode == 0, stderr[-3000:]
    assert status_counts(tmp_path, env) == {"COMPLETED": 300}


def test_ten_notes_that_run_in_other_words_give_one_running_activity(tmp_path: Path) -> None:
    env = base_env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rn.db'}")
    robonotes("db", "upgrade", env=env, cwd=tmp_path)
    robonotes("users", "create", "ana", env=env, cwd=tmp_path)
    texts = [
        "Ran 5k along the canal this morning.",
        "Jogged around the park with Sam.",
        "Went for a run before work, legs heavy.",
        "5k parkrun, new PB!",
        "Quick jog at lunch, 20 min.",
        "Did a 10k run in the rain.",
        "Running club tonight, intervals on the track.",
        "went for a jog after dinner",
        "Ran home from the office, about 6 km.",
        "Easy run with Lea, 45 minutes.",
    ]
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts))
    robonotes("notes", "import", "--user", "ana", str(path), env=env, cwd=tmp_path)

    robonotes("worker", "--burst", env=env, cwd=tmp_path)

    listed = robonotes("activities", "list", "--user", "ana", "--json", env=env, cwd=tmp_path)
    activities = json.loads(listed.stdout)
    runs = [a for a in activities if "run" in a["name"] or "jog" in a["name"]]
    assert [(a["name"], a["count"]) for a in runs] == [("running", 10)]
