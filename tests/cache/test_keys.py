"""Node identity: what is in a key, what is not, and literal golden keys."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from storyrender.api import prepare
from storyrender.cache.keys import canonical_json, node_key
from storyrender.plugins.manager import get_plugin_manager, load_registry
from tests.plugins import fakeprov

from ..conftest import TINY

PROV = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


@pytest.fixture
def registry():
    return load_registry(get_plugin_manager(extra=[fakeprov]))


def keys(path, registry):
    g = prepare(path, registry=registry).graph
    return {n.role: n.key for n in g}


def test_canonical_json_and_key_are_stable():
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'.encode()
    # Literal: changing the key scheme invalidates every cache; this must be a deliberate act
    # (key version 2: typed specs; results made under version 1 are adopted by cache.legacy).
    assert node_key("image", {"prompt": "a cat", "seed": 1}, []) == \
        "97fc8c466d991d77d18b891380de7dd88f010c9673d10036bfd339f487201de9"


def test_golden_board_keys(write_board, registry):
    board = write_board(TINY + PROV + "style: ink\nseed: 3\nbeats:\n  - {id: a, prompt: a cat}\n  - {id: b, prompt: a dog}\n")
    k = keys(board, registry)
    assert k["keyframe:0"] == "a27f46c5c6072b296553aedc3b148b53bea5f4053587e2e6c653d68b03ec75c9"
    assert k["keyframe:a"] == "3b7d869e6b25f2dc4936de4b291df131f71e61d598f9c25d04eb1efeda8b51a5"
    assert k["segment:b"] == "1241af2893f6c2a7fa5a4ac9063329fa67d4b9a2cc066ce9badf58eb88547924"


def test_not_in_key_id_output_path_caption(write_board, registry):
    base = TINY + PROV + "beats:\n  - {id: %s, prompt: a cat%s}\n  - {id: x2, prompt: a dog}\n"
    k1 = keys(write_board(base % ("one", ""), "a.yaml"), registry)
    k2 = keys(write_board("output: {path: elsewhere/v.mp4, size: 160x90, fps: 8}\n" +
                          (base % ("renamed", ", caption: hello")).replace("output: {size: 160x90, fps: 8}\n", ""),
                          "b.yaml"), registry)
    gen = lambda k: sorted(v for r, v in k.items() if r.split(":")[0] in ("keyframe", "segment"))
    assert gen(k1) == gen(k2)


def test_position_not_in_key(write_board, registry, tmp_path):
    Image.fromarray(np.full((90, 160, 3), 120, np.uint8)).save(tmp_path / "start.png")
    one = write_board(TINY + PROV + "beats:\n  - {prompt: walk, start_image: start.png}\n", "one.yaml")
    two = write_board(TINY + PROV + "beats:\n  - {prompt: intro}\n  - {prompt: walk, start_image: start.png}\n",
                      "two.yaml")
    k1, k2 = keys(one, registry), keys(two, registry)
    assert k1["segment:beat-1"] == k2["segment:beat-2"]
    assert k1["keyframe:beat-1"] == k2["keyframe:beat-2"]


@pytest.mark.parametrize("change,roles", [
    ("seed: 9", {"keyframe:0", "keyframe:a", "keyframe:b", "segment:a", "segment:b"}),
    ("style: watercolour", {"keyframe:0", "keyframe:a", "keyframe:b", "segment:a", "segment:b"}),
    ("output: {size: 320x180, fps: 8}", {"keyframe:0", "keyframe:a", "keyframe:b", "segment:a", "segment:b"}),
    ("output: {size: 160x90, fps: 12}", {"segment:a", "segment:b"}),
])
def test_what_is_in_key(change, roles, write_board, registry):
    body = "beats:\n  - {id: a, prompt: a cat}\n  - {id: b, prompt: a dog}\n"
    k1 = keys(write_board(TINY + PROV + body, "a.yaml"), registry)
    text = TINY + PROV + change + "\n" + body
    if change.startswith("output"):
        text = text.replace("output: {size: 160x90, fps: 8}\n", "", 1)
    k2 = keys(write_board(text, "b.yaml"), registry)
    changed = {r for r in roles if k1[r] != k2[r]}
    assert changed == roles


def test_model_change_rerenders_but_plugin_release_does_not(write_board, registry, monkeypatch):
    board = write_board(TINY + PROV + "beats:\n  - {id: a, prompt: a cat}\n")
    k1 = keys(board, registry)
    monkeypatch.setattr(fakeprov.FakeProvider, "__module__", "somewhere.else")  # a new release, same version
    assert keys(board, registry) == k1
    monkeypatch.setattr(fakeprov.FakeProvider, "version", "2")  # outputs change: new version
    k2 = keys(board, registry)
    assert k2["segment:a"] != k1["segment:a"] and k2["keyframe:0"] != k1["keyframe:0"]


def test_call_options_are_not_in_keys_but_output_options_are(write_board, registry):
    body = "beats:\n  - {id: a, prompt: a cat}\n"
    ref = "providers: {image: fake/img, keyframe: fake/img, video: {use: fake/vid, options: %s}}\n"
    base = keys(write_board(TINY + ref % "{}" + body, "a.yaml"), registry)
    tuned = keys(write_board(TINY + ref % "{timeout: 900, poll_interval: 3}" + body,
                             "b.yaml"), registry)
    other = keys(write_board(TINY + ref % "{quality: high}" + body, "c.yaml"), registry)
    assert tuned == base
    assert other["segment:a"] != base["segment:a"] and other["keyframe:0"] == base["keyframe:0"]
