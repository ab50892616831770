"""Headless Chromium for the browser tests: find it, start it offline, or say what is missing."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["APT_HINT", "find_browser", "missing", "launch", "wait_for"]

APT_HINT = "sudo apt-get install -y chromium chromium-driver  (or: STORYRENDER_BROWSER_DEPS=1 make system-deps)"

#: flags for a quiet, offline, throw-away browser (without the networking ones it keeps trying to
#: reach update and sync servers, which a closed network refuses)
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--autoplay-policy=no-user-gesture-required"]


def find_browser() -> tuple[str | None, str | None]:
    """(chromium, chromedriver) paths; ``$CHROMIUM`` / ``$CHROMEDRIVER`` win over the PATH."""
    browser = os.environ.get("CHROMIUM") or next(
        (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return browser, driver


def missing() -> list[str]:
    """What is missing to run the browser tests (empty when they can run)."""
    out = []
    browser, driver = find_browser()
    if not browser:
        out.append("chromium (/usr/bin/chromium)")
    if not driver:
        out.append("chromedriver (/usr/bin/chromedriver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        out.append("selenium (pip install -e '.[test]')")
    return out


def launch(width: int = 1280, height: int = 900, profile: Path | None = None):
    """A headless Chromium under selenium, with a fresh profile (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS + [f"--window-size={width},{height}",
                         f"--user-data-dir={profile or tempfile.mkdtemp(prefix='storyrender-chromium-')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, CSP reports
    # An explicit driver path: selenium then never tries to download one.
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def wait_for(driver, script: str, timeout: float = 20.0, what: str = ""):
    """Poll *script* until it returns something truthy; fail with *what* after *timeout* s."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or script} (last value {value!r})")
