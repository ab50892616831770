"""``storyrender new``: one prompt becomes a commented board, written by a provider.

The writing is a provider job like any other: one ``story`` node (kind ``story``, job
``write-story``) whose spec is exactly the request the writer receives (premise, style, beat
lengths, size, the answer schema and the instructions), run through the same runner and store as
a build, so it is cached by its inputs (the same prompt is never paid twice), priced by
``plan_story`` before anything is called and counted against ``--budget``. The answer is checked
(:func:`shape.parse_answer`) and the board it makes is validated before anything is written; a
malformed answer is an error and leaves no file behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BoardError, MissingKeyError, StoryrenderError
from ..graph.nodes import Graph, Node
from ..graph.spec import JobSpec
from ..plugins.manager import ProviderRegistry, load_registry
from ..providers.base import Job, ModelInfo, Provider
from .lengths import beat_lengths
from .shape import SYSTEM, MalformedStory, Story, instructions, parse_answer, vendor_schema

__all__ = ["NewRequest", "StoryJob", "prepare_story", "plan_story", "run_story", "WriterChoice", "pick_writer"]

_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
_REF = re.compile(r"^[A-Za-z0-9_.-]+(/[^\s]+)?$")
#: writers tried in order when none is named and the build is not offline (the first with a key)
CLOUD_WRITERS = ("openai", "google")


@dataclass(frozen=True)
class NewRequest:
    """What `storyrender new` was asked for."""

    premise: str
    seconds: float = 30.0
    style: str = "cinematic"
    beats: int | None = None
    size: str = "1280x720"
    fps: int = 24
    writer: str | None = None
    video: str = "local"
    offline: bool = False

    @property
    def width_height(self) -> tuple[int, int]:
        m = _SIZE.match(self.size.strip())
        if not m or int(m[1]) % 2 or int(m[2]) % 2:
            raise _usage(f"--size {self.size!r}: write WIDTHxHEIGHT with even numbers, e.g. 1280x720")
        return int(m[1]), int(m[2])


@dataclass(frozen=True)
class WriterChoice:
    provider: Provider
    model: ModelInfo

    @property
    def label(self) -> str:
        return f"{self.provider.name}/{self.model.name}"


@dataclass
class StoryJob:
    """A prepared writing: the node to run, and what the board around it needs."""

    request: NewRequest
    writer: WriterChoice
    lengths: tuple[float, ...]
    video_label: str
    graph: Graph

    @property
    def node(self) -> Node:
        return self.graph[self.graph.targets["story"]]


def _usage(message: str, hint: str | None = None) -> BoardError:
    return BoardError(message, file="storyrender new", hint=hint)


def _provider_model(registry: ProviderRegistry, ref: str, job: Job, what: str) -> WriterChoice:
    if not _REF.match(ref or ""):
        raise _usage(f"{what} {ref!r}: write NAME or NAME/MODEL")
    name, _, model = ref.partition("/")
    provider = registry.get(name)
    if provider is None:
        raise _usage(f"{what} {ref!r}: no provider {name!r}",
                     f"Installed: {', '.join(registry.names())}; `storyrender providers` lists them.")
    model = model or provider.default_model(job) or ""
    try:
        info = provider.resolve_model(model)
    except Exception:
        able = ", ".join(registry.doing(job)) or "none installed"
        raise _usage(f"{what} {ref!r}: {name} has no model for {job.value}",
                     f"Providers that can: {able}; `storyrender providers` lists their models.") from None
    status = getattr(info, "status", "")
    if status == "shut_down":
        life = getattr(info, "lifecycle", None)
        instead = getattr(life, "replacement", "") if life else ""
        raise _usage(f"{what} {ref!r}: {name}/{info.name} was shut down by its vendor",
                     f"Use {name}/{instead} instead." if instead else "`storyrender providers` lists the others.")
    if job not in info.jobs:
        raise _usage(f"{what} {ref!r}: {name}/{info.name} cannot do {job.value}",
                     f"Providers that can: {', '.join(registry.doing(job)) or 'none installed'}.")
    return WriterChoice(provider, info)


def pick_writer(registry: ProviderRegistry, ref: str | None, *, offline: bool) -> WriterChoice:
    """The writer: *ref*; ``local`` offline; else the first cloud writer whose key is set."""
    if offline:
        return _provider_model(registry, "local", Job.WRITE_STORY, "--writer")
    if ref:
        return _provider_model(registry, ref, Job.WRITE_STORY, "--writer")
    for name in CLOUD_WRITERS:
        p = registry.get(name)
        if p is not None and Job.WRITE_STORY in p.jobs and p.has_key():
            return _provider_model(registry, name, Job.WRITE_STORY, "--writer")
    raise MissingKeyError(
        "no writer has a key: set OPENAI_API_KEY (openai) or GEMINI_API_KEY / GOOGLE_API_KEY (google), "
        "name one with --writer, or use --offline (the built-in template writer, free)")


def prepare_story(req: NewRequest, registry: ProviderRegistry | None = None) -> StoryJob:
    """Resolve the writer and the video model, size the beats, build the one-node graph (nothing runs)."""
    registry = registry or load_registry()
    premise = " ".join(str(req.premise).split())
    if not premise:
        raise _usage("the prompt is empty: say what the video is about, e.g. \"A cat walking through a forest\"")
    if len(premise) > 2000:
        raise _usage(f"the prompt is {len(premise)} characters; keep it under 2000")
    if not 0 < req.seconds <= 3600:
        raise _usage(f"--seconds {req.seconds:g}: give a length between 1 and 3600 seconds")
    if req.beats is not None and not 1 <= req.beats <= 200:
        raise _usage(f"--beats {req.beats}: give between 1 and 200 beats")
    width, height = req.width_height
    writer = pick_writer(registry, req.writer, offline=req.offline)
    video = _provider_model(registry, "local" if req.offline else req.video, Job.FIRST_LAST_VIDEO, "--video")
    lengths = beat_lengths(req.seconds, video.model.limits.durations, req.beats)
    schema = vendor_schema(len(lengths))
    style = " ".join(req.style.split())
    opts = {}  # writers take no board options yet: the request is the whole identity
    spec = JobSpec(job=Job.WRITE_STORY.value, provider=writer.provider.name, model=writer.model.name,
                   version=f"{writer.provider.version}.{writer.model.version}", width=width, height=height,
                   prompt=premise, text=style, seconds=float(sum(lengths)), options=opts,
                   hints={"beats": list(lengths), "schema": schema, "system": SYSTEM,
                          "instructions": instructions(premise, style, lengths)})
    estimate = writer.provider.estimate(Job.WRITE_STORY, writer.model)
    node = Node("story", spec, (), role="story", label=f"story ({len(lengths)} beats)",
                provider=writer.provider.name, estimate=estimate,
                pricing={"model_label": writer.label,
                         "price_unknown": not writer.provider.offline and not writer.model.price.known})
    graph = Graph()
    graph.targets["story"] = graph.add(node)
    return StoryJob(req, writer, lengths, video.label, graph)


def plan_story(job: StoryJob, store) -> dict[str, Any]:
    """The writing's plan row: cached or to call, with whom, for how much (calls nothing)."""
    node = job.node
    cached = store.has(node.key)
    return {"key": node.key, "role": "story", "label": node.label, "kind": "story",
            "status": "cached" if cached else "render",
            "reason": "" if cached else "no story was written for this prompt, style and length yet",
            "provider": job.writer.provider.name, "model": job.writer.model.name,
            "estimate_usd": 0.0 if cached else node.estimate,
            "price_unknown": bool(node.pricing.get("price_unknown")) and not cached}


def run_story(job: StoryJob, store, *, events: Any = None, budget: float | None = None) -> Story:
    """Write the story (or take it from the cache) and return it, checked.

    :raises MissingKeyError: the writer's key is not set (found before any call).
    :raises StoryrenderError: the writer failed, or answered something that is not a story of the
        asked shape (the answer is then dropped from the cache, so a rerun asks again).
    """
    from ..execute.policy import RetryPolicy
    from ..execute.runner import run_build

    node = job.node
    provider = job.writer.provider
    if not store.has(node.key) and not provider.has_key():
        raise MissingKeyError(
            f"writer {job.writer.label} needs an API key: set {' or '.join(provider.key_env)} "
            f"(or use --offline for the built-in template writer)")
    if budget is not None and not store.has(node.key):
        if node.pricing.get("price_unknown"):
            raise _usage(f"{job.writer.label} has no list price, so --budget cannot be kept")
        if node.estimate > budget + 1e-9:
            raise _usage(f"writing the story is estimated at ${node.estimate:.3f}, over the budget of ${budget:.2f}")
    report, _ = run_build(job.graph, store, {provider.name: provider}, events=events, budget=budget,
                          retry=RetryPolicy(), board_name="storyrender new")
    if report.status != "ok":
        reasons = "; ".join(f"{f.error}" for f in report.failures) or report.status
        raise StoryrenderError(f"the writer {job.writer.label} failed: {reasons}")
    path = store.path(node.key)
    try:
        return parse_answer(Path(path).read_bytes(), len(job.lengths))
    except MalformedStory as exc:
        store.forget(node.key)
        raise StoryrenderError(f"the writer {job.writer.label} answered something that is not a story of "
                               f"{len(job.lengths)} beats: {exc}; nothing was written") from None
