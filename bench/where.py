"""Where a worker's time goes: sum py-spy's collapsed stacks by layer.

    python -m bench.where STACKS_FILE

py-spy records busy samples only (no --idle), so the shares are of CPU time. Three views:
- by library: the innermost frame that is not the standard library;
- by layer and by module of ours: the innermost `robonotes` frame (what our code asked for);
  "cli" there means the event loop itself (callbacks run with no other frame of ours).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"\((?P<path>[^:()]+)(?::\d+)?\)$")
LIBRARIES = ("sqlalchemy", "asyncpg", "redis", "prometheus_client", "pydantic", "structlog")
IDLE = ("select", "poll", "epoll")


def frame_path(frame: str) -> str:
    """The file of one 'function (path:line)' frame, with a leading / so parts match alike."""
    match = FRAME.search(frame.strip())
    return "/" + match.group("path").lstrip("/") if match else ""


def library_of(frames: list[str]) -> str:
    """The layer a sample spent its time in, judged from the innermost frame outwards."""
    leaf = frames[-1].split(" ", 1)[0] if frames else ""
    if leaf in IDLE:
        return "idle (waiting on sockets)"
    for frame in reversed(frames):
        path = frame_path(frame)
        for library in LIBRARIES:
            if f"/{library}/" in path:
                return library
        if "/robonotes/" in path:
            return "robonotes (own code)"
    return "python stdlib (asyncio, json, ...)"


def ours_of(frames: list[str]) -> str:
    """The innermost robonotes module on the stack, e.g. robonotes/robo/offline/people.py.

    SQLAlchemy runs its sync core in a greenlet whose stack shows none of our frames: storage.
    """
    paths = [frame_path(frame) for frame in frames if frame]
    for path in reversed(paths):
        if "/robonotes/" in path:
            return "robonotes/" + path.split("/robonotes/", 1)[1]
    if any("/sqlalchemy/" in path for path in paths):
        return "robonotes/storage/(SQLAlchemy greenlet)"
    return "(no Python frame)" if not paths else "(no robonotes frame)"


def layer_of(module: str) -> str:
    """robonotes/storage/uow.py -> storage."""
    parts = module.split("/")
    return parts[1] if len(parts) > 2 else module


def summarise(lines: list[str]) -> tuple[Counter[str], Counter[str], int]:
    """Sample counts by library and by our module, and the total."""
    by_library: Counter[str] = Counter()
    by_ours: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames, count = stack.split(";"), int(count_text)
        total += count
        by_library[library_of(frames)] += count
        by_ours[ours_of(frames)] += count
    return by_library, by_ours, total


def main(argv: list[str]) -> int:
    """Print both views."""
    by_library, by_ours, total = summarise(Path(argv[0]).read_text("utf-8").splitlines())
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples\n\nby library:")
    for name, count in by_library.most_common():
        print(f"  {100 * count / total:5.1f}%  {name}")
    by_layer: Counter[str] = Counter()
    for module, count in by_ours.items():
        by_layer[layer_of(module)] += count
    print("\nby layer of ours:")
    for name, count in by_layer.most_common():
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\nby module of ours (top 15):")
    for name, count in by_ours.most_common(15):
        print(f"  {100 * count / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
