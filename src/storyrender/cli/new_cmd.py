"""``storyrender new "PROMPT"``: one prompt becomes a commented board (and ``.gitignore``)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import handle_errors

__all__ = ["new"]


@click.command()
@click.argument("prompt")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--seconds", type=float, default=30.0, show_default=True, help="How long the video should be.")
@click.option("--style", default="cinematic", show_default=True, help="The look, added to every prompt.")
@click.option("--beats", type=int, default=None, help="How many beats (default: as many clips as fit).")
@click.option("--size", default="1280x720", show_default=True, help="WIDTHxHEIGHT of the video.")
@click.option("--fps", type=int, default=24, show_default=True)
@click.option("--writer", default=None, metavar="NAME[/MODEL]",
              help="Who writes the beats: openai, google, local (default: the first of openai, google whose "
                   "key is set; local with --offline).")
@click.option("--video", default="local", show_default=True, metavar="NAME[/MODEL]",
              help="The video model; beats are sized to the clip lengths it makes.")
@click.option("--offline", is_flag=True, help="Write with the built-in template writer (free, no key, no network).")
@click.option("--plan", "plan_only", is_flag=True, help="Say who would write it and what it costs; call nothing, write nothing.")
@click.option("--budget", type=float, default=None, metavar="USD", help="Refuse to write if the writing costs more.")
@click.option("--force", is_flag=True, help="Overwrite an existing board.yaml.")
@handle_errors
def new(prompt, directory, seconds, style, beats, size, fps, writer, video, offline, plan_only, budget, force):
    """Write a storyboard for PROMPT in DIRECTORY (default: here).

    \b
    The beats tell the prompt's story across --seconds, each with its own prompt,
    camera hint and caption, sized to the video model's clip lengths. The writing is a
    provider job (providers.writer): a text model (openai, google) answers in the
    storyboard's shape, or --offline uses the built-in template writer (a fixed
    progression, not a story). It is cached: the same prompt is never paid twice.

    \b
    Writes board.yaml (commented) and .gitignore; then:
      storyrender build --offline board.yaml     or    storyrender studio board.yaml

    Exit status: 0 written, 1 the writer failed or answered malformed JSON, 2 bad input
    (options, a missing key, --budget); nothing is written then.
    """
    from ..story import NewRequest, prepare_story
    from ..story.project import plan_new, write_new

    req = NewRequest(premise=prompt, seconds=seconds, style=style, beats=beats, size=size, fps=fps,
                     writer=writer, video=video, offline=offline)
    dest = Path(directory)
    job = prepare_story(req)
    total = sum(job.lengths)
    if plan_only:
        row = plan_new(dest, job)
        cost = "price unknown" if row["price_unknown"] else f"${row['estimate_usd']:.4f}"
        click.echo(f"{row['status']:<7} story  {row['provider']}/{row['model']}  {len(job.lengths)} beats "
                   f"({', '.join(f'{s:g}' for s in job.lengths)} s)  {cost}"
                   + (f"  ({row['reason']})" if row["reason"] else ""))
        return
    result = write_new(dest, req, force=force, budget=budget, job=job)
    click.echo(f"wrote {result.board} ({len(job.lengths)} beats, {result.total_seconds:g} s, "
               f"written by {job.writer.label})")
    if abs(total - seconds) > 1e-6:
        click.echo(f"note: {total:g} s, not {seconds:g} s: {job.video_label} makes clips of "
                   f"{', '.join(f'{d:g}' for d in job.lengths[:1])} s", err=True)
    if job.writer.provider.offline:
        click.echo("note: the offline writer is a template (a fixed progression), not a story: "
                   "rewrite the prompts, or use --writer openai/google", err=True)
    if result.gitignore is not None:
        click.echo(f"wrote {result.gitignore}")
    click.echo(f"next: storyrender build --offline {result.board}   or   storyrender studio {result.board}")
