"""The review page's continuity section: every join, worst first, with the two frames that meet
side by side, and each keyframe's drift (scores from :mod:`storyrender.continuity`).

Frames are taken from the final video (the frames actually in it) and remembered as thumbnails
by the video's key and frame number, so a no-op rebuild decodes nothing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["join_frames", "render_joins"]

THUMB = 240


def join_frames(video: Path, wanted: set[int]) -> dict[int, Any]:
    """PIL images of *video*'s frames at the indices *wanted*."""
    import av

    out: dict[int, Any] = {}
    if not wanted:
        return out
    last = max(wanted)
    with av.open(str(video)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i in wanted:
                out[i] = frame.to_image()
            if i >= last:
                break
    return out


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def render_joins(continuity: Mapping[str, Any] | None, thumb: Callable[[int], str | None], board: str) -> str:
    """The section's HTML (empty without scores). *thumb(frame)* gives a frame's data URI."""
    if not continuity:
        return ""
    seams = sorted(continuity.get("seams") or [], key=lambda j: j["score"])
    min_seam = (continuity.get("summary") or {}).get("min_seam_default", 0.5)
    cards = []
    for j in seams:
        a, b = j["frames"]
        bad = j["score"] < min_seam
        imgs = "".join(
            (f'<img class="jthumb" src="{_e(uri)}" alt="frame {f}" decoding="async">' if uri
             else '<div class="missing">frame not available</div>')
            for f, uri in ((a, thumb(a)), (b, thumb(b))))
        cards.append(
            f'<figure class="join{" bad" if bad else ""}"><div class="pair">{imgs}</div><figcaption>'
            f'<b>{j["from_beat"]} → {j["to_beat"]}</b> seam <b>{j["score"]:.2f}</b>'
            f'{" · under " + format(min_seam, "g") if bad else ""} · {_e(j["transition"])} · '
            f'<button type="button" data-seek="{float(j["time"]):.3f}" '
            f'title="storyrender explain {_e(board)} --at {float(j["time"]):.2f}">{float(j["time"]):.2f} s</button>'
            f'<br><span class="sub">change {j["residual"]:.3f} beyond motion vs {j["residual_inside"]:.3f} '
            f'inside the shots</span></figcaption></figure>')
    rows = "".join(
        f'<tr{" class=bad" if d.get("jump") else ""}><td>{d["keyframe"]}</td><td>{d["beat"]}</td>'
        f'<td class="r">{d["drift"]:.2f}</td><td class="r">{d["colour"]:.2f}</td><td class="r">{d["structure"]:.2f}</td>'
        f'<td class="r">{d.get("step", 0.0):.2f}{" jump" if d.get("jump") else ""}</td>'
        f'<td>{_e(", ".join(f"{n} {v:.2f}" for n, v in (d.get("characters") or {}).items()))}</td></tr>'
        for d in continuity.get("drift") or [])
    table = (f'<table class="drift"><thead><tr><th>keyframe</th><th>beat</th><th class="r">drift</th>'
             f'<th class="r">colour</th><th class="r">structure</th><th class="r">step</th>'
             f'<th>colour vs character</th></tr></thead><tbody>{rows}</tbody></table>' if rows else "")
    return (f'<section class="continuity" aria-label="continuity"><h2>Joins, worst first</h2>'
            f'<div class="joins">{"".join(cards) or "<p>one beat: no joins</p>"}</div>'
            f'<h2>Drift per keyframe</h2>{table}</section>')


JOIN_CSS = (".joins{display:flex;flex-wrap:wrap;gap:12px}.join{margin:0;padding:8px;border:1px solid #3334;"
            "border-radius:8px}.join.bad{border-color:#c33}.join .pair{display:flex;gap:2px}"
            ".join .jthumb{width:160px}.drift td,.drift th{padding:2px 8px}.drift tr.bad{color:#c33}")
