"""A character's reference image is shown: manifest, plan --json and the review page."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re

import numpy as np
import pytest
from PIL import Image


@pytest.mark.slow
def test_reference_image_appears_in_manifest_plan_and_review(write_board, cli, tmp_path):
    (tmp_path / "refs").mkdir()
    Image.new("RGB", (64, 64), (250, 120, 20)).save(tmp_path / "refs" / "mia.png")
    write_board("""\
        version: 1
        output: {size: 160x90, fps: 8, formats: [mp4]}
        seconds: 1
        characters:
          mia: {description: a small orange tabby cat, image: refs/mia.png}
        beats: [{prompt: Mia naps}, {prompt: a quiet room}]
        """)
    digest = hashlib.sha256((tmp_path / "refs" / "mia.png").read_bytes()).hexdigest()
    plan = json.loads(cli(["plan", "--json", "board.yaml"], cwd=tmp_path).stdout)
    assert plan["characters"] == [{"name": "mia", "description": "a small orange tabby cat",
                                   "reference": {"path": "refs/mia.png", "sha256": digest}, "beats": [1]}]
    res = cli(["build", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    assert manifest["characters"][0]["reference"] == {"path": "../refs/mia.png", "sha256": digest}
    page = (tmp_path / "out" / "board.html").read_text()
    m = re.search(r'data-character="mia"><figure><img class="thumb" src="data:image/jpeg;base64,([^"]+)"', page)
    assert m, page[:2000]
    with Image.open(io.BytesIO(base64.b64decode(m.group(1)))) as im:  # the reference as providers get it
        thumb = np.asarray(im.convert("RGB"), np.float32)
    h, w = thumb.shape[:2]
    assert abs(w / h - 16 / 9) < 0.05  # fitted to the 16:9 frame (output.fit: pad, the default)
    px = thumb[:, w // 2 - 5:w // 2 + 5].reshape(-1, 3).mean(axis=0)
    assert np.allclose(px, (250, 120, 20), atol=12), px  # the reference's own colour in the middle
    assert thumb[:, :w // 8].mean() < 12 and thumb[:, -(w // 8):].mean() < 12  # black pillars
    assert "a small orange tabby cat" in page
