"""The review page in a real headless Chromium, opened from disk (file://), network closed.

Needs ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (Debian: ``apt-get install chromium
chromium-driver``; ``make test`` installs them) and selenium (the ``test`` extra). Without
them the test is skipped with a message saying what is missing. The screenshot goes to
``test-artifacts/review.png`` (and ``review-full.png``, the whole page).
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from .chrome import APT_HINT, launch, missing
from .chrome import wait_for as _wait

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
FPS, BEATS, SECONDS = 8, 3, 1

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]

_missing = missing()
if _missing:
    pytest.skip(f"BROWSER TEST SKIPPED: missing {', '.join(_missing)}. Install with: {APT_HINT}",
                allow_module_level=True)

BOARD = textwrap.dedent(f"""\
    version: 1
    title: Review in a browser
    output: {{size: 320x180, fps: {FPS}}}
    seconds: {SECONDS}
    providers: {{image: local, keyframe: local, video: local}}
    characters:
      kite: {{description: a red kite with a long tail}}
    beats:
      - prompt: "a red kite over the <b>hills</b> — \\"quoted\\""
      - prompt: a blue boat on a lake
        camera: push-in
      - prompt: a green door in a wall
    """)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    from storyrender.api import build, manifest_path, open_store, prepare

    d = tmp_path_factory.mktemp("browser")
    path = d / "board.yaml"
    path.write_text(BOARD, "utf-8")
    p = prepare(path, offline=True)
    with open_store(p.board, None) as store:
        report = build(p, store, jobs=2)
    assert report.status == "ok", [f.error for f in report.failures]
    assert not report.warnings, report.warnings
    return manifest_path(p.board).with_name("board.html")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = launch(1280, 900, profile=tmp_path_factory.mktemp("chromium-profile"))
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    yield d
    d.quit()


def test_review_page_plays_in_chromium(page, driver):
    manifest = json.loads(page.with_name("board.manifest.json").read_text("utf-8"))
    expected = manifest["output"]["frames"] / manifest["output"]["fps"]
    assert expected == pytest.approx(BEATS * SECONDS)
    frame = 1 / FPS

    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    assert driver.title.startswith("Review in a browser")
    assert len(driver.find_elements("css selector", "article.beat")) == BEATS

    h264 = driver.execute_script("""return document.createElement('video')
        .canPlayType('video/mp4; codecs="avc1.42E01E"')""")
    if not h264:
        # A Chromium without H.264: the page must say so (and would use a WebM output if the board had one).
        assert driver.find_element("id", "codec-note").is_displayed()
        pytest.skip("LOUD: this Chromium cannot play H.264 (no proprietary codecs); the page shows its "
                    "notice, playback was not checked")

    # the final video: metadata, duration within a frame, and it plays
    _wait(driver, "return document.getElementById('film').readyState >= 1", what="final video metadata")
    duration = driver.execute_script("return document.getElementById('film').duration")
    assert abs(duration - expected) <= frame + 1e-6, (duration, expected)
    assert not driver.find_element("id", "codec-note").is_displayed()
    driver.execute_script("const v = document.getElementById('film'); v.muted = true; v.play();")
    _wait(driver, "return document.getElementById('film').currentTime > 0.3", what="final video playing")
    driver.execute_script("document.getElementById('film').pause()")

    # every thumbnail (and the contact sheet) decoded
    _wait(driver, "return Array.from(document.images).every(i => i.complete)", what="images")
    sizes = driver.execute_script("return Array.from(document.images).map(i => [i.className, i.naturalWidth])")
    assert len([s for s in sizes if s[0] == "thumb"]) == 2 * BEATS
    assert all(w > 0 for _, w in sizes), sizes

    # every segment loads on its own, with its beat's length
    _wait(driver, "return Array.from(document.querySelectorAll('video.segment')).every(v => v.readyState >= 1)",
          what="segment metadata")
    durations = driver.execute_script(
        "return Array.from(document.querySelectorAll('video.segment')).map(v => v.duration)")
    assert len(durations) == BEATS
    assert all(abs(d - SECONDS) <= frame + 1e-6 for d in durations), durations

    # a beat's chapter button seeks the final video to that beat
    driver.find_elements("css selector", ".chapters button")[1].click()
    _wait(driver, "const v = document.getElementById('film'); return v.currentTime >= 0.9 && v.currentTime < 2",
          what="seek to beat 2")
    driver.execute_script("const v = document.getElementById('film'); v.pause(); v.currentTime = 0; "
                          "window.scrollTo(0, 0);")

    # nothing blocked or broken (a CSP violation or a missing file is logged as SEVERE)
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors

    # a character without a reference image is a small card, not a frame-sized black box
    card = driver.find_element("css selector", '.character[data-character="kite"]')
    assert "no reference image" in card.text and card.size["height"] < 300 and card.size["width"] < 400, card.size

    ARTIFACTS.mkdir(exist_ok=True)
    time.sleep(0.3)
    driver.save_screenshot(str(ARTIFACTS / "review.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": int(height), "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(str(ARTIFACTS / "review-full.png"))
    assert (ARTIFACTS / "review.png").stat().st_size > 10_000
