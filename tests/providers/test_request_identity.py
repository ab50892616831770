"""The key is the request: what a provider receives is exactly what its node's key hashes.

Counted through the request-logging ``fake`` providers (``tests/plugins/fakeprov.py``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyrender.api import build, open_store, prepare
from storyrender.cache.keys import node_key
from storyrender.execute.ops import request_for
from storyrender.graph.spec import FileRef, JobSpec, OpSpec, vendor_seed
from storyrender.plugins.manager import get_plugin_manager, load_registry
from tests.plugins import fakeprov

from ..conftest import ROOT, TINY


@pytest.fixture
def registry(fake):
    return load_registry(get_plugin_manager())  # the fake providers, through STORYRENDER_PLUGINS


def board(write_board, providers: str, beats: str, name: str = "board.yaml") -> Path:
    return write_board(TINY + f"providers: {providers}\nbeats:\n{beats}", name)


def make(path: Path, registry):
    prepared = prepare(path, registry=registry)
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2), prepared


FAKE = "{image: fake/img, keyframe: fake/img, video: fake/vid}"
STRICT = "{image: fakestrict/img, keyframe: fakestrict/img, video: fakestrict/vid}"


# -- take, seed, camera ----------------------------------------------------------------------


def test_vendor_seed_take_one_is_the_board_seed_and_takes_differ():
    assert vendor_seed(7, 1) == 7
    seeds = {vendor_seed(7, t) for t in range(1, 50)}
    assert len(seeds) == 49 and all(0 <= s < 2**31 for s in seeds)
    assert vendor_seed(7, 2) == vendor_seed(7, 2) != vendor_seed(8, 2)


def test_take_2_sends_a_different_seed(write_board, fake, registry):
    path = board(write_board, FAKE, "  - {id: a, prompt: a cat, seed: 5}\n")
    make(path, registry)
    first = [c for c in fake() if c["job"] == "video"]
    fake.reset()
    board(write_board, FAKE, "  - {id: a, prompt: a cat, seed: 5, take: 2}\n")
    report, _ = make(path, registry)
    second = [c for c in fake() if c["job"] == "video"]
    assert [c["take"] for c in first] == [1] and [c["take"] for c in second] == [2]
    assert first[0]["seed"] == 5 and second[0]["seed"] == vendor_seed(5, 2) != 5
    assert not [c for c in fake() if c["job"] != "video"]  # only the segment re-renders
    fake.reset()
    make(path, registry)  # the same take again: the same request, served from the cache
    assert fake() == []


def test_camera_reaches_keyframe_0_of_providers_that_read_it(write_board, fake, registry):
    path = board(write_board, FAKE, "  - {id: a, prompt: a cat}\n")
    make(path, registry)
    fake.reset()
    board(write_board, FAKE, "  - {id: a, prompt: a cat, camera: slow push-in}\n")
    make(path, registry)
    got = {c["job"]: c for c in fake()}
    assert set(got) == {"text-to-image", "next-keyframe", "video"}
    assert all(c["camera"] == "slow push-in" for c in got.values())


def test_camera_edit_renders_nothing_for_providers_that_ignore_it(write_board, fake, registry):
    path = board(write_board, STRICT, "  - {id: a, prompt: a cat}\n")
    make(path, registry)
    fake.reset()
    board(write_board, STRICT, "  - {id: a, prompt: a cat, camera: slow push-in}\n")
    report, _ = make(path, registry)
    assert fake() == [] and report.totals()["rendered"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("prov", ["fake", "fakestrict"])
def test_call_options_render_nothing(write_board, fake, registry, prov):
    ref = "{image: %s/img, keyframe: %s/img, video: {use: %s/vid, options: %s}}"
    path = board(write_board, ref % (prov, prov, prov, "{}"), "  - {id: a, prompt: a cat}\n")
    make(path, registry)
    fake.reset()
    board(write_board, ref % (prov, prov, prov, "{timeout: 900, poll_interval: 3, read_timeout: 30}"),
          "  - {id: a, prompt: a cat}\n")
    report, _ = make(path, registry)
    assert fake() == [] and report.totals()["rendered"] == 0
    board(write_board, ref % (prov, prov, prov, "{quality: high}"), "  - {id: a, prompt: a cat}\n")
    make(path, registry)
    assert [c["job"] for c in fake()] == ["video"] and fake()[0]["options"] == {"quality": "high"}


@pytest.mark.slow
def test_unknown_option_is_refused_with_line_and_suggestion(write_board, fake, cli, tmp_path):
    text = TINY + ("providers:\n  image: fakestrict/img\n  keyframe: fakestrict/img\n  video:\n"
                   "    use: fakestrict/vid\n    options:\n      qualty: high\n"
                   "beats:\n  - {id: a, prompt: a cat}\n")
    path = write_board(text)
    res = cli(["validate", path.name], cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "board.yaml:10" in res.stderr and "qualty" in res.stderr and "Did you mean 'quality'" in res.stderr
    assert "Traceback" not in res.stderr
    res = cli(["build", path.name], cwd=tmp_path)
    assert res.returncode == 2 and fake() == [] and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_option_of_the_wrong_type_is_refused(write_board, fake, cli, tmp_path):
    text = TINY + ("providers:\n  image: fakestrict/img\n  keyframe: fakestrict/img\n  video:\n"
                   "    use: fakestrict/vid\n    options: {timeout: soon}\n"
                   "beats:\n  - {id: a, prompt: a cat}\n")
    res = cli(["validate", write_board(text).name], cwd=tmp_path)
    assert res.returncode == 2 and "timeout" in res.stderr and "must be a number" in res.stderr


# -- the property: equal keys, equal requests; any field changed, the key changed -------------

_text = st.text(max_size=12)
_specs = st.builds(
    JobSpec,
    job=st.sampled_from(["text-to-image", "next-keyframe", "first-last-video", "first-frame-video", "speech"]),
    provider=st.sampled_from(["a", "b"]), model=st.sampled_from(["m", "n"]), version=st.sampled_from(["1.1", "2.1"]),
    width=st.sampled_from([160, 320]), height=st.sampled_from([90, 180]), prompt=_text, negative_prompt=_text,
    seed=st.none() | st.integers(0, 2**31), take=st.integers(1, 4), camera=_text,
    seconds=st.none() | st.sampled_from([1.0, 5.0, 6.5]), fps=st.none() | st.sampled_from([8, 24]), text=_text,
    voice=_text, options=st.dictionaries(st.sampled_from(["q", "mode"]), st.integers(0, 3) | _text, max_size=2),
    hints=st.dictionaries(st.sampled_from(["label", "timecode"]), _text, max_size=2),
    references=st.lists(st.builds(FileRef, path=st.just("/refs/x.png"), sha256=st.sampled_from(["d1", "d2"])),
                        max_size=2).map(tuple),
)
_INPUTS = [Path("/in/first.png"), Path("/in/last.png")]


def _key(spec) -> str:
    return node_key("segment", spec.identity(), ("k1", "k2"))


def _request(spec):
    req = request_for(spec, _INPUTS + [Path(r.path) for r in spec.references])  # references: the last inputs
    # the same content reaches the provider: references compare by digest, not by where they lie
    return dataclasses.replace(req, references=tuple(r.sha256 for r in spec.references)) \
        if hasattr(req, "references") else req


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_specs, _specs)
def test_equal_keys_build_equal_requests(a, b):
    if _key(a) == _key(b):
        assert _request(a) == _request(b)
    if a.job == b.job and _request(a) != _request(b):
        assert _key(a) != _key(b)


_CHANGED = {"job": "speech", "provider": "zz", "model": "zz", "version": "9.9", "width": 1, "height": 1,
            "prompt": "other", "negative_prompt": "other", "seed": 123456, "take": 9, "camera": "pan",
            "seconds": 3.25, "fps": 30, "text": "other", "voice": "other", "options": {"new": 1},
            "hints": {"label": "other"}, "references": (FileRef("/refs/x.png", "d9"),)}


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(_specs)
def test_changing_any_request_field_changes_the_key(spec):
    assert set(_CHANGED) == {f.name for f in dataclasses.fields(JobSpec)}  # every field is tried
    for name, value in _CHANGED.items():
        other = dataclasses.replace(spec, **{name: value})
        if other.identity() != spec.identity():
            assert _key(other) != _key(spec), name
    assert _key(dataclasses.replace(spec, references=tuple(
        FileRef("/elsewhere.png", r.sha256) for r in spec.references))) == _key(spec)  # a moved file is the same


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["file", "lastframe", "piece", "audio", "final", "export"]),
       st.dictionaries(st.sampled_from(["a", "b", "format"]), st.integers(0, 5) | _text, min_size=1),
       st.sampled_from(["x", "y"]))
def test_local_operations_key_is_their_params_and_files(kind, params, digest):
    spec = OpSpec(params, (FileRef("/f", digest),))
    base = node_key(kind, spec.identity(), ())
    changed = OpSpec({**params, "a": "changed-" + str(params.get("a"))}, spec.files)
    assert node_key(kind, changed.identity(), ()) != base
    assert node_key(kind, OpSpec(params, (FileRef("/f", digest + "2"),)).identity(), ()) != base
    assert node_key(kind, OpSpec(params, (FileRef("/g", digest),)).identity(), ()) == base


# -- hosted jobs: recorded, resumed, never submitted twice ------------------------------------

HOSTED = "{image: fakehosted/img, keyframe: fakehosted/img, video: fakehosted/vid}"


def _submissions(vendor: Path) -> list[dict]:
    f = vendor / "submissions"
    return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []


def test_download_failing_once_after_success_submits_once(write_board, fake, registry, tmp_path, monkeypatch):
    vendor = tmp_path / "vendor"
    monkeypatch.setenv("FAKE_VENDOR", str(vendor))
    monkeypatch.setenv("FAKE_VENDOR_FETCH_FAILS", "1")
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    path = board(write_board, HOSTED, "  - {id: a, prompt: a cat}\n")
    report, prepared = make(path, registry)
    assert report.status == "ok", report.failures
    subs = _submissions(vendor)
    assert sorted(s["job"] for s in subs) == ["next-keyframe", "text-to-image", "video"]  # one each
    first = next(n for n in report.nodes if n.role == "keyframe:0")
    assert first.attempts == 2 and first.info["job_id"] == "1"
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # collected jobs are cleared once stored


@pytest.mark.slow
def test_kill_9_while_polling_then_rerun_submits_nothing_new(write_board, tmp_path):
    vendor = tmp_path / "vendor"
    path = board(write_board, "{image: fakehosted/img, keyframe: fake/img, video: fake/vid}",
                 "  - {id: a, prompt: a cat}\n")
    env = {**os.environ, "STORYRENDER_PLUGINS": "tests.plugins.fakeprov", "FAKE_VENDOR": str(vendor),
           "FAKE_VENDOR_PENDING": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "storyrender", "build", "-q", path.name], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((vendor / "polls").exists() and (vendor / "polls").read_text()):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert len(_submissions(vendor)) == 1
    prepared = prepare(path, registry=load_registry(get_plugin_manager(extra=[fakeprov])))
    with open_store(prepared.board, None) as store:
        recorded = store.jobs()
    assert [j["job_id"] for j in recorded.values()] == ["1"]
    (vendor / "release").write_text("")
    res = subprocess.run([sys.executable, "-m", "storyrender", "build", "-q", path.name], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(_submissions(vendor)) == 1  # resumed, not submitted again
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    node = next(n for n in manifest["nodes"] if n["role"] == "keyframe:0")
    assert node["info"]["job_id"] == "1" and node["status"] == "rendered"


@pytest.mark.slow
def test_providers_options_lists_the_schema(fake, cli, tmp_path):
    res = cli(["providers", "--options"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    strict = res.stdout[res.stdout.index("fakestrict"):]
    assert "quality: str, default 'standard', one of standard, high (output)" in strict
    assert "timeout: float (call only, not in keys)" in strict
    rows = json.loads(cli(["providers", "--json", "--options"], cwd=tmp_path).stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["fakestrict"]["reads"] == ["negative_prompt", "seed"]
    assert {o["name"]: o["identity"] for o in by_name["fakestrict"]["options"]}["read_timeout"] is False
    assert by_name["fake"]["options"] is None


def test_budget_is_reserved_per_submission_not_per_attempt(write_board, fake, registry, tmp_path, monkeypatch):
    """A retry that resumes a recorded job submits nothing new, so it reserves nothing new."""
    vendor = tmp_path / "vendor"
    monkeypatch.setenv("FAKE_VENDOR", str(vendor))
    monkeypatch.setenv("FAKE_VENDOR_FETCH_FAILS", "1")
    monkeypatch.setenv("FAKE_PRICE", "1")
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    path = board(write_board, "{image: fakehosted/img, keyframe: fake/img, video: fake/vid}",
                 "  - {id: a, prompt: a cat}\n")
    prepared = prepare(path, registry=load_registry(get_plugin_manager()))
    with open_store(prepared.board, None) as store:
        # keyframe 0 ($1, fetched on the second attempt) + keyframe 1 ($1) + a 1 s segment ($1)
        report = build(prepared, store, jobs=1, budget=3.0)
    assert report.status == "ok", [n.error for n in report.failures]
    assert len(_submissions(vendor)) == 1
    assert next(n for n in report.nodes if n.role == "keyframe:0").attempts == 2


def test_hosted_kit_vendor_fault_resubmits_and_uncancellable_timeout_says_so(tmp_path):
    from storyrender.errors import ProviderError, TransientError
    from storyrender.providers.base import JobJournal, Result, RunContext
    from storyrender.providers.hosted import JobStatus, run_hosted

    kept: dict = {}
    journal = JobJournal(lambda: kept.get("j"), lambda j: kept.__setitem__("j", j), lambda: kept.pop("j", None))

    class Job:
        who = "v/m"
        states = ["failed-retry"]

        def submit(self):
            return "op1"

        def poll(self, job_id):
            state = self.states[0] if self.states else "pending"
            return JobStatus("failed", error="internal", retry=True) if state == "failed-retry" \
                else JobStatus("pending")

        def fetch(self, job_id, status):
            return Result(tmp_path / "x")

        def cancel(self, job_id):
            return False

    ctx = RunContext(tmp_path / "out.png", journal=journal)
    with pytest.raises(TransientError, match="submitting again"):
        run_hosted(Job(), ctx, provider="v", timeout=5, interval=0.01)
    assert kept == {}  # a new attempt submits again
    job = Job()
    job.states = []
    with pytest.raises(ProviderError, match="may still finish and be billed"):
        run_hosted(job, ctx, provider="v", timeout=0.05, interval=0.01)
    assert kept == {}
