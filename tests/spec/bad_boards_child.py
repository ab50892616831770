"""Run ``storyrender ARGS`` in this process under hard limits, for the bad-board corpus test.

``python tests/bad_boards_child.py REPORT ARGS...``: memory (RLIMIT_AS) and CPU time (RLIMIT_CPU)
are capped before storyrender is imported; an audit hook records every socket connection or
name lookup into REPORT (JSON lines) and refuses it, so a network attempt is seen even when the
code under test swallows the error.
"""

from __future__ import annotations

import json
import os
import resource
import sys

MEMORY = 1 << 30  # 1 GiB
CPU_SECONDS = 20


def main() -> None:
    report, args = sys.argv[1], sys.argv[2:]
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))

    def audit(event: str, details: tuple) -> None:
        if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
            with open(report, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"event": event, "args": repr(details)[:200]}) + "\n")
            if event != "socket.getaddrinfo" or str(details[0]) not in ("", "localhost"):
                raise OSError("network access is not allowed in this test")

    sys.addaudithook(audit)
    from storyrender.cli.main import cli

    os.environ.setdefault("COLUMNS", "120")
    cli.main(args=args, prog_name="storyrender")


if __name__ == "__main__":
    main()
