"""``storyrender providers``."""

from __future__ import annotations

import json

import click

from .common import handle_errors

__all__ = ["providers"]


def _options(p) -> list[dict] | None:
    if p.options_schema is None:
        return None
    return [{"name": o.name, "type": o.type.__name__, "default": o.default, "identity": o.identity,
             "choices": list(o.choices) if o.choices else None, "description": o.description}
            for o in p.options_schema]


def _lifecycle(m) -> dict:
    life = m.lifecycle
    return {"declared": life.status or None, "deprecated_on": life.deprecated_on or None,
            "shut_down_on": life.shut_down_on or None, "replacement": life.replacement or None,
            "source": life.source or None, "checked": life.checked or None, "text": life.describe(sources=False)}


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

    reg = load_registry()
    if check or boards:
        _check(reg, boards, as_json)
        return
    if markdown:
        click.echo(model_table(reg))
        return
    rows = []
    for p in reg:
        rows.append({
            "name": p.name, "description": p.description, "version": p.version, "offline": p.offline,
            "key_env": list(p.key_env), "key_set": p.has_key(), "reads": sorted(p.reads),
            "options": _options(p),
            "models": [{"name": m.name, "jobs": sorted(j.value for j in m.jobs),
                        "durations": list(m.limits.durations) if m.limits.durations else None,
                        "aspect_ratios": list(m.limits.aspect_ratios) if m.limits.aspect_ratios else None,
                        "price": {k: v for k, v in m.price.__dict__.items() if v not in (None, "")},
                        "status": m.status, "lifecycle": _lifecycle(m),
                        "description": m.description} for m in p.models],
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        key = "no key needed" if not r["key_env"] else (
            f"key: {' or '.join(r['key_env'])} ({'set' if r['key_set'] else 'NOT set'})")
        click.echo(f"{r['name']}  v{r['version']}  {key}")
        if r["description"]:
            click.echo(f"  {r['description']}")
        for m in r["models"]:
            lim = []
            if m["durations"]:
                lim.append("durations " + "/".join(f"{d:g}" for d in m["durations"]) + " s")
            if m["aspect_ratios"]:
                lim.append("aspect " + "/".join(m["aspect_ratios"]))
            price = m["price"]
            cost = ""
            if "per_image" in price:
                cost = f"${price['per_image']}/image"
            elif "per_second" in price:
                cost = f"${price['per_second']}/s"
            elif "per_call" in price:
                cost = f"${price['per_call']}/call"
            if cost and price.get("as_of"):
                cost += f" (as of {price['as_of']})"
            extra = "; ".join(x for x in (", ".join(lim), cost) if x)
            click.echo(f"  - {r['name']}/{m['name']}: {', '.join(m['jobs'])}  ({m['lifecycle']['text']})"
                       + (f"  [{extra}]" if extra else ""))
        if show_options:
            _echo_options(r)


def _echo_options(r: dict) -> None:
    if r["options"] is None:
        click.echo("  options: not declared (any option is accepted and is part of node keys)")
        return
    if not r["options"]:
        click.echo("  options: none")
        return
    click.echo("  options:")
    for o in r["options"]:
        kind = "output" if o["identity"] else "call only, not in keys"
        default = "" if o["default"] is None else f", default {o['default']!r}"
        choices = f", one of {', '.join(map(str, o['choices']))}" if o["choices"] else ""
        click.echo(f"    {o['name']}: {o['type']}{default}{choices} ({kind})")
        if o["description"]:
            click.echo(f"      {o['description']}")


def _check(reg, boards, as_json) -> None:
    import sys

    from ..spec import load_board
    from .check_models import check_models, models_named
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
        for r in rows:
            mark = "PROBLEM" if r["finding"] else ("ok" if r["asked"] else "-")
            text = r["finding"] or r["note"] or "served, as catalogued"
            click.echo(f"{mark:<8} {r['provider']}/{r['model']}: {text}")
        click.echo(f"{len(rows)} models, {len(bad)} with problems, "
                   f"{len([r for r in rows if not r['asked']])} not asked")
    if bad:
        sys.exit(EXIT_FAILED)


_STATUS_WORDS = {"ga": "GA", "preview": "preview", "deprecated": "deprecated", "shut_down": "shut down",
                 "unknown": "not published"}


def model_table(reg) -> str:
    """Every installed model as a Markdown table (provider/model, jobs, status, date, replacement)."""
    lines = ["| model | jobs | status (date; replacement) |", "|---|---|---|"]
    for p in reg:
        for m in p.models:
            life = m.lifecycle
            extra = [x for x in (life.shut_down_on, f"use {life.replacement}" if life.replacement else "") if x]
            jobs = ", ".join(sorted(j.value for j in m.jobs))
            status = _STATUS_WORDS[m.status] + (f" ({'; '.join(extra)})" if extra else "")
            lines.append(f"| `{p.name}/{m.name}` | {jobs} | {status} |")
    return "\n".join(lines)
