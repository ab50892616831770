"""Write a new project: the board a story makes, validated before it replaces anything."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BoardError
from .board_text import board_text
from .write import NewRequest, StoryJob, plan_story, prepare_story, run_story

__all__ = ["write_new", "plan_new", "NewResult"]


@dataclass
class NewResult:
    board: Path
    gitignore: Path | None
    job: StoryJob
    total_seconds: float


def plan_new(dest: Path, job: StoryJob) -> dict[str, Any]:
    """The writing's plan row against the cache *dest*'s board would use (calls nothing, writes nothing)."""
    from ..cache.store import Store, default_cache_dir

    with Store(default_cache_dir(dest)) as store:
        return plan_story(job, store)


def write_new(dest: Path, req: NewRequest, *, name: str = "board.yaml", force: bool = False, events: Any = None,
              budget: float | None = None, registry=None, job: StoryJob | None = None) -> NewResult:
    """Write *req*'s story as ``dest/name`` (and ``.gitignore``); nothing is written on any error."""
    from ..cache.store import Store, default_cache_dir
    from .project_files import gitignore_update as _gitignore_update, write_schema_copy
    from ..spec import load_board
    from ..atomic import write_text

    board = dest / name
    if board.exists() and not force:
        raise BoardError(f"{board} already exists; not overwriting it", file="storyrender new",
                         hint="Use --force to replace it, or give another directory.")
    if dest.exists() and not dest.is_dir():
        raise BoardError(f"{dest} is not a directory", file="storyrender new")
    job = job or prepare_story(req, registry)
    store = Store(default_cache_dir(dest))
    try:
        story = run_story(job, store, events=events, budget=budget)
    finally:
        store.close()
    w, h = req.width_height
    text = board_text(dest, story, premise=" ".join(req.premise.split()), style=" ".join(req.style.split()),
                      size=f"{w}x{h}", fps=req.fps, lengths=job.lengths, writer=job.writer.label,
                      video=job.video_label, template=job.writer.provider.offline)
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".{name}.{os.getpid()}.check.yaml"
    try:
        tmp.write_text(text, "utf-8")
        checked = load_board(tmp)  # the written board must validate (it always should: the answer was checked)
        total = sum(b.seconds for b in checked.beats)
        os.replace(tmp, board)
    finally:
        if tmp.exists():
            tmp.unlink()
    write_schema_copy(dest)  # what the board's $schema line names, when outside a checkout
    gi = dest / ".gitignore"
    new = _gitignore_update(gi)
    if new is not None:
        write_text(gi, new)
    return NewResult(board, gi if new is not None else None, job, total)
