"""A plugin offering one more output format (``mov``) and one more executor (``serial``).

``EXTRAS_LOG`` names a file each of them appends a line to when used.
"""

from __future__ import annotations

import os
import shutil

from storyrender import hookimpl
from storyrender.execute.executors import ExecutorEntry
from storyrender.execute.scheduler import ThreadExecutor
from storyrender.stitch.exporters import Exporter


def _note(line: str) -> None:
    with open(os.environ["EXTRAS_LOG"], "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _mov(request) -> None:
    shutil.copyfile(request.source, request.out)  # an MP4 is a QuickTime file
    _note(f"mov {request.source.name}")


class SerialExecutor(ThreadExecutor):
    def run(self, tasks, work, **kwargs):
        _note(f"serial {len(tasks)} jobs={self.jobs}")
        return super().run(tasks, work, **kwargs)


@hookimpl
def register_exporters(register):
    register(Exporter("mov", _mov, "a QuickTime copy of the MP4", version=os.environ.get("EXTRAS_MOV_VERSION", "1")))


@hookimpl
def register_executors(register):
    register(ExecutorEntry("serial", lambda jobs, address: SerialExecutor(1), "one node at a time"))
