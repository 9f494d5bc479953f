"""RQ: one SimpleWorker (runs jobs in its own process, no fork per job); one job at a time.

RQ has no in-process concurrency by design (more throughput means more worker processes), so
the scenario's concurrency does not apply and the ideal of the sleep scenario is 1 / sleep_s.
"""

from __future__ import annotations

import time

from redis import Redis
from rq import Queue, SimpleWorker

from bench.harness import REDIS_DB, REDIS_HOST, REDIS_PORT, Recorder, Scenario

ENQUEUE_CHUNK = 1_000
_state: dict[str, object] = {}
"""Recorder and sleep of this process: RQ imports the job function by its dotted name."""


def bench_job() -> None:
    """The job: tell the Recorder, wait `sleep_s` with time.sleep."""
    recorder, sleep_s = _state["recorder"], _state["sleep_s"]
    assert isinstance(recorder, Recorder)
    assert isinstance(sleep_s, float)
    recorder.started()
    if sleep_s > 0:
        time.sleep(sleep_s)
    recorder.finished()


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job (results not kept, as ours are not), then run one SimpleWorker."""
    _state.update(recorder=recorder, sleep_s=scenario.sleep_s)
    connection = Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    queue = Queue("bench", connection=connection)
    for start in range(0, scenario.jobs, ENQUEUE_CHUNK):
        count = min(ENQUEUE_CHUNK, scenario.jobs - start)
        queue.enqueue_many([Queue.prepare_data(bench_job, result_ttl=0) for _ in range(count)])
    SimpleWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
