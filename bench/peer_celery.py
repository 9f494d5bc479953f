"""Celery: one worker (`worker_main`) with the threads pool of `concurrency`; jobs time.sleep.

The threads pool is Celery's in-process pool for I/O-bound work that needs nothing beyond
Celery itself (gevent and eventlet need monkey-patching and extra packages). Results are
ignored (no result backend), as ours keep none; acks stay at Celery's default (on receipt).
"""

from __future__ import annotations

import time

from celery import Celery

from bench.harness import REDIS_URL, Recorder, Scenario


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job, then run one worker in this process until the process is ended."""
    app = Celery("bench", broker=REDIS_URL)
    app.conf.update(
        task_ignore_result=True,
        task_default_queue="bench",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="bench_job")
    def bench_job() -> None:
        recorder.started()
        if scenario.sleep_s > 0:
            time.sleep(scenario.sleep_s)
        recorder.finished()

    with app.producer_or_acquire() as producer:
        for _ in range(scenario.jobs):
            bench_job.apply_async(producer=producer)
    app.worker_main(
        argv=[
            "worker",
            "--pool=threads",
            f"--concurrency={scenario.concurrency}",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )
