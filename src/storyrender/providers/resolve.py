"""Resolve a board's provider references against the installed providers, before anything runs.

Every (role, beat) gets a :class:`Choice`: provider, model, the job it must do, options and
its identity for node keys. Unknown providers or models, a provider asked for a job it cannot
do, and a model whose limits the board breaks (e.g. an 8 s-only video model for a 5 s beat)
are :class:`~storyrender.errors.BoardError` pointing at the line that names the provider. So is a
model its vendor has shut down (naming the replacement); a deprecated one is a warning
(:attr:`Resolution.warnings`) that gives its shutdown date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import BoardError, BoardErrors
from ..spec.lengths import split_seconds
from ..spec.model import Beat, Board, ProviderRef
from ..stitch.exporters import FINAL_FORMAT
from .base import Job, Provider
from .models import TIMED_JOBS, ModelInfo, Price

if TYPE_CHECKING:  # the registry is handed in by the caller
    from ..plugins.manager import ProviderRegistry

__all__ = ["Choice", "Resolution", "resolve_board", "resolve_problems", "job_for"]


def _unknown_formats(board: Board, registry: ProviderRegistry) -> list[BoardError]:
    known = sorted({FINAL_FORMAT, *registry.exporters})
    return [board.error(f"unknown output format {fmt!r}", f"/output/formats/{i}",
                        hint=f"Formats installed: {', '.join(known)} (an exporter plugin adds more).")
            for i, fmt in enumerate(board.output.formats) if fmt not in known]


def job_for(role: str, mode: str) -> Job:
    """The job a role asks for in a given mode."""
    return {
        "image": Job.TEXT_TO_IMAGE,
        "keyframe": Job.NEXT_KEYFRAME,
        "video": Job.FIRST_FRAME_VIDEO if mode == "extend" else Job.FIRST_LAST_VIDEO,
        "voice": Job.SPEECH,
        "music": Job.MUSIC,
        "sound": Job.SOUND,
    }[role]


@dataclass(frozen=True)
class Choice:
    """A resolved provider for one role of one beat."""

    role: str
    job: Job
    provider: Provider = field(compare=False, repr=False)
    name: str
    model: ModelInfo
    options: Mapping[str, Any]
    concurrency: int
    price: Price
    #: the board overrides the list price (its estimate is then also the recorded cost)
    price_override: bool = False

    @property
    def version(self) -> str:
        """The output version of provider and model (part of node keys)."""
        return f"{self.provider.version}.{self.model.version}"

    @property
    def identity_options(self) -> dict[str, Any]:
        """The options that change what is made (part of node keys)."""
        return {k: v for k, v in self.options.items() if self.provider.is_identity_option(k)}

    @property
    def call_options(self) -> dict[str, Any]:
        """The options that only change how a call is made (never part of node keys)."""
        return {k: v for k, v in self.options.items() if not self.provider.is_identity_option(k)}

    def reads(self, field_name: str) -> bool:
        """True when the provider reads request field *field_name* (see ``Provider.reads``)."""
        return field_name in self.provider.reads

    @property
    def label(self) -> str:
        return f"{self.name}/{self.model.name}"

    @property
    def price_unknown(self) -> bool:
        """A paid provider whose model has no list price (estimates would wrongly say $0)."""
        return not self.provider.offline and not self.price.known

    def estimate(self, seconds: float | None = None) -> float:
        return self.price.estimate(seconds if self.job in TIMED_JOBS else None)


@dataclass(frozen=True)
class Resolution:
    """Choices for the whole board: ``board_level[role]`` and ``per_beat[(role, beat index)]``."""

    choices: Mapping[tuple[str, int], Choice]
    #: ``file:line: ...`` sentences about deprecated models (printed by validate, plan and build)
    warnings: tuple[str, ...] = ()
    #: the version of the exporter writing each of the board's other formats (part of its key)
    exporters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, role: str, beat: Beat) -> Choice:
        return self.choices[(role, beat.index)]

    def providers(self) -> dict[str, Provider]:
        return {c.name: c.provider for c in self.choices.values()}


def resolve_board(board: Board, registry: ProviderRegistry, *, offline: bool = False) -> Resolution:
    """Resolve every role used by *board* (with *offline* every job goes to ``local``) and check that
    an installed exporter writes each of its ``output.formats``."""
    errors: list[BoardError] = _unknown_formats(board, registry)
    warnings: list[BoardError] = []
    choices: dict[tuple[str, int], Choice] = {}
    cache: dict[tuple, Choice | None] = {}
    for beat in board.beats:
        roles = []
        if beat.index == 1 and beat.start_image is None:
            roles.append("image")
        if board.mode == "keyframes" and beat.end_image is None:
            roles.append("keyframe")
        roles.append("video")
        if beat.say:
            roles.append("voice")
        if beat.sound is not None:
            roles.append("sound")
        if beat.index == 1 and board.audio.music is not None and board.audio.music.prompt:
            roles.append("music")
        for role in roles:
            ref = board.provider_for(role, beat)
            if offline:
                ref = ProviderRef("local", None, MappingProxyType({}), None, ref.pointer)
            job = job_for(role, board.mode)
            memo = (role, ref.name, ref.model, tuple(sorted(map(str, ref.options.items()))), ref.concurrency)
            if memo not in cache:
                cache[memo] = _resolve_one(board, registry, role, job, ref, errors, warnings)
            choice = cache[memo]
            if choice is None:
                continue
            choices[(role, beat.index)] = choice
            is_video = job.is_video
            # a beat longer than the model's longest clip is made of clips it can make (graph.clips)
            clips = split_seconds(beat.seconds, choice.model.limits.durations) if is_video else None
            problems = choice.provider.check(job, choice.model, seconds=(clips or (beat.seconds,))[0] if is_video else None,
                                             width=board.output.width, height=board.output.height,
                                             options=choice.options)
            warnings.extend(board.error(w, ref.pointer) for w in choice.provider.warnings(job, choice.model,
                                                                                           choice.options))
            if is_video and beat.audio == "keep" and choice.provider.makes_audio(choice.model, choice.options) is False:
                warnings.append(board.error(
                    f"beat {beat.index} ({beat.id}) keeps its segment's sound, but {choice.label} makes silent "
                    "clips with these options: the beat adds no sound", f"/beats/{beat.index - 1}/audio",
                    "Ask the model for sound (a provider option such as generate_audio) or remove audio: keep."))
            if role == "voice" and board.audio.voice_name:
                voice = choice.provider.voice_problem(choice.model, board.audio.voice_name)
                if voice:  # the same for every beat: reported once (see below)
                    errors.append(board.error(voice, "/audio/voice/name"))
            for problem in problems:
                about_length = is_video and ("second" in problem or " s" in problem)
                ptr = f"/beats/{beat.index - 1}/seconds" if about_length else ref.pointer
                where = f"beat {beat.index} ({beat.id}): " if is_video else ""
                errors.append(board.error(f"{where}{problem}", ptr))
    # de-duplicate identical messages (same model problem on many beats)
    seen, unique = set(), []
    for e in errors:
        if e.format() not in seen:
            seen.add(e.format())
            unique.append(e)
    if unique:
        raise BoardErrors(unique[:20]) if len(unique) > 1 else unique[0]
    notes = tuple(dict.fromkeys(w.format() for w in warnings))
    versions = {f: getattr(registry.exporters[f], "version", "") for f in board.output.formats
                if f in registry.exporters}
    return Resolution(MappingProxyType(choices), notes, MappingProxyType(versions))


def resolve_problems(board: Board, registry: ProviderRegistry, *, offline: bool = False) -> list[BoardError]:
    """What :func:`resolve_board` would refuse in *board*, as a list (empty when it resolves)."""
    try:
        resolve_board(board, registry, offline=offline)
    except BoardError as exc:
        return list(getattr(exc, "errors", [exc]))
    return []


def _resolve_one(board: Board, registry: ProviderRegistry, role: str, job: Job, ref: ProviderRef,
                 errors: list[BoardError], warnings: list[BoardError]) -> Choice | None:
    provider = registry.get(ref.name)
    if provider is None:
        installed = ", ".join(registry.names())
        errors.append(board.error(
            f"unknown provider {ref.name!r} for {role}", ref.pointer,
            f"Installed providers: {installed}. Install a plugin (pip install storyrender-{ref.name}) "
            f"or see `storyrender providers`."))
        return None
    model_name = ref.model or provider.default_model(job)
    if model_name is None and any(job in m.jobs for m in provider.models):
        # it does the job, but only with deprecated models: no default, the board names one
        named = ", ".join(f"{ref.name}/{m.name} ({m.status})" for m in provider.models if job in m.jobs)
        errors.append(board.error(
            f"provider {ref.name!r} has no default model for {job.value} (needed for {role}): its models for it "
            f"are all deprecated or shut down", ref.pointer, f"Name one to use it until it shuts down: {named}."))
        return None
    if model_name is None:
        able = ", ".join(registry.doing(job)) or "none installed"
        errors.append(board.error(
            f"provider {ref.name!r} cannot do {job.value} (needed for {role})", ref.pointer,
            f"Providers that can: {able}."))
        return None
    try:
        model = provider.resolve_model(model_name)
    except KeyError:
        known = ", ".join(m.name for m in provider.models) or "none"
        errors.append(board.error(f"provider {ref.name!r} has no model {model_name!r}", ref.pointer,
                                  f"Its models: {known}."))
        return None
    except Exception as exc:  # a plugin's own validation of options/model strings
        errors.append(board.error(f"{ref.label}: {exc}", ref.pointer))
        return None
    if not _lifecycle_ok(board, provider, model, ref, errors, warnings):
        return None
    option_errors = _option_problems(board, provider, ref)
    if option_errors:
        errors.extend(option_errors)
        return None
    if job not in model.jobs:
        able = [f"{p.name}" for p in registry if job in p.jobs]
        does = ", ".join(j.value for j in sorted(model.jobs, key=lambda j: j.value)) or "nothing"
        errors.append(board.error(
            f"{ref.name}/{model.name} cannot do {job.value} (needed for {role}); it does: {does}", ref.pointer,
            f"Choose a provider that can ({', '.join(able) or 'none installed'}); `storyrender providers` lists them."))
        return None
    price = provider.price_for(model, ref.options)
    override = board.prices.get(f"{ref.name}/{model.name}")
    if override:
        price = Price(per_image=override.get("per_image"), per_second=override.get("per_second"),
                      per_call=override.get("per_call"), as_of="storyboard")
    return Choice(role=role, job=job, provider=provider, name=provider.name, model=model,
                  options=MappingProxyType(dict(ref.options)),
                  concurrency=ref.concurrency or provider.concurrency, price=price,
                  price_override=bool(override))


def _lifecycle_ok(board: Board, provider: Provider, model: ModelInfo, ref: ProviderRef,
                  errors: list[BoardError], warnings: list[BoardError]) -> bool:
    """False (an error naming the replacement) for a shut-down model; a warning for a deprecated one."""
    life = model.lifecycle
    state = life.status_on()
    if state not in ("shut_down", "deprecated"):
        return True
    label = f"{provider.name}/{model.name}"
    instead = (f"Use {provider.name}/{life.replacement} instead" if life.replacement else
               "Choose another model (`storyrender providers` lists each model's status)")
    cite = f" (source: {life.source}" + (f", checked {life.checked})" if life.checked else ")") if life.source else ""
    if state == "shut_down":
        errors.append(board.error(f"{label} was shut down{' on ' + life.shut_down_on if life.shut_down_on else ''}"
                                  f": its vendor no longer serves it", ref.pointer, f"{instead}.{cite}"))
        return False
    when = f"shuts down on {life.shut_down_on}" if life.shut_down_on else "will be shut down (no date announced)"
    warnings.append(board.error(f"{label} is deprecated and {when}", ref.pointer, f"{instead}.{cite}"))
    return True


def _option_problems(board: Board, provider: Provider, ref: ProviderRef) -> list[BoardError]:
    """Options the provider's schema does not know (with a suggestion) or values of the wrong type."""
    if provider.options_schema is None:
        return []
    import difflib

    known = [o.name for o in provider.options_schema]
    out = []
    for name, value in ref.options.items():
        ptr = f"{ref.pointer}/options/{name}"
        opt = provider.option(str(name))
        if opt is None:
            close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
            hint = (f"Did you mean {close[0]!r}? " if close else "") + (
                f"{provider.name} options: {', '.join(known) or 'none'} (`storyrender providers --options`).")
            out.append(board.error(f"{provider.name} has no option {str(name)[:80]!r}", ptr, hint))
            continue
        problem = opt.problem(value)
        if problem:
            out.append(board.error(f"{provider.name} option {name}: {problem}", ptr,
                                   f"{opt.description}." if opt.description else None))
    return out
