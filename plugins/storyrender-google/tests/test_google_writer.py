"""`storyrender new --writer google`: the real google-genai SDK against a fake generateContent on
127.0.0.1, reached through the SDK's own GOOGLE_GEMINI_BASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from google_fakes import TEST_KEY, FakeGoogle
from storyrender.api import prepare

PROMPT = "A cat walking through a magical forest"


def story(n: int) -> dict:
    return {"title": "Glow", "beats": [{"prompt": f"The cat, moment {i + 1}, fireflies rising", "camera": "orbit",
                                        "caption": f"Moment {i + 1}"} for i in range(n)]}


def answer(text: str, finish: str = "STOP") -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish,
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 500, "thoughtsTokenCount": 700,
                              "totalTokenCount": 2200},
            "modelVersion": "gemini-3.5-flash", "responseId": "fake-1"}


def new(fake: FakeGoogle, dest, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GOOGLE_", "GEMINI_"))}
    env.update(GEMINI_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=fake.base_url)
    return subprocess.run([sys.executable, "-m", "storyrender", "new", PROMPT, "--writer", "google", "--seconds", "12",
                           "--beats", "3", *args, str(dest)], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def fake(httpserver) -> FakeGoogle:
    return FakeGoogle(httpserver)


@pytest.mark.slow
def test_gemini_writes_the_board_from_a_schema_constrained_request(fake, tmp_path):
    fake.push("generate", answer(json.dumps(story(3))))
    r = new(fake, tmp_path / "p")
    assert r.returncode == 0, r.stderr
    (sent,) = fake.of("generate")
    assert sent.path.endswith("/models/gemini-3.5-flash:generateContent")
    assert sent.headers["x-goog-api-key"] == TEST_KEY
    cfg = sent.json["generationConfig"]
    assert cfg["responseMimeType"] == "application/json"
    schema = cfg["responseJsonSchema"]
    assert schema["properties"]["beats"]["items"]["required"] == ["prompt", "camera", "caption"]
    assert "Exactly 3 beats" in schema["properties"]["beats"]["description"]
    assert PROMPT in sent.json["contents"][0]["parts"][0]["text"]
    assert "storyboard writer" in sent.json["systemInstruction"]["parts"][0]["text"]
    board = tmp_path / "p" / "board.yaml"
    beats = prepare(board).board.beats
    assert [b.caption for b in beats] == ["Moment 1", "Moment 2", "Moment 3"]
    assert [b.camera for b in beats] == ["orbit"] * 3 and sum(b.seconds for b in beats) == 12
    assert "writer: google/gemini-3.5-flash" in board.read_text() and TEST_KEY not in board.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("body, why", [
    (answer("{\"title\": \"x\", \"beats\": ["), "not JSON"),
    (answer(json.dumps({"title": "x", "beats": story(3)["beats"][:1]})), "not a story of 3 beats"),
    (answer(json.dumps(story(3)), finish="SAFETY"), "safety"),
    (answer("{}", finish="MAX_TOKENS"), "cut short"),
])
def test_a_malformed_answer_is_a_clear_error_and_nothing_is_written(fake, tmp_path, body, why):
    fake.push("generate", body)
    dest = tmp_path / "p"
    r = new(fake, dest)
    assert r.returncode == 1, r.stderr
    assert why in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (dest / "board.yaml").exists() and not (dest / ".gitignore").exists()
