"""output.fit applies to character references: a square reference on a 16:9 board reaches the
provider filling the frame with crop and pillarboxed with pad, made once and cached like a pin."""

from __future__ import annotations

import pytest
import numpy as np
from PIL import Image

from storyrender import api
from storyrender.plugins.manager import get_plugin_manager, load_registry
from tests.plugins import fakeprov


def _board(write_board, tmp_path, fit: str):
    Image.new("RGB", (120, 120), (230, 200, 40)).save(tmp_path / "mia.png")
    return write_board(f"""\
        version: 1
        output: {{size: 160x90, fps: 8, fit: {fit}, formats: [mp4]}}
        seconds: 1
        providers: {{image: fake/img, keyframe: fake/img, video: fake/vid}}
        characters:
          mia: {{description: a yellow cat, image: mia.png}}
        beats:
          - {{prompt: Mia sits}}
          - {{prompt: Mia jumps}}
        """, name=f"{fit}.yaml")


def _received(fake, cli, tmp_path, fit: str) -> list[np.ndarray]:
    fake.reset()
    res = cli(["build", f"{fit}.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    refs = [p for call in fake() for p in call.get("references", [])]
    assert len(refs) == 5  # keyframe 0, two end keyframes, two segments: each got Mia's reference
    return [np.asarray(Image.open(p).convert("RGB"), np.float32) for p in refs]


@pytest.mark.slow
def test_crop_fills_the_frame_and_pad_pillarboxes(write_board, cli, fake, tmp_path):
    _board(write_board, tmp_path, "crop")
    _board(write_board, tmp_path, "pad")
    for ref in _received(fake, cli, tmp_path, "crop"):
        assert ref.shape == (90, 160, 3)
        assert ref[:, :8].mean() > 150 and ref[:, -8:].mean() > 150  # the reference's colour to the edges
        assert ref[:2].mean() > 150 and ref[-2:].mean() > 150
    for ref in _received(fake, cli, tmp_path, "pad"):
        assert ref.shape == (90, 160, 3)
        assert ref[:, :20].mean() < 10 and ref[:, -20:].mean() < 10  # black pillars
        assert ref[:, 70:90].mean() > 150


def test_the_fitted_reference_is_one_cached_node_per_character(write_board, tmp_path):
    registry = load_registry(get_plugin_manager(entry_points=False, extra=[fakeprov]))
    prepared = api.prepare(_board(write_board, tmp_path, "crop"), registry=registry)
    refs = [n for n in prepared.graph if n.role == "reference:mia"]
    assert len(refs) == 1 and refs[0].kind == "file" and refs[0].spec.params["fit"] == "crop"
    users = [n for n in prepared.graph if refs[0].key in n.inputs]
    assert sorted(n.kind for n in users) == ["image", "keyframe", "keyframe", "segment", "segment"]
    pad = api.prepare(_board(write_board, tmp_path, "pad"), registry=registry)
    assert [n.key for n in pad.graph if n.role == "reference:mia"] != [refs[0].key]  # the fit is in the key


@pytest.mark.slow
def test_the_review_page_shows_the_reference_as_fitted(write_board, cli, fake, tmp_path):
    import base64
    import io
    import json
    import re

    _board(write_board, tmp_path, "crop")
    assert cli(["build", "crop.yaml"], cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "out" / "crop.manifest.json").read_text())["output"]["fit"] == "crop"
    page = (tmp_path / "out" / "crop.html").read_text()
    m = re.search(r'data-character="mia"><figure><img class="thumb" src="data:image/jpeg;base64,([^"]+)"', page)
    assert m
    thumb = np.asarray(Image.open(io.BytesIO(base64.b64decode(m.group(1)))).convert("RGB"), np.float32)
    h, w = thumb.shape[:2]
    assert abs(w / h - 16 / 9) < 0.05
    assert thumb[:, :4].mean() > 150 and thumb[:, -4:].mean() > 150  # filled to the edges, no pillars
