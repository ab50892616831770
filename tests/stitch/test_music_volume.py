"""Music volume is heard when music is the only sound; a board can turn loudness normalisation off."""

from __future__ import annotations

import subprocess

import av
import numpy as np
import pytest

from storyrender.media.ffmpeg import ffmpeg_exe


def _rms(path) -> float:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().astype(np.float64).ravel() for f in c.decode(audio=0)]
    x = np.concatenate(chunks)
    return float(np.sqrt(np.mean(x ** 2)))


def _board(write_board, name: str, volume: float, loudness: str = "") -> None:
    write_board(f"""\
        version: 1
        output: {{size: 160x90, fps: 8, formats: [mp4]}}
        seconds: 1
        audio:
          music: {{path: tone.wav, volume: {volume}, fade_in: 0, fade_out: 0}}
          {loudness}
        beats: [{{prompt: one}}, {{prompt: two}}]
        """, name=name)


@pytest.mark.slow
def test_music_alone_keeps_its_volume_and_normalisation_can_be_off(write_board, cli, tmp_path):
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3:sample_rate=48000",
                    "-c:a", "pcm_s16le", str(tmp_path / "tone.wav")], check=True)
    _board(write_board, "quiet.yaml", 0.125)
    _board(write_board, "loud.yaml", 0.5)
    _board(write_board, "raw.yaml", 0.5, "loudness: false")
    for name in ("quiet", "loud", "raw"):
        res = cli(["build", f"{name}.yaml"], cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    quiet, loud, raw = (_rms(tmp_path / "out" / f"{n}.mp4") for n in ("quiet", "loud", "raw"))
    assert 3.2 < loud / quiet < 4.8, (quiet, loud)  # 0.5 / 0.125 = 4 (12 dB), not the same loudness
    # without normalisation the tone plays at the board's volume (the mono file spread on two channels: -3 dB)
    tone = _rms_of_tone(tmp_path)
    assert abs(raw - 0.5 * tone / np.sqrt(2)) / raw < 0.1, (raw, tone)


def _rms_of_tone(tmp_path) -> float:
    with av.open(str(tmp_path / "tone.wav")) as c:
        x = np.concatenate([f.to_ndarray().astype(np.float64).ravel() / 32768 for f in c.decode(audio=0)])
    return float(np.sqrt(np.mean(x ** 2)))
