"""The studio in a real headless Chromium: build live over SSE, new take, add beat, follow disk edits,
token and file-serving rules.

Needs Debian's chromium and chromium-driver and selenium (as ``test_review_browser.py``); skipped
with a message saying what is missing otherwise. The server runs in this process on 127.0.0.1 (a
free port); everything renders with the offline ``local`` provider. Screenshot:
``test-artifacts/studio.png``.
"""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

import pytest

from .chrome import APT_HINT, launch, missing
from .chrome import wait_for as _wait

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.xdist_group("browser")]

_missing = missing()
if _missing:
    pytest.skip(f"BROWSER TEST SKIPPED: missing {', '.join(_missing)}. Install with: {APT_HINT}",
                allow_module_level=True)

BOARD = """\
# A studio test board: these comments must survive every edit the page makes.
version: 1
title: Studio in a browser
output: {size: 320x180, fps: 8}   # small and quick
seconds: 1
transition: cut                   # frame to frame
providers: {image: local, keyframe: local, video: local}
beats:
  - id: kite        # the first beat
    prompt: a red kite over the hills
  - id: boat
    prompt: a blue boat on a lake
    camera: push-in  # moves in
  - id: door
    prompt: a green door in a wall
"""
SECRET = "sk-studiotest0123456789abcdefXYZ"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    import os

    from storyrender.studio import make_server

    os.environ["OPENAI_API_KEY"] = SECRET  # must never reach the page
    d = tmp_path_factory.mktemp("studio")
    (d / ".git").mkdir()
    board = d / "board.yaml"
    board.write_text(BOARD, "utf-8")
    server, session, token = make_server(board, folder=d, offline=True, port=0, jobs=2)
    threading.Thread(target=session.watch, daemon=True).start()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield {"board": board, "port": port, "token": token, "session": session}
    session.stop()
    server.should_exit = True
    thread.join(timeout=5)
    os.environ.pop("OPENAI_API_KEY", None)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = launch(1280, 900, profile=tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"X-Storyrender-Token": token} if token else {}
    c.request("GET", path, headers=headers)  # the path goes out as written (no client-side normalising)
    r = c.getresponse()
    body = r.read() if r.status != 200 or "events" not in path else b""
    c.close()
    return r.status, body


def _plan_render_keys(board: Path) -> set[str]:
    from storyrender.api import open_store, plan, prepare

    p = prepare(board, offline=True)
    with open_store(p.board, None) as store:
        rows, _ = plan(p, store)
    return {r.key for r in rows if r.status == "render"}


@pytest.mark.slow
def test_studio_builds_live_retakes_adds_follows_disk_and_guards(studio, driver):
    board, port, token = studio["board"], studio["port"], studio["token"]
    base = f"http://127.0.0.1:{port}"
    driver.get(f"{base}/?token={token}")
    _wait(driver, "return document.body.getAttribute('data-ready') === '1'", what="the first state over SSE")
    assert len(driver.find_elements("css selector", "article.beat")) == 3
    assert not driver.find_element("id", "start").is_displayed()  # a board is open: no prompt form
    assert SECRET not in driver.page_source
    assert int(driver.find_element("id", "summary").get_attribute("data-to-render")) > 0

    h264 = driver.execute_script("""return document.createElement('video')
        .canPlayType('video/mp4; codecs="avc1.42E01E"')""")
    if not h264:
        pytest.skip("LOUD: this Chromium cannot play H.264 (no proprietary codecs): segments cannot play here")

    # ---- Build: each segment queued -> rendering -> done over SSE; segment 1 playable before the final
    driver.find_element("id", "build").click()
    _wait(driver, "const b = window.__studio.build; return b && !b.running && b.status === 'ok'", what="build ok")
    segs = driver.execute_script(
        "return window.__studio.plan.nodes.filter(n => n.kind === 'segment').map(n => n.key)")
    assert len(segs) == 3
    history = driver.execute_script("return window.__studio.history")
    for key in segs:
        assert history[key] == ["queued", "rendering", "done"], (key, history[key])
    playable = driver.execute_script("return window.__studio.playable")
    final_done = driver.execute_script("return window.__studio.finalDoneAt")
    assert segs[0] in playable and final_done, (playable, final_done)
    assert playable[segs[0]] < final_done, "segment 1 was not playable before the final video was done"
    _wait(driver, "const v = document.getElementById('final-video'); return v && v.readyState >= 1",
          what="final video metadata")
    scores = _wait(driver, "const s = document.querySelector(\"article[data-beat='2'] [data-role=scores]\");"
                           " return s && s.textContent", what="seam and drift scores on beat 2")
    assert "seam into this beat" in scores and "drift" in scores, scores
    href = driver.find_element("id", "download").get_attribute("href")
    assert "/out/board.mp4" in href and f"token={token}" in href

    # ---- New take on beat 2, then Build: only beat 2's segment and its stitch pieces render
    before = board.read_text()
    comments = [ln.split("#", 1)[1] for ln in before.splitlines() if "#" in ln]
    rev = int(driver.find_element("id", "summary").get_attribute("data-revision"))
    driver.find_element("css selector", "article[data-beat='2'] [data-action=take]").click()
    _wait(driver, f"return Number(document.getElementById('summary').getAttribute('data-revision')) > {rev}"
                  " && window.__studio.plan.beats[1].take === 2", what="the plan after New take")
    after = board.read_text()
    assert all(c in after for c in comments), "a comment was lost"
    assert "take: 2" in after.split("id: boat")[1].split("id: door")[0]
    expected = _plan_render_keys(board)
    n_events = driver.execute_script("return window.__studio.events.length")
    driver.find_element("id", "build").click()
    _wait(driver, "const b = window.__studio.build; return b && !b.running && b.status === 'ok' && "
                  f"window.__studio.events.length > {n_events}", what="second build ok")
    events = driver.execute_script(f"return window.__studio.events.slice({n_events})")
    rendered = {key for _, key, _, status in events if status == "rendering"}
    roles = sorted({role for _, key, role, status in events if status == "rendering"})
    assert rendered == expected, roles
    provider_roles = [r for r in roles if r.split(":")[0] in ("image", "keyframe", "segment", "speech")]
    assert provider_roles == ["segment:boat"], roles
    assert all(r == "segment:boat" or r.split(":")[0] in ("seamless", "body", "junction", "piece", "audio", "final")
               or "boat" in r or r in ("audio", "final") for r in roles), roles
    print(f"\nsecond build rendered {len(rendered)} nodes: {roles}")

    # ---- Add beat appends to the YAML (comments kept)
    driver.find_element("id", "add-prompts").send_keys("a yellow bird on the door")
    driver.find_element("id", "add").click()
    _wait(driver, "return window.__studio.plan.beats.length === 4", what="4 beats on the page", timeout=20)
    text = board.read_text()
    assert text.rstrip().splitlines()[-1].strip() == "prompt: a yellow bird on the door"
    assert all(c in text for c in comments)

    # ---- an edit on disk shows on the page within 2 s
    rev = int(driver.find_element("id", "summary").get_attribute("data-revision"))
    t0 = time.monotonic()
    board.write_text(text.replace("a green door in a wall", "a purple door in a wall"))
    _wait(driver, "const c = document.querySelector(\"article[data-beat='3'] [data-role=prompt]\");"
                  " return c && c.textContent === 'a purple door in a wall'", what="disk edit on the page", timeout=10)
    took = time.monotonic() - t0
    assert took < 2.0, f"the page followed the disk edit after {took:.2f} s"
    assert int(driver.find_element("id", "summary").get_attribute("data-revision")) > rev

    # ---- security: no token -> 403, outside the outputs and cache -> 404, keys never on the page
    for path in ("/", "/events", "/api/state", "/out/board.mp4", f"/cache/{segs[0]}", "/nowhere"):
        assert _get(port, path)[0] == 403, path
        assert _get(port, path + ("&" if "?" in path else "?") + "token=wrong")[0] == 403, path
    assert _get(port, "/out/board.mp4", token)[0] == 200
    assert _get(port, f"/cache/{segs[0]}", token)[0] == 200
    for path in ("/out/../board.yaml", "/out/%2e%2e/board.yaml", "/out/..%2Fboard.yaml", "/out/../../../etc/passwd",
                 "/out/%2F..%2F..%2Fetc%2Fpasswd", "/cache/" + "0" * 64, "/cache/..%2Fboard.yaml"):
        assert _get(port, path, token)[0] == 404, path
    status, body = _get(port, "/api/state", token)
    assert status == 200 and SECRET.encode() not in body

    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(ARTIFACTS / "studio.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": int(height), "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(str(ARTIFACTS / "studio-full.png"))
