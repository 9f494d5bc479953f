"""Chaos: 2,000 notes through OpenAIService while worker processes are SIGKILLed about every second.

The stack is real: PostgreSQL, RedisQueue, 3 supervised worker processes, and the project's
OpenAI-compatible dev server in its own process with 200 ms latency and 5% 5xx answers.

What is checked, and why it is the right invariant:
- every note version ends COMPLETED (nothing lost: leases expire, the reconciler re-enqueues);
- each note's results are committed once: no (note, activity, evidence) occurrence and no
  moment link appears twice, and every note's robo_processed_version is 1;
- the ledger shows every attempt. A worker writes an extraction's HTTP attempts to robo_calls
  as soon as `extract` returns or raises. So every ledger row is a request the server saw
  (ledger <= server requests), and a request the ledger lacks was in flight in a process that
  was killed before it could write it. One process has at most `concurrency` extractions in
  flight, each of at most 3 HTTP attempts (tier 1), so
      server_requests - ledger_rows <= kills * concurrency * 3,
  and it is 0 for the requests of processes that were never killed. The test also checks that
  the gap is small in practice, and that every note has at least one OK row in the ledger.

Every claim counts an attempt, also one whose worker was killed (a note that kills its worker
must reach the DLQ some day). One of the 3 processes is killed every second, so each lives
about 3 s and a job in flight dies with its worker far more often than anywhere real; a few
in-flight jobs per process keep that chance low, and `max_attempts` is raised so that a run of
bad luck is not mistaken for a poison note. The DLQ path is tested in test_worker_acceptance.py.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from worker_cli import base_env, status_counts

from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.devserver.control import start_process
from robonotes.storage.migrate import upgrade_database

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

NOTES = 2_000
USERS = 40
PROCESSES = 3
CONCURRENCY = 8
MAX_ATTEMPTS = 20
RUN_LIMIT_S = 200.0
LIVE_STATES = {"PENDING", "QUEUED", "PROCESSING", "RETRY_SCHEDULED"}
TEXTS = (
    "This morning I ran 5k with Sam at the park, then had coffee.",
    "Did an hour of yoga after work. Felt calm.",
    "Read two chapters of Dune before bed.",
    "Cooked pasta with Lea at home tonight.",
    "Swam 20 laps at the pool and stretched afterwards.",
)


async def _counts(settings: Settings) -> dict[str, int]:
    container = Container(settings)
    try:
        async with container.uow_factory() as uow:
            counts = await uow.statuses.counts()
    finally:
        await container.aclose()
    return {state.value: n for state, n in counts.items() if n}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


async def _create_notes(settings: Settings) -> None:
    container = Container(settings)
    try:
        users = [(await container.users.create(name=f"user{i}"))[0] for i in range(USERS)]
        for start in range(0, NOTES, 100):
            await asyncio.gather(
                *(
                    container.notes.create(
                        user_id=users[i % USERS].id, body=f"{TEXTS[i % len(TEXTS)]} #{i}"
                    )
                    for i in range(start, min(NOTES, start + 100))
                )
            )
    finally:
        await container.aclose()


async def _ledger_and_duplicates(settings: Settings) -> dict[str, int]:
    container = Container(settings)
    queries = {
        "ledger_rows": "SELECT COUNT(*) FROM robo_calls",
        "notes_with_ok_call": (
            "SELECT COUNT(DISTINCT note_id) FROM robo_calls WHERE outcome = 'ok'"
        ),
        "duplicate_occurrences": (
            "SELECT COUNT(*) FROM (SELECT note_id, activity_id, evidence FROM activity_occurrences"
            " GROUP BY note_id, activity_id, evidence HAVING COUNT(*) > 1) d"
        ),
        "notes_with_results": "SELECT COUNT(DISTINCT note_id) FROM activity_occurrences",
        "not_processed_once": (
            "SELECT COUNT(*) FROM notes WHERE robo_processed_version IS DISTINCT FROM 1"
        ),
    }
    try:
        async with container.engine.connect() as conn:
            return {
                name: int((await conn.execute(sa.text(sql))).scalar_one())
                for name, sql in queries.items()
            }
    finally:
        await container.aclose()


def test_sigkilled_workers_lose_no_note_and_duplicate_no_result(
    tmp_path: Path, postgres_url: str, postgres_schema: str, redis_url: str, redis_prefix: str
) -> None:
    upgrade_database(postgres_url, schema=postgres_schema)
    with start_process(
        extra_args=["--latency-ms", "200", "--fail-rate", "0.05", "--log-level", "warning"]
    ) as server:
        env = base_env(
            database_url=postgres_url,
            database_schema=postgres_schema,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            robo_provider="openai",
            openai_base_url=server.base_url,
            openai_api_key="sk-chaos",
            openai_rpm="1000000",
            openai_tpm="1000000000",
            queue_lease_ms="3000",
            queue_max_attempts=str(MAX_ATTEMPTS),
            reconcile_interval_s="5",
            retry_base_s="0.5",
            retry_cap_s="5",
            worker_grace_s="1",
            worker_restart_backoff_max_s="1",
        )
        settings = Settings(
            database_url=postgres_url,
            database_schema=postgres_schema,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            queue_max_attempts=MAX_ATTEMPTS,
        )
        started = time.monotonic()
        asyncio.run(_create_notes(settings))
        created_s = time.monotonic() - started
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "robonotes.cli.main",
                "worker",
                "--processes",
                str(PROCESSES),
                "--concurrency",
                str(CONCURRENCY),
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        kills = 0
        rng = random.Random(5)
        counts: dict[str, int] = {}
        try:
            deadline = time.monotonic() + RUN_LIMIT_S
            while time.monotonic() < deadline:
                time.sleep(1.0)
                children = _children(supervisor.pid)
                if children:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    kills += 1
                counts = asyncio.run(_counts(settings))
                print(f"chaos: t={time.monotonic() - started:.0f}s kills={kills} {counts}")
                if not counts.keys() & LIVE_STATES:  # all COMPLETED, or stuck: stop either way
                    break
            run_s = time.monotonic() - started - created_s
            supervisor.send_signal(signal.SIGTERM)
            supervisor.wait(timeout=60)
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
        served = server.stats()
        found = asyncio.run(_ledger_and_duplicates(settings))

    assert status_counts(tmp_path, env) == {"COMPLETED": NOTES}
    assert counts == {"COMPLETED": NOTES}
    assert kills >= 5
    assert found["duplicate_occurrences"] == 0
    assert found["not_processed_once"] == 0
    assert found["notes_with_ok_call"] == NOTES
    assert found["notes_with_results"] > NOTES // 2
    assert served["requests"] >= NOTES
    assert found["ledger_rows"] <= served["requests"]
    assert served["requests"] - found["ledger_rows"] <= kills * CONCURRENCY * 3
    print(f"chaos: created in {created_s:.1f}s, ran {run_s:.1f}s, kills={kills}")
    print(f"chaos: server={served} found={found}")
