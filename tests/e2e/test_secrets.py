"""API keys never leave the environment: not into the cache, outputs, manifest, review page or any print,
even when a provider puts the key into its error message, its log lines or its result info."""

from __future__ import annotations

import pytest

from ..plugins.faulty import board_text, env_for

pytestmark = [pytest.mark.xdist_group("secrets"), pytest.mark.slow]

SENTINELS = {
    "OPENAI_API_KEY": "sentinel-openai-7f3a9c1d2e4b",
    "GEMINI_API_KEY": "sentinel-gemini-0b1c2d3e4f5a",
    "GOOGLE_API_KEY": "sentinel-google-9e8d7c6b5a41",
    "REPLICATE_API_TOKEN": "sentinel-replicate-a1b2c3d4e5",
    "GETIMG_API_KEY": "sentinel-getimg-5f4e3d2c1b0a",
    "FAL_KEY": "sentinel-fal-1234abcd:5678efgh",
}


def _leaks(data: bytes) -> list[str]:
    return [name for name, value in SENTINELS.items() if value.encode() in data]


def _scan_tree(root) -> list[tuple[str, list[str]]]:
    found = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "calls.jsonl":  # the test provider's own log is not storyrender's
            leaks = _leaks(p.read_bytes())
            if leaks:
                found.append((str(p.relative_to(root)), leaks))
    return found


def test_keys_never_reach_anything_a_build_writes_or_prints(tmp_path, cli):
    env = env_for(tmp_path / "calls.jsonl", **SENTINELS)
    (tmp_path / "b.yaml").write_text(board_text(["a quiet start !leakinfo", "the key leaks here !leak@video",
                                                 "an ending"]))
    outputs = []
    # a failing build: the provider's error, its log lines and its info all carry every key
    for args in (["build", "-v", "b.yaml"], ["build", "--json", "b.yaml"]):
        res = cli(args, cwd=tmp_path, env=env)
        assert res.returncode == 1, res.stderr
        assert "invalid credentials ***" in (res.stderr + res.stdout)  # the reason is kept, the key is not
        outputs.append(res.stdout + res.stderr)
    # the provider recovers: a full build with outputs, manifest and anything else written beside them
    res = cli(["build", "-v", "b.yaml"], cwd=tmp_path, env={**env, "FAULTY_OFF": "1"})
    assert res.returncode == 0, res.stderr
    outputs.append(res.stdout + res.stderr)
    for args in (["plan", "--json", "b.yaml"], ["cache", "info", "--json", "b.yaml"], ["providers", "--json"]):
        res = cli(args, cwd=tmp_path, env=env)
        outputs.append(res.stdout + res.stderr)

    from storyrender.cache.store import Store

    with Store(tmp_path / ".storyrender") as store:  # the provider's info was kept, its keys scrubbed
        echoes = [r.meta["info"]["echo"] for r in store.records() if "echo" in (r.meta.get("info") or {})]
    assert echoes and all(e.startswith("key used: ***") for e in echoes), echoes
    assert (tmp_path / "out" / "b.manifest.json").exists()
    assert (tmp_path / ".storyrender").is_dir()
    assert _scan_tree(tmp_path) == []
    for text in outputs:
        assert _leaks(text.encode()) == [], text


def test_redact_scrubs_every_key_variable(monkeypatch):
    from storyrender.errors import ProviderError, redact

    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)
    text = "keys: " + " ".join(SENTINELS.values()) + " Bearer abcdefghijkl sk-abcdefghijklmnopqrst"
    out = redact(text)
    assert _leaks(out.encode()) == [] and "abcdefghijkl" not in out and "sk-abcdef" not in out
    assert _leaks(str(ProviderError(text)).encode()) == []
