"""The review page: one card per beat, honest cache flags, escaped text, contact sheet, offline."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from storyrender.api import build, manifest_path, open_store, prepare
from storyrender.review import review_paths, write_review
from storyrender.review import contact as contact_mod
from storyrender.review import media as media_mod
from storyrender.review.model import BeatView, NodeView, PageView
from storyrender.review.page import render_page

HOSTILE = "<script>alert('x')</script> \"quoted\" & \u202eRTL עברית 🎬"

BOARD = textwrap.dedent("""\
    version: 1
    title: "Review <b>test</b> & 'quotes'"
    output: {size: 160x90, fps: 8}
    seconds: 1
    providers: {image: local, keyframe: local, video: local}
    beats:
      - id: hostile
        prompt: "<script>alert('x')</script> \\"quoted\\" & \\u202eRTL עברית 🎬"
        caption: "</figcaption><img src=x onerror=alert(1)>"
      - prompt: a blue circle
      - prompt: a green triangle
    """)


def _build(path: Path):
    p = prepare(path, offline=True)
    with open_store(p.board, None) as store:
        report = build(p, store, jobs=2)
    assert report.status == "ok", [n.error for n in report.failures]
    return p, report


def _page(path: Path) -> str:
    p = prepare(path, offline=True)
    return review_paths(manifest_path(p.board)).html.read_text("utf-8")


def _manifest(path: Path) -> dict:
    return json.loads(manifest_path(prepare(path, offline=True).board).read_text("utf-8"))


def _cards(page: str) -> list[dict]:
    return [dict(beat=int(m.group(1)), status=m.group(2), cached=m.group(3) == "true")
            for m in re.finditer(r'<article class="beat" id="beat-\d+" data-beat="(\d+)" data-status="([^"]*)" '
                                 r'data-cached="(true|false)"', page)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A 3-beat board built once offline (its first, everything-rendered build)."""
    d = tmp_path_factory.mktemp("review")
    path = d / "board.yaml"
    path.write_text(BOARD, "utf-8")
    _, report = _build(path)
    return path, report


@pytest.mark.slow
def test_build_writes_page_contact_sheet_and_segments(built):
    path, report = built
    out = path.parent / "out"
    assert (out / "board.html").is_file() and (out / "board.contact.png").is_file()
    assert sorted(p.name for p in (out / "board.review").iterdir()) == ["beat-01.mp4", "beat-02.mp4", "beat-03.mp4"]
    assert report.outputs["review"] == str(out / "board.html")
    assert not report.warnings


def test_one_card_per_beat_with_keyframes_and_segment(built):
    page = _page(built[0])
    cards = _cards(page)
    assert [c["beat"] for c in cards] == [1, 2, 3]
    assert page.count('class="thumb" src="data:image/jpeg;base64,') == 6  # start + end per beat
    for i in (1, 2, 3):
        assert f'src="board.review/beat-0{i}.mp4"' in page
    assert '<source src="board.mp4" type=' in page
    assert "animatic (previz), not AI imagery" in page


@pytest.mark.slow
def test_hostile_text_is_escaped(built):
    page = _page(built[0])
    assert page.count("<script>") == 1  # the page's own script, at the end
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>test</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &quot;quoted&quot; &amp; \u202eRTL עברית 🎬" in page
    assert "&lt;/figcaption&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Review &lt;b&gt;test&lt;/b&gt; &amp; &#x27;quotes&#x27;" in page
    assert 'dir="auto">&lt;script&gt;' in page  # right-to-left text cannot flip the layout around it


def test_works_offline_every_reference_is_inline_or_a_sibling_file(built):
    path = built[0]
    html = review_paths(manifest_path(prepare(path, offline=True).board)).html
    page = html.read_text("utf-8")
    assert not re.search(r"https?:", page)
    assert not re.search(r"""(?:src|href)=["']?//""", page)
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs
    for ref in refs:
        if ref.startswith("data:image/"):
            continue
        target = (html.parent / unquote(ref)).resolve()
        assert target.is_file(), ref
        assert target.is_relative_to(html.parent.resolve()), ref
    assert "default-src &#x27;none&#x27;" in page  # the page's CSP forbids fetching anything else


def test_contact_sheet_has_the_expected_grid(built):
    path = built[0]
    contact = review_paths(manifest_path(prepare(path, offline=True).board)).contact
    lay = contact_mod.layout(4, (160, 90))  # keyframe 0 + one end keyframe per beat
    assert (lay.cols, lay.rows) == (4, 1)
    with Image.open(contact) as img:
        assert img.format == "PNG" and img.size == (lay.width, lay.height)
        # tiles hold the keyframes: the middle of tile 1 is not the empty tile background
        x, y = lay.origin(0)
        assert img.convert("RGB").getpixel((x + lay.tile_w // 2, y + lay.tile_h // 2)) != contact_mod._TILE_BG


def test_layout_wraps_rows():
    lay = contact_mod.layout(9, (16, 9))
    assert (lay.cols, lay.rows) == (4, 3)
    assert lay.tile_h == 180
    m, g = contact_mod.MARGIN, contact_mod.GAP
    assert lay.width == 2 * m + 4 * 320 + 3 * g
    assert lay.height == 2 * m + contact_mod.HEADER_HEIGHT + 3 * (180 + contact_mod.LABEL_HEIGHT) + 2 * g
    assert contact_mod.layout(2).cols == 2


@pytest.mark.slow
def test_cached_flags_match_the_manifest(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(BOARD, "utf-8")
    _build(path)
    first = _cards(_page(path))
    assert [c["cached"] for c in first] == [False, False, False]
    # change beat 3 only: beats 1-2 come from the cache, beat 3 is rendered again
    path.write_text(BOARD.replace("prompt: a green triangle", "prompt: a green triangle\n    take: 2"), "utf-8")
    _build(path)
    doc = _manifest(path)
    seg_status = {n["beat"]: n["status"] for n in doc["nodes"] if n["kind"] == "segment"}
    cards = _cards(_page(path))
    assert [c["cached"] for c in cards] == [True, True, False]
    for c in cards:
        assert c["status"] == seg_status[c["beat"]]
        assert c["cached"] == (seg_status[c["beat"]] in ("cached", "not needed"))


@pytest.mark.slow
def test_unchanged_rebuild_makes_no_thumbnail_and_copies_nothing(tmp_path, monkeypatch):
    path = tmp_path / "b.yaml"
    path.write_text(BOARD, "utf-8")
    _build(path)
    folder = tmp_path / "out" / "b.review"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    contact_before = (tmp_path / "out" / "b.contact.png").stat().st_mtime_ns

    def boom(*a, **k):
        raise AssertionError("made again")

    monkeypatch.setattr(media_mod, "thumbnail_uri", boom)
    monkeypatch.setattr(contact_mod, "draw_contact_sheet", boom)
    _, report = _build(path)
    assert not report.warnings
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert (tmp_path / "out" / "b.contact.png").stat().st_mtime_ns == contact_before
    assert all(c["cached"] for c in _cards(_page(path)))


def test_extend_mode_shows_an_end_frame_per_beat(write_board):
    path = write_board("""\
        version: 1
        mode: extend
        output: {size: 160x90, fps: 8}
        seconds: 1
        providers: {image: local, video: local}
        beats:
          - prompt: one
          - prompt: two
        """)
    _build(path)
    page = _page(path)
    assert page.count('class="thumb" src="data:image/jpeg;base64,') == 4
    assert "not in the cache" not in page


def test_a_failing_review_is_a_warning_not_a_failed_build(write_board, monkeypatch):
    import storyrender.review as review

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(review, "write_review", boom)
    path = write_board("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\nbeats:\n  - prompt: one\n")
    _, report = _build(path)
    assert report.status == "ok"
    assert any("review page not written" in w and "disk on fire" in w for w in report.warnings)


@pytest.mark.slow
def test_review_command(write_board, cli):
    path = write_board("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\nbeats:\n  - prompt: one\n")
    res = cli(["review", "--no-open", path.name], cwd=path.parent, env={"CI": "1"})
    assert res.returncode == 2
    assert "not been built" in res.stderr and "storyrender build" in res.stderr
    assert cli(["build", "--offline", "-q", path.name], cwd=path.parent).returncode == 0
    html = path.parent / "out" / "board.html"
    html.unlink()
    res = cli(["review", "--no-open", path.name], cwd=path.parent, env={"CI": "1"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(html) and html.is_file()


def test_review_command_does_not_open_a_browser_without_a_display(monkeypatch):
    from storyrender.cli.review_cmd import can_open_browser

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for v in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert not can_open_browser()
    monkeypatch.setenv("DISPLAY", ":0")
    assert can_open_browser()
    monkeypatch.setenv("CI", "true")
    assert not can_open_browser()


def test_render_page_escapes_every_field():
    bad = "<x>\"'&"
    node = NodeView(label=bad, kind="segment", status="failed", provider=bad, model=bad, error=bad)
    beat = BeatView(index=1, id=bad, prompt=bad, seconds=1, caption=bad, say=bad, camera=bad, transition=bad,
                    start_label=bad, end_label=bad, segment_src=bad, start_thumb=bad, nodes=[node])
    view = PageView(title=bad, board=bad, created=bad, status="failed", size=bad, video_src=bad,
                    video_alt=[(bad, bad)], contact_src=bad, beats=[beat], failures=[(bad, bad)], version=bad)
    page = render_page(view)
    assert "<x>" not in page
    assert "&lt;x&gt;&quot;&#x27;&amp;" in page
    assert len(_cards(page)) == 1


def test_write_review_tolerates_a_store_without_the_artifacts(built, tmp_path):
    from storyrender.cache.store import Store

    path = built[0]
    manifest = manifest_path(prepare(path, offline=True).board)
    copy = tmp_path / "elsewhere" / "board.manifest.json"
    copy.parent.mkdir()
    copy.write_text(manifest.read_text("utf-8"), "utf-8")
    with Store(tmp_path / "empty-cache") as store:
        files = write_review(copy, store)
    page = files.html.read_text("utf-8")
    assert page.count("not in the cache") >= 6 and len(_cards(page)) == 3


def test_every_video_player_has_a_poster_image(built):
    import base64
    import io

    from PIL import Image

    page = _page(built[0])
    videos = re.findall(r"<video[^>]*>", page)
    assert len(videos) == 4  # the film and one segment per beat
    for tag in videos:
        m = re.search(r'poster="data:image/jpeg;base64,([^"]+)"', tag)
        assert m, tag
        with Image.open(io.BytesIO(base64.b64decode(m.group(1)))) as im:  # a real, decodable picture
            assert im.size[0] > 16 and im.size[1] > 8


def test_the_page_shows_keyframe_legibility_against_keyframe_0(built):
    page = _page(built[0])
    ratios = [float(x) for x in re.findall(r">end · [^<]*edges (\d+\.\d\d)× k0<", page)]
    assert len(ratios) == 3, page.count("edges")  # one per end keyframe (the caption's text)
    assert all(0.3 < r < 1.5 for r in ratios), ratios
    m = re.search(r'<div class="k">Legibility</div><div class="v">(\d+\.\d\d)×</div>', page)
    assert m and float(m.group(1)) == max(ratios)
