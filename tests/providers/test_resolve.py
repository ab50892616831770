"""The resolver: which provider, model and job each role of each beat gets, the board's overrides, offline,
and the errors that name the line choosing the provider."""

from __future__ import annotations

import pytest
from PIL import Image

from storyrender.errors import BoardError, BoardErrors
from storyrender.plugins.manager import get_plugin_manager, load_registry
from storyrender.providers.resolve import resolve_board
from storyrender.spec import load_board
from storyrender.vocabulary import Job
from tests.plugins import fakeprov

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 1
providers:
  image: fake
  keyframe: fake/img
  video: {use: fake/vid, options: {quality: high}, concurrency: 3}
audio:
  music: {prompt: calm piano}
beats:
  - {prompt: a cat, say: hello}
  - {prompt: a dog, providers: {video: local}}
  - {prompt: a bird, sound: a thud}
"""


@pytest.fixture
def registry(monkeypatch):
    """local and the test providers, nothing else installed."""
    monkeypatch.delenv("STORYRENDER_PLUGINS", raising=False)
    return load_registry(get_plugin_manager(entry_points=False, extra=[fakeprov]))


def _labels(resolution) -> dict[tuple[str, int], str]:
    return {key: choice.label for key, choice in resolution.choices.items()}


def test_each_role_of_each_beat_gets_the_provider_the_board_names(write_board, registry):
    board = load_board(write_board(BOARD))
    res = resolve_board(board, registry)
    assert _labels(res) == {
        ("image", 1): "fake/img",  # keyframe 0: beat 1 only
        ("keyframe", 1): "fake/img", ("keyframe", 2): "fake/img", ("keyframe", 3): "fake/img",
        ("video", 1): "fake/vid", ("video", 2): "local/animatic", ("video", 3): "fake/vid",  # beat 2's own
        ("voice", 1): "local/espeak",  # only the beat that says something; unnamed roles go to local
        ("music", 1): "local/chords",
        ("sound", 3): "local/placeholder",
    }
    jobs = {key: c.job for key, c in res.choices.items()}
    assert jobs[("image", 1)] == Job.TEXT_TO_IMAGE and jobs[("keyframe", 2)] == Job.NEXT_KEYFRAME
    assert jobs[("video", 1)] == Job.FIRST_LAST_VIDEO and jobs[("voice", 1)] == Job.SPEECH
    assert jobs[("music", 1)] == Job.MUSIC and jobs[("sound", 3)] == Job.SOUND
    video = res.get("video", board.beats[0])
    assert dict(video.options) == {"quality": "high"} and video.concurrency == 3
    assert res.get("video", board.beats[1]).concurrency == registry.get("local").concurrency  # the provider's own
    assert set(res.providers()) == {"fake", "local"} and res.warnings == ()


def test_extend_mode_and_pinned_images_drop_the_roles_they_replace(write_board, registry, tmp_path):
    for name in ("start.png", "end.png"):
        Image.new("RGB", (160, 90)).save(tmp_path / name)
    keyframes = load_board(write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        beats:
          - {prompt: a, start_image: start.png}
          - {prompt: b, end_image: end.png}
          - {prompt: c}
        """, name="pinned.yaml"))
    assert sorted(resolve_board(keyframes, registry).choices) == [
        ("keyframe", 1), ("keyframe", 3), ("video", 1), ("video", 2), ("video", 3)]
    extend = load_board(write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        mode: extend
        providers: {video: fake}
        beats: [{prompt: a}, {prompt: b}]
        """, name="extend.yaml"))
    res = resolve_board(extend, registry)
    assert sorted(res.choices) == [("image", 1), ("video", 1), ("video", 2)]  # no keyframes: the clip continues
    assert {c.job for k, c in res.choices.items() if k[0] == "video"} == {Job.FIRST_FRAME_VIDEO}
    assert res.get("video", extend.beats[1]).label == "fake/vid"  # the first model that does the job


def test_offline_sends_every_role_to_local_whatever_the_board_names(write_board, registry):
    path = write_board(BOARD.replace("image: fake", "image: nosuch/model"))
    board = load_board(path)
    with pytest.raises(BoardError):
        resolve_board(board, registry)
    res = resolve_board(board, registry, offline=True)
    assert {c.name for c in res.choices.values()} == {"local"}
    assert len(res.choices) == 10  # the same roles as online
    assert all(dict(c.options) == {} for c in res.choices.values())  # the board's options were for fake
    assert res.get("video", board.beats[0]).label == "local/animatic"


def test_an_unknown_provider_names_its_line_and_what_is_installed(write_board, registry):
    path = write_board(BOARD.replace("image: fake", "image: nosuch"))
    with pytest.raises(BoardError) as err:
        resolve_board(load_board(path), registry)
    text = str(err.value)
    assert "board.yaml:5" in text and "unknown provider 'nosuch' for image" in text
    assert "Installed providers: fake, fakehosted, fakestrict, local" in text


def test_every_wrong_reference_is_reported_once(write_board, registry):
    path = write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        providers:
          image: fake/nope
          keyframe: fake/vid
          video: {use: fakestrict/vid, options: {qualty: high}}
        beats: [{prompt: a}, {prompt: b}, {prompt: c}]
        """)
    with pytest.raises(BoardErrors) as err:
        resolve_board(load_board(path), registry)
    lines = [e.format() for e in err.value.errors]
    assert len(lines) == 3, lines  # three beats, one message per wrong reference
    image, keyframe, video = lines
    assert "board.yaml:5" in image and "provider 'fake' has no model 'nope'" in image
    assert "Its models: img, vid, img-only, vid10" in image
    assert "board.yaml:6" in keyframe and "fake/vid cannot do next-keyframe (needed for keyframe)" in keyframe
    assert "fakestrict has no option 'qualty'" in video and "Did you mean 'quality'?" in video


def test_a_board_price_overrides_the_list_price(write_board, registry, monkeypatch):
    monkeypatch.setenv("FAKE_PRICE", "0.5")
    path = write_board(BOARD + "prices:\n  fake/vid: {per_second: 0.02}\n")
    res = resolve_board(load_board(path), registry)
    # registry providers were made before FAKE_PRICE was set: a fresh one has the list price
    fresh = load_registry(get_plugin_manager(entry_points=False, extra=[fakeprov]))
    listed = resolve_board(load_board(write_board(BOARD, name="listed.yaml")), fresh)
    video, keyframe = (res.choices[("video", 1)], res.choices[("keyframe", 1)])
    assert video.price_override and video.estimate(10) == pytest.approx(0.2)
    assert not keyframe.price_override
    assert listed.choices[("video", 1)].estimate(10) == pytest.approx(5.0)
    assert not listed.choices[("video", 1)].price_override
