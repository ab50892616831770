"""What ``storyrender providers`` prints: the installed providers and models (text, ``--json`` rows,
the Markdown model table) and the findings of ``--check``."""

from __future__ import annotations

__all__ = ["catalogue", "catalogue_lines", "model_table", "check_lines"]


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


def catalogue(reg) -> list[dict]:
    """Every installed provider with its models, options and lifecycle (the ``--json`` rows)."""
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
    return rows


def catalogue_lines(rows: list[dict], *, show_options: bool) -> list[str]:
    out: list[str] = []
    for r in rows:
        key = "no key needed" if not r["key_env"] else (
            f"key: {' or '.join(r['key_env'])} ({'set' if r['key_set'] else 'NOT set'})")
        out.append(f"{r['name']}  v{r['version']}  {key}")
        if r["description"]:
            out.append(f"  {r['description']}")
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
            out.append(f"  - {r['name']}/{m['name']}: {', '.join(m['jobs'])}  ({m['lifecycle']['text']})"
                       + (f"  [{extra}]" if extra else ""))
        if show_options:
            out += _option_lines(r)
    return out


def _option_lines(r: dict) -> list[str]:
    out: list[str] = []
    if r["options"] is None:
        return ["  options: not declared (any option is accepted and is part of node keys)"]
    if not r["options"]:
        return ["  options: none"]
    out.append("  options:")
    for o in r["options"]:
        kind = "output" if o["identity"] else "call only, not in keys"
        default = "" if o["default"] is None else f", default {o['default']!r}"
        choices = f", one of {', '.join(map(str, o['choices']))}" if o["choices"] else ""
        out.append(f"    {o['name']}: {o['type']}{default}{choices} ({kind})")
        if o["description"]:
            out.append(f"      {o['description']}")
    return out


def check_lines(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        mark = "PROBLEM" if r["finding"] else ("ok" if r["asked"] else "-")
        out.append(f"{mark:<8} {r['provider']}/{r['model']}: {r['finding'] or r['note'] or 'served, as catalogued'}")
    bad = len([r for r in rows if r["finding"]])
    out.append(f"{len(rows)} models, {bad} with problems, {len([r for r in rows if not r['asked']])} not asked")
    return out


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
