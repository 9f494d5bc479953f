"""Robo adapters: the LLM extraction layer behind the `RoboService` port.

    schema.py          strict-mode JSON Schema of the extraction (pydantic models)
    prompts.py         the versioned prompt: static part first, the untrusted note last
    validation.py      structure check (re-ask once) and per-item checks (drop and count)
    tokens.py          offline token estimates for rate-limit reservations
    errors.py          openai SDK / HTTP failures -> the project's error tree
    openai_service.py  OpenAIService: OpenAI or any OpenAI-compatible server
    rate_limit.py      RedisRateLimiter and InProcessRateLimiter (RPM and TPM)
    metrics.py         Prometheus counters of calls, tokens and dropped items
    offline/           the offline baseline extractor

The `RoboService` protocol itself (with `ExtractionContext`) is in `services/ports.py`: the
services speak only to ports (DESIGN.md import rule 2), and these adapters implement it.
Nothing is imported here, so importing one module never pulls in the SDK or the NLP libraries.
"""
