"""Use cases: they speak to ports only, never to storage, queue or robo adapters."""
