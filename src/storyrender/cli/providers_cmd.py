"""``storyrender providers``."""

from __future__ import annotations

import json

import click

from .common import handle_errors

__all__ = ["providers"]


@click.command()
@click.argument("boards", nargs=-1)
@click.option("--check", "check", is_flag=True,
              help="Ask each vendor (keys set) what it serves and report the models of BOARDS (default: every "
                   "catalogued model) that are retired, unknown to the vendor or priced differently; exit 1 when "
                   "any is. Calls the vendors' model-list endpoints only; a build never does this.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--markdown", is_flag=True, help="Every model as a Markdown table: jobs and lifecycle status "
                                               "(the README's model table is this output).")
@click.option("--options", "show_options", is_flag=True,
              help="Also list each provider's options (type, default, and whether it is part of node keys).")
@handle_errors
def providers(boards, check, as_json, markdown, show_options):
    """List installed providers, their models, what each can do and each model's lifecycle status.

    A model's status is preview, GA, deprecated (with its shutdown date) or shut down (with the
    replacement its vendor names), with where and when that was read; ``validate`` refuses a
    shut-down model and warns on a deprecated one.
    """

    from ..plugins.manager import load_registry
    from ..report.providers_text import catalogue, catalogue_lines, model_table

    reg = load_registry()
    if check or boards:
        _check(reg, boards, as_json)
        return
    if markdown:
        click.echo(model_table(reg))
        return
    rows = catalogue(reg)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for line in catalogue_lines(rows, show_options=show_options):
        click.echo(line)


def _check(reg, boards, as_json) -> None:
    import sys

    from ..report.providers_text import check_lines
    from ..spec import load_board
    from ..providers.vendor_check import check_models, models_named
    from .common import EXIT_FAILED, expand_boards

    if boards:
        pairs: set = set()
        for path in expand_boards(boards):
            pairs |= models_named(load_board(path), reg)  # BoardError: exit 2 (handle_errors)
    else:
        # every catalogued model still offered (the retired ones are kept only to name replacements)
        pairs = {(p.name, m.name) for p in reg for m in p.models if not p.offline and m.status != "shut_down"}
    rows = check_models(pairs, reg)
    bad = [r for r in rows if r["finding"]]
    if as_json:
        click.echo(json.dumps({"models": rows, "findings": len(bad)}, indent=2))
    else:
        for line in check_lines(rows):
            click.echo(line)
    if bad:
        sys.exit(EXIT_FAILED)
