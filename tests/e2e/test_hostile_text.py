"""Hostile text in captions and prompts is drawn and written literally and can never change a command."""

from __future__ import annotations

import ast
import html
import re
import subprocess
from pathlib import Path

import pytest

from storyrender.api import build, open_store, prepare
from storyrender.media.probe import probe

pytestmark = pytest.mark.xdist_group("hostile-text")

ROOT = Path(__file__).resolve().parents[2]

# Each caption as the board says it (YAML double-quoted escapes) and as Python text.
HOSTILE = [
    "It's \"quoted\": a 'colon' here; 100% sure, %{pts} %{n} %%",
    "back\\slash \\\\ \\n not-a-newline \\' $(rm -rf /) `id` ; | & > /tmp/owned",
    "first line\nsecond line: [x],;=drawbox=c=red",
    "bell\a tab\t esc\x1b[31m red \x7f del \x0b\x0c end",
    "emoji 🎬🐈‍⬛👍🏽 and عربي שלום right-to-left \u202eevil\u202c \u200f",
    "--> not a cue <b>bold</b> &amp; {\\an8}",
]


def _yaml_quote(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u202e\u202c\u200f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _board(tmp_path: Path) -> Path:
    beats = "\n".join(f"  - prompt: {_yaml_quote('prompt ' + t)}\n    caption: {_yaml_quote(t)}" for t in HOSTILE)
    text = ("version: 1\noutput: {size: 160x90, fps: 4}\nseconds: 1\n"
            "providers: {image: faulty/img, keyframe: faulty/img, video: faulty/vid}\n"
            "captions: {burn: true, files: [srt, vtt]}\n"
            f"beats:\n{beats}\n")
    p = tmp_path / "board.yaml"
    p.write_text(text, "utf-8")
    return p


def _expected(text: str) -> str:
    """What a sidecar holds for a caption: lines split on line breaks, stripped, empty ones dropped."""
    from storyrender.stitch.captions import _clean

    return _clean(text)


def _srt_texts(path: Path) -> list[str]:
    blocks = path.read_text("utf-8").split("\n\n")
    out = []
    for b in blocks:
        lines = b.split("\n")
        if len(lines) >= 3 and "-->" in lines[1]:
            out.append("\n".join(lines[2:]).rstrip("\n").replace("-\u200b->", "-->"))  # the SRT escape
    return out


def _vtt_texts(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    assert text.startswith("WEBVTT")
    out = []
    for b in text.split("\n\n")[1:]:
        lines = b.split("\n")
        if lines and re.match(r"\d\d:\d\d:\d\d\.\d{3} --> ", lines[0]):
            out.append(html.unescape("\n".join(lines[1:]).rstrip("\n")))
    return out


def test_hostile_captions_and_prompts_render_literally_and_never_reach_a_command(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYRENDER_PLUGINS", "tests.plugins.faulty")
    monkeypatch.setenv("STORYRENDER_PROJECT_ROOT", str(tmp_path))
    argvs: list = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def spy_run(args, *a, **kw):
        argvs.append((args, kw))
        return real_run(args, *a, **kw)

    class SpyPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args, *a, **kw):
            argvs.append((args, kw))
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spy_run)
    monkeypatch.setattr(subprocess, "Popen", SpyPopen)

    board = _board(tmp_path)
    prepared = prepare(board)
    assert [b.caption for b in prepared.board.beats] == HOSTILE  # read exactly as written
    assert [b.prompt for b in prepared.board.beats] == ["prompt " + t for t in HOSTILE]
    with open_store(prepared.board, tmp_path / "cache") as store:
        report = build(prepared, store)
    assert report.status == "ok", [(n.label, n.error) for n in report.failures]

    # the video is whole, and ffmpeg was only ever given argv lists without any caption or prompt text
    info = probe(tmp_path / "out" / "board.mp4")
    assert info.frames == len(HOSTILE) * 4 + 1 or info.frames >= len(HOSTILE) * 4 - 1
    assert argvs, "no subprocess was run"
    for args, kw in argvs:
        assert isinstance(args, (list, tuple)) and all(isinstance(a, str) for a in args), args
        assert not kw.get("shell")
        joined = "\x00".join(args)
        for t in HOSTILE:
            for line in _expected(t).split("\n"):
                if len(line) > 6:
                    assert line not in joined, f"caption text reached an ffmpeg argument: {line!r}"

    # the sidecar files give the text back exactly
    assert _srt_texts(tmp_path / "out" / "board.srt") == [_expected(t) for t in HOSTILE]
    assert _vtt_texts(tmp_path / "out" / "board.vtt") == [_expected(t) for t in HOSTILE]
    assert HOSTILE[0] == _expected(HOSTILE[0])  # most captions round-trip unchanged


# ---- no shell anywhere -------------------------------------------------------------------------------------------

_SUBPROCESS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}


def _python_files():
    for top in ("src", "plugins"):
        for p in sorted((ROOT / top).rglob("*.py")):
            if ".venv" not in p.parts and "build" not in p.parts:
                yield p


def test_no_shell_true_anywhere():
    offenders = []
    for p in _python_files():
        text = p.read_text("utf-8")
        for i, line in enumerate(text.splitlines(), 1):
            if re.search(r"shell\s*=\s*True", line) or re.search(r"\bos\.(system|popen)\(", line) \
                    or "create_subprocess_shell" in line:
                offenders.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert offenders == []


@pytest.mark.slow
def test_subprocess_calls_get_argv_lists():
    """Statically: no subprocess call gets a string command (a literal, f-string, % or + of strings)."""
    offenders = []
    for p in _python_files():
        tree = ast.parse(p.read_text("utf-8"), str(p))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else "")
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if name not in _SUBPROCESS or owner not in ("subprocess", "sp", ""):
                continue
            if owner == "" and name not in ("Popen", "check_output", "check_call"):
                continue
            if name in ("getoutput", "getstatusoutput"):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}: {name} runs a shell")
                continue
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
            if isinstance(first, (ast.JoinedStr, ast.Constant)) or (
                    isinstance(first, ast.BinOp) and isinstance(first.op, (ast.Mod, ast.Add))
                    and isinstance(first.left, (ast.Constant, ast.JoinedStr))):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}: a string command")
            for k in node.keywords:
                if k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False):
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}: shell=")
    assert offenders == []


FORGERIES = ["hi\n\n2\n00:00:00,000 --> 00:00:09,000\nFORGED", "a\n00:00:01.000 --> 00:00:09.000\nFORGED",
             "WEBVTT\n\nNOTE x\n\n00:00.000 --> 00:09.000\nFORGED", "1\r\n00:00:00,000 --> 00:00:09,000\r\nFORGED"]


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_no_caption_text_can_forge_a_cue_or_a_header(tmp_path, kind):
    """FFmpeg's own SRT and WebVTT readers see exactly one cue per caption, at its own time."""
    import av

    from storyrender.stitch.captions import Cue, write_srt, write_vtt

    cues = [Cue(float(i), i + 0.5, text) for i, text in enumerate(FORGERIES)]
    path = tmp_path / f"c.{kind}"
    (write_srt if kind == "srt" else write_vtt)(cues, path)
    with av.open(str(path)) as c:
        stream = c.streams.subtitles[0]
        starts = [round(float(p.pts * stream.time_base), 3) for p in c.demux(stream) if p.pts is not None]
    assert starts == [0.0, 1.0, 2.0, 3.0], path.read_text("utf-8")
    readback = _srt_texts(path) if kind == "srt" else _vtt_texts(path)
    assert readback == [_expected(t) for t in FORGERIES]
