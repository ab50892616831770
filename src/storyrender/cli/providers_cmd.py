"""``storyrender providers``."""

from __future__ import annotations

import json

import click

from .common import handle_errors

__all__ = ["providers"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def providers(as_json):
    """List installed providers, their models and what each can do."""

    from ..plugins.manager import load_registry

    reg = load_registry()
    rows = []
    for p in reg:
        rows.append({
            "name": p.name, "description": p.description, "version": p.version, "offline": p.offline,
            "key_env": list(p.key_env), "key_set": p.has_key(),
            "models": [{"name": m.name, "jobs": sorted(j.value for j in m.jobs),
                        "durations": list(m.limits.durations) if m.limits.durations else None,
                        "aspect_ratios": list(m.limits.aspect_ratios) if m.limits.aspect_ratios else None,
                        "price": {k: v for k, v in m.price.__dict__.items() if v not in (None, "")},
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
            click.echo(f"  - {r['name']}/{m['name']}: {', '.join(m['jobs'])}" + (f"  [{extra}]" if extra else ""))
