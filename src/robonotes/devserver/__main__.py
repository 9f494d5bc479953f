"""`python -m robonotes.devserver --port 8089 [--latency-ms ..] [--fail-rate ..]`."""

from robonotes.devserver.cli import main

main()
