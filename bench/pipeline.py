"""The full pipeline: notes per second of ONE `robonotes worker` process on PostgreSQL + Redis.

    python -m bench.pipeline [--notes 2000] [--users 20] [--concurrency 64] [--py-spy FILE]

Creates a fresh PostgreSQL schema (dropped at the end), migrates it, creates users and notes
through the service layer (each note is enqueued on the RedisQueue under its own prefix), then
runs `robonotes worker --burst --processes 1` with the instant offline provider. Two figures:
- steady: notes / (last COMPLETED updated_at - first COMPLETED updated_at), the rate while the
  worker runs, without interpreter start-up and the burst-end check;
- wall: notes / wall time of the whole burst run, start-up included.
`--py-spy FILE` samples the worker with py-spy (collapsed stacks; `pip install py-spy` first)
and `bench.where` sums them by layer: where the time goes, at a small cost to the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from bench.harness import REDIS_URL, flush_bench_db
from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.storage.migrate import upgrade_database

DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PREFIX = "bench-pipeline"
TEXTS = (
    "This morning I ran 5k with Sam at the park, then had coffee.",
    "Did an hour of yoga after work. Felt calm.",
    "Read two chapters of Dune before bed.",
    "Cooked pasta with Lea at home tonight.",
    "Swam 20 laps at the pool and stretched afterwards, then lunch with Mia.",
)


async def _sql(sql: str) -> None:
    connection = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def settings_for(schema: str) -> Settings:
    """The settings of the benchmark's own schema and Redis prefix."""
    return Settings(
        database_url=DATABASE_URL,
        database_schema=schema,
        redis_url=REDIS_URL,
        redis_prefix=PREFIX,
        robo_provider="offline",
    )


async def create_notes(settings: Settings, *, notes: int, users: int) -> None:
    """Users, then notes 100 at a time through NoteService.create (which enqueues each)."""
    container = Container(settings)
    try:
        ids = [(await container.users.create(name=f"bench{i}"))[0].id for i in range(users)]
        for start in range(0, notes, 100):
            await asyncio.gather(
                *(
                    container.notes.create(
                        user_id=ids[i % users], body=f"{TEXTS[i % len(TEXTS)]} #{i}"
                    )
                    for i in range(start, min(notes, start + 100))
                )
            )
    finally:
        await container.aclose()


async def completed_span(settings: Settings) -> tuple[int, float, dict[str, int]]:
    """COMPLETED rows, seconds from the first to the last completion, and all state counts."""
    container = Container(settings)
    query = sa.text(
        "SELECT COUNT(*), EXTRACT(EPOCH FROM MAX(updated_at) - MIN(updated_at))"
        " FROM robo_processing_status WHERE state = 'COMPLETED'"
    )
    try:
        async with container.engine.connect() as conn:
            count, span = (await conn.execute(query)).one()
            rows = await conn.execute(
                sa.text("SELECT state, COUNT(*) FROM robo_processing_status GROUP BY state")
            )
            states = {str(state): int(n) for state, n in rows}
    finally:
        await container.aclose()
    return int(count), float(span or 0.0), states


def worker_env(schema: str) -> dict[str, str]:
    """The worker process's settings, nothing else of ours inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBONOTES_")}
    env.update(
        ROBONOTES_DATABASE_URL=DATABASE_URL,
        ROBONOTES_DATABASE_SCHEMA=schema,
        ROBONOTES_REDIS_URL=REDIS_URL,
        ROBONOTES_REDIS_PREFIX=PREFIX,
        ROBONOTES_ROBO_PROVIDER="offline",
        ROBONOTES_LOG_LEVEL="WARNING",
    )
    return env


def run_worker(schema: str, *, concurrency: int, py_spy: Path | None) -> float:
    """One burst worker process to its end; return its wall time."""
    head = [sys.executable]
    if py_spy is not None:
        spy = str(Path(sys.executable).with_name("py-spy"))
        head = [spy, "record", "--format", "raw", "--rate", "250", "-o", str(py_spy), "--", *head]
    argv = [*head, "-m", "robonotes.cli.main", "worker", "--burst", "--processes", "1"]
    argv += ["--concurrency", str(concurrency)]
    started = time.perf_counter()
    subprocess.run(argv, env=worker_env(schema), check=True, timeout=600)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Set up, run one worker, print the figures, tear down."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--py-spy", type=Path, default=None, help="collapsed stacks of the worker")
    args = parser.parse_args(argv)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    flush_bench_db()
    asyncio.run(_sql(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade_database(DATABASE_URL, schema=schema)
        settings = settings_for(schema)
        asyncio.run(create_notes(settings, notes=args.notes, users=args.users))
        wall_s = run_worker(schema, concurrency=args.concurrency, py_spy=args.py_spy)
        completed, span_s, states = asyncio.run(completed_span(settings))
    finally:
        asyncio.run(_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        flush_bench_db()
    steady = (completed - 1) / span_s if span_s > 0 else float("nan")
    print(f"states: {states}")
    print(f"notes completed: {completed} of {args.notes} (concurrency {args.concurrency})")
    print(f"steady: {steady:,.1f} notes/s per worker process (first to last completion)")
    print(f"wall:   {completed / wall_s:,.1f} notes/s ({wall_s:.2f} s incl. start-up)")
    return 0 if completed == args.notes else 1


if __name__ == "__main__":
    sys.exit(main())
