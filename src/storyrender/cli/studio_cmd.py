"""``storyrender studio [BOARD]``: watch a board render in the browser, and edit it there."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["studio"]


@click.command()
@click.argument("board", required=False, type=click.Path(dir_okay=True))
@click.option("--offline", is_flag=True, help="Render everything with the built-in local provider (free).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1 lets other machines reach the studio (with the token).")
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@click.option("--budget", type=float, default=None, metavar="USD",
              help="Refuse a build whose estimate is over this; a running build never exceeds it.")
@click.option("-j", "--jobs", type=int, default=4, show_default=True, help="Nodes made at once.")
@handle_errors
def studio(board, offline, port, host, no_browser, budget, jobs):
    """Open BOARD in a local web app: beats as cards, plan, Build with live status.

    \b
    Without BOARD (or with a folder) it starts with a prompt form that writes
    board.yaml there (like `storyrender new`). Every action in the page edits the
    YAML (comments and layout kept, validated first); the page follows edits made
    in your editor. Only Build calls providers (and the form's Write, whose price
    the form shows first), and --budget holds.

    It prints its address, http://127.0.0.1:PORT/?token=...: every request needs that
    token. Files are served only from the board's outputs and cache.
    Needs the studio extra: pip install 'storyrender[studio]'.
    """
    try:
        import ruamel.yaml  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        click.echo(f"error: the studio needs {exc.name}: pip install 'storyrender[studio]'", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    from ..api import prepare
    from ..studio import serve

    path = Path(board) if board else None
    folder = Path(".")
    if path is not None and path.is_dir():
        folder, path = path, (path / "board.yaml" if (path / "board.yaml").is_file() else None)
    if path is not None:
        prepare(path, offline=offline)  # a bad board is refused here, exit 2, before anything listens
        folder = path.parent
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(f"WARNING: listening on {host}, not 127.0.0.1: other machines on this network can reach "
                    "the studio; anyone with the token can edit the board and start paid builds.", err=True,
                    fg="red", bold=True)

    def ready(url: str) -> None:
        click.echo(f"storyrender studio: {url}")
        click.echo("  (Ctrl-C stops it; every request needs the token in that address)")
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(path, folder=folder, offline=offline, budget=budget, host=host, port=port, on_ready=ready, jobs=jobs)
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
