"""/metrics: Prometheus text with the queue's depth read at scrape time."""

from __future__ import annotations

import httpx
from apisupport import Person


async def test_metrics_report_the_queue_depth_read_at_scrape_time(
    client: httpx.AsyncClient, alice: Person
) -> None:
    for body in ("Ran 5k.", "Read a book."):
        await client.post("/v1/notes", json={"body": body}, headers=alice.headers)

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'robonotes_queue_depth{state="ready"} 2.0' in response.text
    assert "robonotes_jobs_claimed_total" in response.text
