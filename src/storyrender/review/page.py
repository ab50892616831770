"""The review page as one HTML string, from a :class:`~storyrender.review.model.PageView` (pure).

Self-contained for ``file://``: inline CSS, one small inline script (allowed by its hash in
the page's Content-Security-Policy, which also forbids any network fetch), thumbnails as data
URIs, videos and the contact sheet referenced relatively. Every string that comes from a
storyboard or a provider goes through :func:`html.escape`; prompts get ``dir="auto"`` so
right-to-left text reads correctly without disturbing the layout.
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any, Iterable

from .joins import JOIN_CSS
from .model import BeatView, NodeView, PageView

__all__ = ["render_page", "PREVIZ_NOTE", "MP4_TYPE"]

PREVIZ_NOTE = "animatic (previz), not AI imagery"
#: the final MP4's type for <source> (H.264 High + AAC): a browser without H.264 skips it
MP4_TYPE = 'video/mp4; codecs="avc1.640028, mp4a.40.2"'
#: segments beyond this many load nothing until played (browsers cap simultaneous media loads)
EAGER_SEGMENTS = 24


def e(value: Any) -> str:
    """Escape *value* for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _money(x: float | None) -> str:
    if x is None:
        return "-"
    return f"${x:.3f}" if 0 < abs(x) < 0.01 else f"${x:.2f}"


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60)
    return f"{int(m)}:{s:04.1f}"


def _dur(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"
    m, s = divmod(seconds, 60)
    return f"{int(m)} min {s:.0f} s"


_CSS = """
:root{--bg:#0e1014;--card:#171a21;--card2:#1d2129;--line:#2a2f3a;--text:#e9ebf0;--muted:#9aa1b2;
--accent:#ffc457;--ok:#4ade80;--cache:#5cc8ff;--bad:#ff6b6b;--radius:14px}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
body{margin:0 auto;max-width:1240px;padding:28px 28px 48px}
a{color:var(--cache)}
h1{font-size:28px;line-height:1.2;margin:4px 0 6px;overflow-wrap:anywhere}
h2{font-size:18px;margin:36px 0 14px;color:var(--text)}
h3{font-size:16px;margin:0;overflow-wrap:anywhere}
.brand{font-size:12px;letter-spacing:.14em;text-transform:uppercase;color:var(--muted)}
.meta{color:var(--muted);margin:0;display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center}
.pill{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;
border:1px solid currentColor;white-space:nowrap}
.pill.ok,.pill.rendered{color:var(--ok)}.pill.cached{color:var(--cache)}
.pill.failed,.pill.interrupted,.pill.skipped{color:var(--bad)}.pill.previz{color:var(--accent)}
.notice{margin:18px 0 0;padding:12px 16px;border-radius:var(--radius);border:1px solid #5c4a1e;
background:#2a2312;color:#ffe2a3}
.notice strong{color:var(--accent)}
.notice.bad{border-color:#6b2a2a;background:#2a1414;color:#ffc9c9}
.film{margin:20px auto 0;max-width:calc(58vh * var(--ratio));background:#000;border-radius:var(--radius);overflow:hidden;border:1px solid var(--line)}
.film video{display:block;width:100%;aspect-ratio:var(--aspect);background:#000}
.film .none{padding:60px 20px;text-align:center;color:var(--muted)}
.chapters{display:flex;flex-wrap:wrap;gap:8px;padding:12px;background:var(--card);border-top:1px solid var(--line)}
.chapters button{all:unset;cursor:pointer;padding:4px 10px;border-radius:8px;background:var(--card2);
color:var(--text);font-size:13px;border:1px solid var(--line);max-width:260px;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis}
.chapters button:hover,.chapters button:focus-visible{border-color:var(--accent)}
.chapters b{color:var(--accent);margin-right:6px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-top:20px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:12px 14px}
.stat .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.08em}
.stat .v{font-size:22px;font-weight:650;margin-top:2px}
.stat .s{font-size:12px;color:var(--muted)}
.beats{display:grid;gap:16px}
.characters{grid-template-columns:repeat(auto-fill,minmax(180px,240px))}
.character{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:10px}
.character p{font-size:13px;margin:6px 0 0}
.beat{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:16px;
display:grid;grid-template-columns:minmax(0,7fr) minmax(0,5fr);gap:16px 20px}
.beat>header{grid-column:1/-1;display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px}
.num{display:inline-grid;place-items:center;min-width:30px;height:30px;padding:0 8px;border-radius:9px;
background:var(--accent);color:#1a1406;font-weight:800}
.when{color:var(--muted);font-variant-numeric:tabular-nums;font-size:13px}
.badges{margin-left:auto;display:flex;gap:8px}
.media{display:grid;grid-template-columns:1fr 1fr 1.6fr;gap:10px;align-items:start}
figure{margin:0}
figure img,figure video,.missing{display:block;width:100%;aspect-ratio:var(--aspect);object-fit:contain;
background:#000;border-radius:9px;border:1px solid var(--line)}
.missing{display:grid;place-items:center;color:var(--muted);font-size:12px;text-align:center;padding:6px}
figcaption{font-size:12px;color:var(--muted);margin-top:4px;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
.prompt{margin:0;padding:10px 12px;background:var(--card2);border-left:3px solid var(--accent);
border-radius:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:10px 0 0;font-size:13px}
.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;font-size:12.5px;margin-top:10px;font-variant-numeric:tabular-nums}
th{font-weight:600;color:var(--muted);text-align:left;border-bottom:1px solid var(--line);padding:3px 6px 3px 0}
td{padding:3px 6px 3px 0;border-bottom:1px solid #20242c;vertical-align:top;overflow-wrap:anywhere}
td.r,th.r{text-align:right;white-space:nowrap}
.src-rendered{color:var(--ok)}.src-cached{color:var(--cache)}.src-failed,.src-skipped{color:var(--bad)}
.err{color:#ffc9c9;font-size:12px}
.sub{color:var(--muted);font-size:11.5px}
.contact img{display:block;max-width:100%;border-radius:var(--radius);border:1px solid var(--line)}
footer{margin-top:36px;color:var(--muted);font-size:13px;display:flex;flex-wrap:wrap;gap:6px 16px}
@media (max-width:860px){.beat{grid-template-columns:1fr}.media{grid-template-columns:1fr 1fr}
.media figure:last-child{grid-column:1/-1}}
@media (max-width:560px){body{padding:16px 14px 32px}h1{font-size:22px}.film{border-radius:0}}
"""

# Seek the final video from the chapter buttons; say so when the browser cannot play H.264.
_SCRIPT = """
(function(){var v=document.getElementById("film");if(!v)return;
document.querySelectorAll("[data-seek]").forEach(function(b){b.addEventListener("click",function(){
v.currentTime=parseFloat(b.getAttribute("data-seek"))||0;var pr=v.play();if(pr)pr.catch(function(){});v.scrollIntoView({behavior:"smooth",block:"center"});});});
var ok=Array.prototype.some.call(v.querySelectorAll("source"),function(s){return v.canPlayType(s.type)!=="";});
if(!ok){var n=document.getElementById("codec-note");if(n)n.hidden=false;}})();
"""


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def _thumb(uri: str | None, alt: str, caption: str) -> str:
    img = (f'<img class="thumb" src="{e(uri)}" alt="{e(alt)}" decoding="async">' if uri
           else '<div class="missing">not in the cache</div>')
    return f'<figure>{img}<figcaption title="{e(caption)}">{e(caption)}</figcaption></figure>'


def render_characters(characters: list, thumb) -> str:
    """The characters section: each one's reference image (what providers that take references receive), its
    description and its beats. *thumb* maps a reference path (relative to the page) to a data URI or None."""
    if not characters:
        return ""
    cards = []
    for c in characters:
        ref = c.get("reference") or None
        uri = thumb(ref["path"]) if ref else None
        caption = f"{c.get('name', '')} · beats {', '.join(map(str, c.get('beats') or [])) or 'none'}"
        alt = f"reference image of {c.get('name', '')}" if ref else "no reference image"
        fig = _thumb(uri, alt, caption) if ref else f'<figure><div class="missing">no reference image</div>' \
            f'<figcaption>{e(caption)}</figcaption></figure>'
        cards.append(f'<div class="character" data-character="{e(c.get("name", ""))}">{fig}'
                     f'<p dir="auto">{e(c.get("description", ""))}</p></div>')
    return f'<h2>Characters</h2><section class="characters beats">{"".join(cards)}</section>'


def _segment(b: BeatView, eager: bool) -> str:
    caption = f"segment · {b.seconds:g} s"
    if not b.segment_src:
        return f'<figure><div class="missing">segment not in the cache</div><figcaption>{e(caption)}</figcaption></figure>'
    poster = f' poster="{e(b.start_thumb)}"' if b.start_thumb else ""  # the beat's first keyframe
    return (f'<figure><video class="segment" src="{e(b.segment_src)}"{poster} controls muted playsinline loop '
            f'preload="{"metadata" if eager else "none"}"></video>'
            f'<figcaption>{e(caption)} · <a href="{e(b.segment_src)}">open</a></figcaption></figure>')


def _source(n: NodeView) -> tuple[str, str]:
    if n.status == "rendered":
        return "rendered", "rendered"
    if n.cached:
        return "cached", "from cache"
    return n.status or "-", n.status or "-"


def _node_rows(nodes: Iterable[NodeView]) -> str:
    rows = []
    for n in nodes:
        cls, word = _source(n)
        if n.status == "rendered":
            cost = _money(n.cost_usd)
            took = f"{n.seconds:.1f} s"
        elif n.cached:
            cost = "$0.00" + (f' <span class="sub">(made for {_money(n.cost_usd)})</span>' if n.cost_usd else "")
            took = "-"
        else:
            cost, took = "-", "-"
        rows.append(f'<tr><td>{e(n.label)}</td><td>{e(n.who)}</td><td class="src-{e(cls)}">{e(word)}</td>'
                    f'<td class="r">{took}</td><td class="r">{cost}</td></tr>')
        if n.error:
            rows.append(f'<tr><td colspan="5" class="err">{e(n.error)}</td></tr>')
    return "".join(rows)


def _beat(b: BeatView, eager: bool) -> str:
    default_id = b.id in (f"beat-{b.index}", str(b.index))
    name = f"Beat {b.index}" if default_id else b.id
    status_cls, status_word = ("cached", "from cache") if b.cached else (b.status or "-", b.status or "-")
    badges = [f'<span class="pill {e(status_cls)}">{e(status_word)}</span>']
    if b.animatic:
        badges.append('<span class="pill previz" title="made by the offline local provider">animatic</span>')
    facts = [("seed", b.seed), ("take", b.take), ("camera", b.camera), ("transition in", b.transition),
             ("caption", b.caption), ("voice-over", b.say)]
    dl = "".join(f'<dt>{e(k)}</dt><dd dir="auto">{e(v)}</dd>' for k, v in facts if v not in (None, ""))
    return f"""
<article class="beat" id="beat-{b.index}" data-beat="{b.index}" data-status="{e(b.status)}" data-cached="{str(b.cached).lower()}">
<header><span class="num">{b.index}</span><h3 dir="auto">{e(name)}</h3>
<span class="when">{_clock(b.start)} – {_clock(b.end)} in the film · {b.seconds:g} s</span>
<span class="badges">{''.join(badges)}</span></header>
<div class="media">
{_thumb(b.start_thumb, f"beat {b.index} start keyframe", f"start · {b.start_label}")}
{_thumb(b.end_thumb, f"beat {b.index} end keyframe", f"end · {b.end_label}" + (f" · edges {b.legibility:.2f}× k0" if b.legibility is not None else ""))}
{_segment(b, eager)}
</div>
<div class="about">
<p class="prompt" dir="auto">{e(b.prompt)}</p>
<dl class="facts">{dl}</dl>
<table><thead><tr><th>node</th><th>provider / model</th><th>source</th><th class="r">time</th><th class="r">cost</th></tr></thead>
<tbody>{_node_rows(b.nodes)}</tbody>
<tfoot><tr><td colspan="3" class="sub">this beat, this build</td><td class="r">{b.render_seconds:.1f} s</td><td class="r">{_money(b.cost_usd)}</td></tr></tfoot></table>
</div>
</article>"""


def _stat(key: str, value: str, sub: str = "") -> str:
    return (f'<div class="stat"><div class="k">{e(key)}</div><div class="v">{value}</div>'
            f'<div class="s">{sub}</div></div>')


def _film(v: PageView) -> str:
    if not v.video_src:
        why = "the build did not finish" if v.status != "ok" else "the output file is missing"
        return f'<section class="film"><div class="none">No final video: {e(why)}.</div></section>'
    sources = f'<source src="{e(v.video_src)}" type="{e(MP4_TYPE)}">' + "".join(
        f'<source src="{e(src)}" type="{e(kind)}">' for src, kind in v.video_alt)
    chapters = "".join(
        f'<button type="button" data-seek="{b.start:.3f}" title="{e(b.prompt)}" dir="auto">'
        f'<b>{b.index}</b>{e(b.id if b.id not in (f"beat-{b.index}", str(b.index)) else _clock(b.start))}</button>'
        for b in v.beats)
    first = v.beats[0].start_thumb if v.beats else None
    poster = f' poster="{e(first)}"' if first else ""  # keyframe 0 until the video plays
    return (f'<section class="film" aria-label="final video"><video id="film"{poster} controls playsinline '
            f'preload="metadata">{sources}</video>'
            f'<nav class="chapters" aria-label="beats">{chapters}</nav></section>'
            f'<p class="notice bad" id="codec-note" hidden>This browser cannot play H.264 video. Open '
            f'<a href="{e(v.video_src)}">the MP4</a> in a video player, or add <code>webm</code> to '
            f'<code>output.formats</code> for a copy any browser plays.</p>')


def render_page(v: PageView) -> str:
    """The whole review page for *v*."""
    t = v.totals
    made, reused = int(t.get("rendered", 0)), int(t.get("reused_nodes", t.get("cached", 0)))
    try:
        aw, ah = (int(n) for n in v.size.lower().split("x"))
        aspect, ratio = f"{aw} / {ah}", f"{aw / ah:.4f}"
    except (ValueError, ZeroDivisionError):
        aspect, ratio = "16 / 9", "1.7778"
    notices = []
    if v.animatic:
        notices.append('<p class="notice"><strong>Animatic (previz), not AI imagery.</strong> Keyframes and '
                       'segments marked <em>animatic</em> come from the offline <code>local</code> provider: '
                       'storyboard panels for timing and framing. Render with a cloud provider for real '
                       'imagery.</p>')
    if v.status != "ok":
        fails = "".join(f"<li><b>{e(label)}</b>: {e(err)}</li>" for label, err in v.failures)
        notices.append(f'<div class="notice bad"><strong>The last build {e(v.status)}.</strong> What finished '
                       f'is cached; build again to continue.{"<ul>" + fails + "</ul>" if fails else ""}</div>')
    cost_sub = f"estimated {_money(t.get('cost_estimated_usd'))}" if t.get("cost_estimated_usd") else ""
    stats = [
        _stat("Video", _dur(v.seconds), f"{e(v.size)} · {v.fps} fps · {v.frames} frames"),
        _stat("Beats", str(len(v.beats)), f"{sum(1 for b in v.beats if b.cached)} from cache"),
        _stat("Made", str(made), f"{int(t.get('provider_calls', 0))} provider calls"),
        _stat("Reused", str(reused), "nodes from the cache"),
        _stat("Cost", _money(t.get("cost_usd", 0.0)), cost_sub or "this build"),
    ]
    if v.reused_usd:
        stats.append(_stat("Saved", _money(v.reused_usd), "cached results not paid again"))
    leg = [b.legibility for b in v.beats if b.legibility is not None]
    if leg:  # keyframes stay as legible as keyframe 0 (edge energy); over 1.5x they degrade
        stats.append(_stat("Legibility", f"{max(leg):.2f}×", "max keyframe edge energy / keyframe 0"))
    stats.append(_stat("Build time", _dur(float(t.get("seconds", 0.0))), f"{int(t.get('failed', 0))} failed"))
    beats = "".join(_beat(b, i < EAGER_SEGMENTS) for i, b in enumerate(v.beats))
    contact = (f'<section class="contact"><h2>Contact sheet</h2><a href="{e(v.contact_src)}">'
               f'<img src="{e(v.contact_src)}" alt="contact sheet of every keyframe"></a></section>'
               if v.contact_src else "")
    files = " · ".join(f'<a href="{e(f.href)}">{e(f.label)}</a>' for f in v.files)
    status_pill = f'<span class="pill {e(v.status)}">{e(v.status)}</span>'
    previz_pill = f'<span class="pill previz">{PREVIZ_NOTE}</span>' if v.animatic else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{e(_csp(_SCRIPT))}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="storyrender {e(v.version)}">
<title>{e(v.title)} · review</title>
<style>{_CSS}{JOIN_CSS}:root{{--aspect:{aspect};--ratio:{ratio}}}</style>
</head>
<body>
<header>
<div class="brand">storyrender · review</div>
<h1 dir="auto">{e(v.title)}</h1>
<p class="meta"><span>{e(v.board)}</span><span>built {e(v.created)}</span>{status_pill}{previz_pill}</p>
</header>
{''.join(notices)}
{_film(v)}
<section class="stats" aria-label="totals">{''.join(stats)}</section>
{v.joins_html}
{v.characters_html}
<h2>Beats</h2>
<section class="beats">{beats}
</section>
{contact}
<footer><span>Files: {files}</span><span>storyrender {e(v.version)}</span></footer>
<script>{_SCRIPT}</script>
</body>
</html>
"""
