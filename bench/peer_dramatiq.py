"""Dramatiq: RedisBroker and one Worker with `worker_threads` = concurrency; jobs time.sleep."""

from __future__ import annotations

import threading
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from bench.harness import REDIS_URL, Recorder, Scenario


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job, then run one Worker (threads, its only model) until the process ends."""
    broker = RedisBroker(url=REDIS_URL, namespace="bench")  # type: ignore[no-untyped-call]
    dramatiq.set_broker(broker)

    def bench_job() -> None:
        recorder.started()
        if scenario.sleep_s > 0:
            time.sleep(scenario.sleep_s)
        recorder.finished()

    actor = dramatiq.actor(actor_name="bench_job", queue_name="bench", broker=broker)(bench_job)
    for _ in range(scenario.jobs):
        actor.send()
    worker = dramatiq.Worker(broker, worker_threads=scenario.concurrency)
    worker.start()
    threading.Event().wait()  # bench.child ends the process once every job has finished
