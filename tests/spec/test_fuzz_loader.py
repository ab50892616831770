"""Property tests: the storyboard loader never crashes on random input; it only raises BoardError."""

from __future__ import annotations

import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyrender.errors import BoardError
from storyrender.spec import load_board

pytestmark = pytest.mark.xdist_group("fuzz-loader")

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = ["version", "beats", "prompt", "seconds", "output", "size", "fps", "transition", "type", "seed", "take",
        "providers", "video", "image", "keyframe", "use", "options", "captions", "burn", "files", "audio", "music",
        "path", "vars", "extends", "id", "start_image", "end_image", "characters", "mode", "prices", "title"]
scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["1", "cut", "fade", "local", "64x36", "../x.png", "/etc/passwd", "${x}", "$${y}",
                              "keyframes", "extend", "srt", "sk-abcdefghijklmnopqrstuvwxyz"]))
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


def _load(path):
    try:
        load_board(path)
    except BoardError as exc:
        text = exc.format()
        assert text and "Traceback" not in text
    except RecursionError:  # pragma: no cover - would be a bug
        raise


@SETTINGS
@given(st.text(alphabet=string.printable + "{}[]:-&*!|>'\"#%@`äé😀\u202e", max_size=400))
def test_random_text_never_crashes_the_loader(tmp_path, text):
    p = tmp_path / "board.yaml"
    p.write_text(text, "utf-8")
    _load(p)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_the_loader(tmp_path, data):
    p = tmp_path / "board.yaml"
    p.write_bytes(data)
    _load(p)


@pytest.mark.slow
@SETTINGS
@given(json_like)
def test_random_structures_never_crash_the_loader(tmp_path, doc):
    p = tmp_path / "board.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    _load(p)


@pytest.mark.slow
@SETTINGS
@given(st.fixed_dictionaries({"version": st.just(1), "beats": st.lists(
    st.dictionaries(st.sampled_from(["prompt", "seconds", "transition", "id", "seed", "take", "caption", "camera"]),
                    scalars, min_size=1, max_size=5), min_size=1, max_size=4)},
    optional={"output": st.dictionaries(st.sampled_from(["size", "fps", "path", "formats"]), scalars, max_size=3),
              "seconds": scalars, "transition": scalars | st.dictionaries(st.sampled_from(["type", "seconds"]),
                                                                         scalars, max_size=2)}))
def test_nearly_valid_boards_load_or_fail_cleanly(tmp_path, doc):
    p = tmp_path / "board.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    _load(p)
