"""The CLI surface: version, help, providers, fast start-up without heavy imports."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

from storyrender import __version__


def test_version_is_the_installed_packages(cli):
    res = cli(["--version"])
    assert (res.returncode, res.stdout, res.stderr) == (0, f"storyrender, version {__version__}\n", "")
    assert __version__ == importlib.metadata.version("storyrender")  # the code and the package agree


def test_help_lists_commands_and_exit_codes(cli):
    res = cli(["--help"])
    assert res.returncode == 0
    for cmd in ("build", "plan", "validate", "providers"):
        assert cmd in res.stdout
    assert "Exit status" in res.stdout


def test_help_imports_no_heavy_modules():
    code = ("import sys; from storyrender.cli.main import cli\n"
            "try:\n    cli(['--help'], standalone_mode=False)\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('numpy','cv2','av','PIL','openai','google.genai','replicate','fal_client','rich',"
            "'jsonschema','diskcache') if m in sys.modules]\nprint('HEAVY:' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY:", out


def test_providers_lists_local_with_jobs(cli):
    res = cli(["providers", "--json"])
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    local = rows["local"]
    jobs = {j for m in local["models"] for j in m["jobs"]}
    assert jobs == {"text-to-image", "next-keyframe", "first-last-video", "first-frame-video", "speech", "write-story",
                    "music", "sound-effect"}
    assert local["offline"] and local["key_env"] == []
    text = cli(["providers"]).stdout
    assert "local/animatic" in text and "previz" in text
