"""``storyrender review``: rewrite a built board's review page and open it."""

from __future__ import annotations

import os
import sys

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["review", "can_open_browser"]

#: environment variables that mean "a CI job": never open a browser there
_CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD")


def can_open_browser() -> bool:
    """True when opening a browser makes sense: not CI, and (on Linux/BSD) a display exists."""
    if any(os.environ.get(v) for v in _CI_VARS):
        return False
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


@click.command()
@click.argument("board", type=click.Path(dir_okay=False))
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache directory (default .storyrender/ beside the storyboard, or $STORYRENDER_CACHE).")
@click.option("--no-open", is_flag=True, help="Write the page and print its path; do not open a browser.")
@handle_errors
def review(board, cache_dir, no_open):
    """Write BOARD's review page from its last build and open it in a browser.

    The page (out/<name>.html beside the video) shows the final video, each beat's keyframes,
    segment, prompt, seed, provider, cost and whether it came from the cache, plus a contact
    sheet of every keyframe. It works opened from disk: no server, no network. Prints its path.
    """
    from ..api import manifest_path, open_store
    from ..review import write_review
    from ..spec import load_board

    b = load_board(board)
    manifest = manifest_path(b)
    if not manifest.exists():
        click.echo(f"error: {b.display} has not been built yet (no {manifest.name}): "
                   f"run `storyrender build {board}` first", err=True)
        sys.exit(EXIT_BAD_INPUT)
    with open_store(b, cache_dir) as store:
        files = write_review(manifest, store)
    click.echo(str(files.html))
    if not no_open and can_open_browser():
        import webbrowser

        webbrowser.open(files.html.resolve().as_uri())
