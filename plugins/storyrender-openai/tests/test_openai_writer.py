"""`storyrender new --writer openai`: the real SDK against a fake of /v1/chat/completions on 127.0.0.1,
reached through the SDK's own OPENAI_BASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from openai_fakes import TEST_KEY, FakeOpenAI
from storyrender.api import prepare

PROMPT = "A cat walking through a magical forest"


def story(n: int, camera: str = "push-in") -> dict:
    return {"title": "The Cat and the Glowing Tree",
            "beats": [{"prompt": f"The tabby cat, step {i + 1}, under glowing mushrooms", "camera": camera,
                       "caption": f"Part {i + 1}"} for i in range(n)]}


def completion(content: str, *, finish: str = "stop", refusal=None) -> dict:
    return {"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1796400000, "model": "gpt-5.4-mini",
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 800, "total_tokens": 2000}}


def new(fake: FakeOpenAI, dest, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GOOGLE_", "GEMINI_"))}
    env.update(OPENAI_API_KEY=TEST_KEY, OPENAI_BASE_URL=fake.base_url)
    return subprocess.run([sys.executable, "-m", "storyrender", "new", PROMPT, "--writer", "openai", "--seconds",
                           "30", *args, str(dest)], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def fake(httpserver) -> FakeOpenAI:
    return FakeOpenAI(httpserver)


@pytest.mark.slow
def test_openai_writes_the_board_from_a_schema_constrained_request(fake, tmp_path):
    fake.push("/v1/chat/completions", body=completion(json.dumps(story(6))))
    r = new(fake, tmp_path / "p")
    assert r.returncode == 0, r.stderr
    (sent,) = fake.posts("/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    body = sent.json
    assert body["model"] == "gpt-5.4-mini"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    item = schema["properties"]["beats"]["items"]
    assert set(item["required"]) == {"prompt", "camera", "caption"} and item["additionalProperties"] is False
    assert "push-in" in item["properties"]["camera"]["enum"]
    assert "Exactly 6 beats" in schema["properties"]["beats"]["description"]
    assert PROMPT in body["messages"][1]["content"] and "6 beats" in body["messages"][1]["content"]
    assert TEST_KEY not in json.dumps(body)

    board = tmp_path / "p" / "board.yaml"
    text = board.read_text()
    assert "writer: openai/gpt-5.4-mini" in text and "template" not in text.splitlines()[2]
    beats = prepare(board).board.beats
    assert [b.prompt for b in beats] == [f"The tabby cat, step {i + 1}, under glowing mushrooms" for i in range(6)]
    assert [b.caption for b in beats][:2] == ["Part 1", "Part 2"] and sum(b.seconds for b in beats) == 30
    assert prepare(board).board.title == "The Cat and the Glowing Tree"
    assert TEST_KEY not in text

    # cached by its inputs: the same prompt again calls nothing
    r = new(fake, tmp_path / "p", "--force")
    assert r.returncode == 0, r.stderr
    assert len(fake.posts("/v1/chat/completions")) == 1
    # and plan prices it before anything is called
    r = new(fake, tmp_path / "q", "--plan")
    assert r.stdout.startswith("render  story  openai/gpt-5.4-mini  6 beats") and "$0.0146" in r.stdout, r.stdout
    assert len(fake.posts("/v1/chat/completions")) == 1


@pytest.mark.slow
@pytest.mark.parametrize("answer, why", [
    (completion("this is not json"), "not JSON"),
    (completion(json.dumps(story(4))), "not a story of 6 beats"),
    (completion(json.dumps(story(6, camera="zoom-blur"))), "camera"),
    (completion(json.dumps(story(6))[:50], finish="length"), "cut short"),
    (completion(None, refusal="I can't help with that."), "refused"),
])
def test_a_malformed_answer_is_a_clear_error_and_nothing_is_written(fake, tmp_path, answer, why):
    fake.push("/v1/chat/completions", body=answer)
    dest = tmp_path / "p"
    r = new(fake, dest)
    assert r.returncode == 1, r.stderr
    assert why in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (dest / "board.yaml").exists() and not (dest / ".gitignore").exists()
    assert TEST_KEY not in r.stderr + r.stdout


@pytest.mark.slow
def test_a_lost_answer_names_the_story_not_an_image(fake, tmp_path):
    fake.push("/v1/chat/completions", status=502, body={"error": {"message": "Bad gateway", "type": "server_error",
                                                                 "param": None, "code": None}})
    dest = tmp_path / "p"
    r = new(fake, dest)
    assert r.returncode == 1, r.stderr
    assert "a gateway answered HTTP 502" in r.stderr
    assert "OpenAI may have made and billed the story anyway" in r.stderr and "a new story" in r.stderr, r.stderr
    assert "image" not in r.stderr
    assert len(fake.posts("/v1/chat/completions")) == 1  # not asked again
    assert not (dest / "board.yaml").exists()
