"""Saying what a build made, from its report document (``build --json``'s): the output paths on
stdout, the continuity line and warnings on stderr, the document itself (``--json``, ``--report``).
The same words whether the build ran now or was a remembered no-op (:mod:`storyrender.uptodate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["say_result", "say_remembered", "emit"]


def say_result(doc: dict[str, Any], *, as_json: bool, quiet: bool, report_file: str | None) -> int:
    """Print what the run made; its exit status."""
    for board in doc["boards"]:
        if board["outputs"].get("mp4") and not as_json:
            click.echo(board["outputs"]["mp4"])
            if board["continuity"] and not quiet:
                from ..continuity.analyze import summary_line

                click.echo(summary_line(board["continuity"]), err=True)
    for w in dict.fromkeys(w for board in doc["boards"] for w in board["warnings"]):
        click.echo(f"warning: {w}", err=True)
    emit(doc, as_json=as_json, report_file=report_file)
    return doc["exit_code"]


def say_remembered(remembered: dict[str, Any], *, as_json: bool, quiet: bool, report_file: str | None) -> int:
    """A remembered no-op (:func:`storyrender.uptodate.replay`): the progress lines its build printed, then
    :func:`say_result`."""
    doc = remembered["doc"]
    if not (quiet or as_json):
        from .console import noop_lines

        for line in noop_lines(doc, remembered["graph_nodes"], remembered["previz"]):
            click.echo(line, err=True)
    return say_result(doc, as_json=as_json, quiet=quiet, report_file=report_file)


def emit(doc: dict[str, Any], *, as_json: bool, report_file: str | None) -> None:
    """The document on stdout (*as_json*) and in *report_file*."""
    from ..atomic import write_text
    from .documents import to_json

    text = to_json(doc)
    if as_json:
        click.echo(text)
    if report_file:
        write_text(Path(report_file), text + "\n")
