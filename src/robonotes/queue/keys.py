"""Every Redis key name of the queue in one place; one hash tag keeps them on one slot."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_QUEUE_NAME = "notes"


@dataclass(frozen=True, slots=True)
class QueueKeys:
    """The key names of one queue: `<prefix>:{<queue>}:<part>`."""

    prefix: str = "robonotes"
    queue: str = DEFAULT_QUEUE_NAME

    @property
    def base(self) -> str:
        """The common start of every key, hash tag included (scripts build job keys from it)."""
        return f"{self.prefix}:{{{self.queue}}}:"

    @property
    def ready(self) -> str:
        """List of ids ready to run: LPUSH to add, RPOP to take (FIFO)."""
        return self.base + "ready"

    @property
    def delayed(self) -> str:
        """Zset of ids by due time (ms)."""
        return self.base + "delayed"

    @property
    def leases(self) -> str:
        """Zset of claimed ids by lease deadline (ms)."""
        return self.base + "leases"

    @property
    def dlq(self) -> str:
        """Zset of dead ids by time of death (ms)."""
        return self.base + "dlq"

    @property
    def stats(self) -> str:
        """Hash of counters (enqueued, claimed, completed, ...)."""
        return self.base + "stats"

    @property
    def wake(self) -> str:
        """List idle workers BLPOP on; every change that makes work ready pushes to it."""
        return self.base + "wake"

    @property
    def workers(self) -> str:
        """Zset of worker ids by heartbeat expiry (ms), for counting live workers."""
        return self.base + "workers"

    def job(self, job_id: str) -> str:
        """Hash of one job."""
        return f"{self.base}job:{job_id}"

    def idem(self, note_id: int, version: int) -> str:
        """String holding the live job id of one note version."""
        return f"{self.base}idem:{note_id}:{version}"

    def worker(self, worker_id: str) -> str:
        """Heartbeat string of one worker, with expiry."""
        return f"{self.base}worker:{worker_id}"

    def worker_jobs(self, worker_id: str) -> str:
        """Set of the ids one worker holds leases on, so a heartbeat can extend them all."""
        # A prefix of its own: a worker id may contain ":" and must not collide with worker:<id>.
        return f"{self.base}wjobs:{worker_id}"
