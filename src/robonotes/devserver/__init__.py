"""A local OpenAI-compatible server of the project's own, for tests, the demo and benchmarks.

It answers the chat completions the official `openai` SDK sends with plausible extractions of
the note in the prompt, and can be told to be slow, rate-limit, fail, hang or lie (see
`faults.Fault` and `faults.FaultPlan`). Run it with `python -m robonotes.devserver --port 8089`
or `robonotes devserver`; start it from code with `control.start_in_thread()` or
`control.start_process()`.
"""

from __future__ import annotations

from robonotes.devserver.faults import Fault, FaultPlan

__all__ = ["Fault", "FaultPlan"]
