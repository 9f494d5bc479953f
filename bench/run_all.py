"""Run every system on both scenarios, interleaved, and print the medians side by side.

    python -m bench.run_all [--repeats 3] [--only SYSTEM ...] [--scenario noop|sleep ...]

Each repeat runs every (scenario, system) pair once, in an order rotated per repeat, so load
drift (another test suite on the machine) hits every system alike. The tables are Markdown, to
paste into docs/benchmarks.md; the raw runs go to a JSON file under /tmp (never committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench.harness import Measurement, Scenario, Summary, run_child, summarise

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ("robonotes", "arq", "saq", "taskiq", "dramatiq", "rq", "celery")
OURS = "robonotes"
SCENARIOS = {
    "noop": Scenario("noop", jobs=20_000, sleep_s=0.0, concurrency=100),
    "sleep": Scenario("sleep", jobs=2_000, sleep_s=0.5, concurrency=100),
}
JOBS_OVERRIDE = {("rq", "noop"): 3_000, ("rq", "sleep"): 20}
"""RQ runs one job at a time: fewer jobs keep its runs to ~10 s (jobs/s does not depend on it)."""
PYTHONS = {"arq": ".venv-bench-arq/bin/python", "celery": ".venv-bench-celery/bin/python"}
"""Peers whose pins clash with the project's run from venvs of their own (see the Makefile)."""
TIMEOUT_S = 240.0
TARGET_NOOP_RATIO = 2.0
TARGET_SLEEP_IDEAL = 0.98
RESULTS_DIR = Path("/tmp/robonotes-bench")


def scenario_for(system: str, name: str) -> Scenario:
    """The scenario as run by `system` (only the job count may differ)."""
    base = SCENARIOS[name]
    jobs = JOBS_OVERRIDE.get((system, name), base.jobs)
    return Scenario(base.name, jobs=jobs, sleep_s=base.sleep_s, concurrency=base.concurrency)


def python_for(system: str) -> str:
    """The interpreter whose venv holds `system`."""
    path = PYTHONS.get(system)
    return sys.executable if path is None else str(ROOT / path)


def run_matrix(
    systems: list[str], names: list[str], repeats: int
) -> dict[tuple[str, str], list[Measurement]]:
    """Every pair `repeats` times, interleaved; prints one line per run as it goes."""
    runs: dict[tuple[str, str], list[Measurement]] = {(s, n): [] for s in systems for n in names}
    for repeat in range(repeats):
        order = systems[repeat % len(systems) :] + systems[: repeat % len(systems)]
        for name in names:
            for system in order:
                scenario = scenario_for(system, name)
                load = os.getloadavg()[0]
                result = run_child(
                    system, scenario, timeout_s=TIMEOUT_S, python=python_for(system), cwd=ROOT
                )
                runs[(system, name)].append(result)
                shown = f"{result.jobs_per_s:,.0f} jobs/s" if result.jobs_per_s else result.error
                print(f"[{repeat + 1}/{repeats}] {name:5} {system:9} {shown} (load {load:.2f})")
    return runs


def ratio_text(ours: float | None, peer: float | None) -> str:
    """Ours / peer, as shown in the table."""
    return f"{ours / peer:.2f}x" if ours and peer else "-"


def table(name: str, summaries: list[Summary]) -> str:
    """One Markdown table: median jobs/s, ours / peer, and for sleep the share of the ideal."""
    ideal = SCENARIOS[name].ideal_jobs_per_s
    ours = next((s.median_jobs_per_s for s in summaries if s.system == OURS), None)
    head = "| system | jobs | median jobs/s | runs (jobs/s) | ours / system |"
    rule = "| --- | ---: | ---: | --- | ---: |"
    if ideal:
        head, rule = head + f" % of ideal {ideal:.0f}/s |", rule + " ---: |"
    lines = [head, rule]
    for s in summaries:
        median = f"{s.median_jobs_per_s:,.1f}" if s.median_jobs_per_s else f"failed: {s.error}"
        runs = ", ".join(f"{r:,.0f}" for r in s.runs)
        ratio = ratio_text(ours, s.median_jobs_per_s)
        row = f"| {s.system} | {s.jobs:,} | {median} | {runs} | {ratio} |"
        if ideal:
            share = f"{100 * s.median_jobs_per_s / ideal:.1f}%" if s.median_jobs_per_s else "-"
            row += f" {share} |"
        lines.append(row)
    return "\n".join(lines)


def verdict(name: str, summaries: list[Summary]) -> str:
    """Whether ours meets the issue's target on this scenario."""
    ours = next((s.median_jobs_per_s for s in summaries if s.system == OURS), None)
    peers = [s.median_jobs_per_s for s in summaries if s.system != OURS and s.median_jobs_per_s]
    if ours is None:
        return f"{name}: ours did not run"
    if name == "noop":
        if not peers:
            return "noop: no peer ran"
        best = max(peers)
        met = "MET" if ours >= TARGET_NOOP_RATIO * best else "NOT MET"
        return f"noop: ours / best peer = {ours / best:.2f}x (target 2x): {met}"
    ideal = SCENARIOS[name].ideal_jobs_per_s or 1.0
    met = "MET" if ours >= TARGET_SLEEP_IDEAL * ideal else "NOT MET"
    return f"sleep: ours = {100 * ours / ideal:.1f}% of ideal (target 98%): {met}"


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run, print tables and verdicts, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", choices=SYSTEMS, help="repeatable")
    parser.add_argument("--scenario", action="append", choices=tuple(SCENARIOS), help="repeatable")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default under /tmp)")
    args = parser.parse_args(argv)
    systems = [s for s in SYSTEMS if not args.only or s in args.only]
    names = args.scenario or list(SCENARIOS)
    started = time.time()
    runs = run_matrix(systems, names, args.repeats)
    report: dict[str, object] = {
        "started_at": started,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repeats": args.repeats,
        "load_after": os.getloadavg(),
        "scenarios": {},
    }
    for name in names:
        summaries = [summarise(s, scenario_for(s, name), runs[(s, name)]) for s in systems]
        print(f"\n## {name}\n\n{table(name, summaries)}\n\n{verdict(name, summaries)}")
        report["scenarios"][name] = [s.to_dict() for s in summaries]  # type: ignore[index]
    out = args.out or RESULTS_DIR / f"queue-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), "utf-8")
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
