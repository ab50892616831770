"""Whole boards with ``openai`` keyframes (and local segments), through the real SDK and the fake.

What a node's key holds is what OpenAI receives: a take, a camera hint and the identity options
change the request; call-only options (``timeout``) render nothing. A POST whose
answer was lost is never repeated (no hosted job to resume, no idempotency key).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openai_fakes import image_response, make_ctx
from storyrender.api import build, manifest_path, open_store, prepare
from storyrender.cache.keys import node_key
from storyrender.execute.ops import request_for
from storyrender.execute.runner import RetryPolicy
from storyrender.providers.base import Job
from storyrender_openai.calls import USAGE_URL

GEN = "/v1/images/generations"
EDIT = "/v1/images/edits"


def write_board(tmp_path: Path, fake, *, beat: str = "{id: a, prompt: a cat}", image_options: str = "",
                keyframe_options: str = "") -> Path:
    """A one-beat 160x90 board: openai keyframes, local segment."""
    text = textwrap.dedent(f"""\
        version: 1
        output: {{size: 160x90, fps: 8}}
        seconds: 1
        providers:
          image: {{use: openai/gpt-image-1.5, options: {{{image_options.lstrip(", ")}}}}}
          keyframe: {{use: openai/gpt-image-1.5, options: {{{keyframe_options.lstrip(", ")}}}}}
          video: local/animatic
        beats:
          - {beat}
        """)
    path = tmp_path / "board.yaml"
    path.write_text(text, "utf-8")
    return path


def make(path: Path, **kwargs):
    prepared = prepare(path)
    kwargs.setdefault("retry", RetryPolicy(attempts=3, base=0.01, cap=0.05))
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2, **kwargs), prepared


def node(prepared, role: str):
    return next(n for n in prepared.graph if n.role == role)


@pytest.fixture
def images(fake):
    fake.default = image_response(160, 90)
    return fake


@pytest.mark.slow
def test_a_board_builds_with_two_requests_and_a_rebuild_sends_none(env, images, tmp_path):
    path = write_board(tmp_path, images)
    report, prepared = make(path)
    assert report.status == "ok", [n.error for n in report.failures]
    assert [s.path for s in images.seen] == [GEN, EDIT]
    row = next(r for r in report.nodes if r.role == "keyframe:0")
    assert row.info["request_id"] == "req_fake_1" and row.info["model"] == "gpt-image-1.5"
    report, _ = make(path)
    assert len(images.seen) == 2 and report.totals()["rendered"] == 0


# -- (a) takes: no seed at the vendor, but a new take is a new request ---------------------------


@pytest.mark.slow
def test_take_2_is_a_new_request_that_openai_receives_unchanged(env, images, tmp_path, provider):
    prepared = prepare(write_board(tmp_path, images))
    k0 = node(prepared, "keyframe:0")
    assert k0.spec.seed is None and k0.spec.take == 1  # the provider reads no seed
    specs = {t: dataclasses.replace(k0.spec, take=t) for t in (1, 2)}
    keys = {t: node_key(k0.kind, s.identity(), k0.inputs) for t, s in specs.items()}
    assert keys[1] == k0.key and keys[2] != keys[1]

    def send(spec, name):
        ctx = make_ctx(tmp_path / name / "out.png", **k0.call)
        provider.run(Job(spec.job), request_for(spec, []), ctx)

    send(specs[1], "t1")
    send(specs[2], "t2")
    assert len(images.posts(GEN)) == 2  # take 2 is a second request at the vendor...
    first, second = (s.json for s in images.posts(GEN))
    assert first == second  # ...otherwise equal: GPT image models take no seed
    assert "seed" not in first
    # the same take again: the same key and the same request
    again = dataclasses.replace(k0.spec, take=2)
    assert node_key(k0.kind, again.identity(), k0.inputs) == keys[2]
    send(again, "t2-again")
    assert images.posts(GEN)[2].json == second


# -- (b) camera ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_camera_edit_on_beat_1_changes_keyframe_0_and_reaches_the_prompt(env, images, tmp_path):
    path = write_board(tmp_path, images)
    _, before = make(path)
    assert len(images.seen) == 2
    write_board(tmp_path, images, beat="{id: a, prompt: a cat, camera: slow push-in}")
    report, after = make(path)
    assert report.status == "ok"
    assert node(after, "keyframe:0").key != node(before, "keyframe:0").key
    new = images.seen[2:]
    assert [s.path for s in new] == [GEN, EDIT]
    assert new[0].json["prompt"] == "a cat. Camera: slow push-in."
    assert new[1].form["prompt"][0].endswith("Camera: slow push-in.")


# -- (c) call-only options -----------------------------------------------------------------------


@pytest.mark.slow
def test_editing_timeout_renders_nothing(env, images, tmp_path):
    path = write_board(tmp_path, images)
    _, before = make(path)
    assert len(images.seen) == 2
    write_board(tmp_path, images, image_options=", timeout: 45", keyframe_options=", timeout: 90.5")
    report, after = make(path)
    assert len(images.seen) == 2
    assert report.status == "ok" and report.totals()["rendered"] == 0
    assert report.totals()["cached"] == report.totals()["nodes"]
    assert node(after, "keyframe:0").key == node(before, "keyframe:0").key
    assert node(after, "keyframe:0").call == {"timeout": 45}
    # an identity option does re-render (and reaches the request); keyframe 1 follows its new input
    write_board(tmp_path, images, image_options=", quality: high")
    report, _ = make(path)
    assert [s.path for s in images.seen[2:]] == [GEN, EDIT]
    assert images.seen[2].json["quality"] == "high" and images.seen[3].form["quality"] == ["medium"]


# -- (d) unknown options -------------------------------------------------------------------------


@pytest.mark.slow
def test_unknown_options_are_refused_by_validate_with_line_and_suggestion(tmp_path):
    text = textwrap.dedent("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        providers:
          image:
            use: openai/gpt-image-1.5
            options:
              qualty: high
          keyframe:
            use: openai/gpt-image-1.5
            options:
              max_retries: 2
          video: local/animatic
        beats:
          - {id: a, prompt: a cat}
        """)
    (tmp_path / "board.yaml").write_text(text, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    res = subprocess.run([sys.executable, "-m", "storyrender", "validate", "board.yaml"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, (res.stdout, res.stderr)
    err = res.stderr
    assert "board.yaml:8" in err and "qualty" in err and "Did you mean 'quality'" in err
    assert "board.yaml:12" in err and "max_retries" in err  # the SDK's retries are not an option any more
    assert "Traceback" not in err


def test_a_board_choosing_the_host_is_refused_and_names_the_variable(tmp_path):
    (tmp_path / "board.yaml").write_text(textwrap.dedent("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        providers:
          image: {use: openai/gpt-image-1.5, options: {base_url: "http://127.0.0.1:9/v1"}}
        beats:
          - {id: a, prompt: a cat}
        """), "utf-8")
    res = subprocess.run([sys.executable, "-m", "storyrender", "validate", "board.yaml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "board.yaml:5" in res.stderr and "'base_url' would choose where requests and API keys are sent" \
        in res.stderr and "OPENAI_BASE_URL" in res.stderr


# -- (g) a POST whose answer was lost is not repeated ----------------------------------------------


def test_an_answer_that_times_out_after_the_post_was_received_fails_once_naming_where_to_look(env, images,
                                                                                           tmp_path):
    images.push(GEN, body=image_response(160, 90), delay=1.5)
    path = write_board(tmp_path, images, image_options=", timeout: 0.3")
    report, prepared = make(path, retry=RetryPolicy(attempts=5, base=0.01, cap=0.05))
    assert report.status == "failed"
    assert len(images.posts(GEN)) == 1  # received once, never sent again
    assert images.posts(EDIT) == []  # keyframe 1 needs keyframe 0: skipped
    row = next(r for r in report.nodes if r.role == "keyframe:0")
    assert row.status == "failed" and row.attempts in (0, 1)
    assert "did not answer in time after 0.3 s" in row.error
    assert "may have made and billed the image" in row.error and USAGE_URL in row.error
    manifest = json.loads(manifest_path(prepared.board).read_text("utf-8"))
    assert manifest["status"] == "failed" and USAGE_URL in json.dumps(manifest)


@pytest.mark.slow
def test_a_rate_limit_is_retried_by_the_runner_with_one_more_request(env, images, tmp_path):
    images.push(GEN, status=429, headers={"retry-after-ms": "20"},
                body={"error": {"message": "Rate limit reached", "type": "requests", "param": None,
                                "code": "rate_limit_exceeded"}})
    report, _ = make(write_board(tmp_path, images))
    assert report.status == "ok"
    assert len(images.posts(GEN)) == 2 and len(images.posts(EDIT)) == 1
    row = next(r for r in report.nodes if r.role == "keyframe:0")
    assert row.attempts == 2
