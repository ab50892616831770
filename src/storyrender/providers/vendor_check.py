"""``storyrender providers --check``: ask each vendor what it serves and compare with the catalogue.

For the models the given boards name (each role, each beat's override, a provider's default when
no model is named), or every catalogued model when no board is given, each provider whose key is
set is asked once (:meth:`~storyrender.providers.base.Provider.ask_vendor`). A model is reported
when the catalogue says it is shut down or deprecated, when the vendor does not serve it
(unknown), when the vendor gives a shutdown date, or when the vendor's price differs from the
catalogue's by more than 1 %. Never called by ``build``.
"""

from __future__ import annotations

from typing import Any, Iterable

from .base import Job, Price

__all__ = ["models_named", "check_models"]

_ROLE_JOBS = {"image": Job.TEXT_TO_IMAGE, "keyframe": Job.NEXT_KEYFRAME, "video": Job.FIRST_LAST_VIDEO,
              "voice": Job.SPEECH, "music": Job.MUSIC, "sound": Job.SOUND}


def models_named(board: Any, registry: Any) -> set[tuple[str, str]]:
    """(provider, model) pairs a loaded board asks for, the defaults included."""
    refs = list(board.providers.items())
    for beat in board.beats:
        refs += list(beat.providers.items())
    out = set()
    for role, ref in refs:
        provider = registry.get(ref.name)
        if provider is None:
            continue
        job = _ROLE_JOBS.get(role)
        if role == "video" and board.mode == "extend":
            job = Job.FIRST_FRAME_VIDEO
        model = ref.model or (provider.default_model(job) if job else None)
        if model:
            out.add((ref.name, model))
    return out


def check_models(pairs: Iterable[tuple[str, str]], registry: Any) -> list[dict[str, Any]]:
    """One row per (provider, model): ``finding`` is "" when all agrees, else what differs."""
    by_provider: dict[str, list[str]] = {}
    for name, model in sorted(set(pairs)):
        by_provider.setdefault(name, []).append(model)
    rows = []
    for name, models in by_provider.items():
        provider = registry.get(name)
        answers, skipped = None, ""
        if provider.offline:
            skipped = "built in: nothing to ask"
        elif not provider.has_key():
            skipped = f"not asked: set {' or '.join(provider.key_env)}"
        else:
            try:
                answers = provider.ask_vendor(list(models))
            except Exception as exc:  # the vendor could not be asked: say so, check the others
                skipped = f"could not ask the vendor ({type(exc).__name__}: {str(exc)[:160]})"
            if answers is None and not skipped:
                skipped = "the vendor publishes no model list"
        for model in models:
            uncovered = answers is not None and model not in answers
            rows.append(_row(provider, model, (answers or {}).get(model),
                             "the vendor's model list does not cover it" if uncovered else skipped))
    return rows


def _row(provider: Any, model: str, answer: dict | None, skipped: str) -> dict[str, Any]:
    findings = []
    try:
        info = provider.resolve_model(model)
    except Exception:
        info = None
    if info is None:
        findings.append("not in the catalogue")
    else:
        life = info.lifecycle
        state = info.status
        if state == "shut_down":
            findings.append("retired (catalogue): " + life.describe(sources=False))
        elif state == "deprecated":
            findings.append("deprecated (catalogue): " + life.describe(sources=False))
    if answer is not None:
        if not answer.get("served", True):
            findings.append("unknown to the vendor (not served)")
        if answer.get("shut_down_on"):
            findings.append(f"the vendor shuts it down on {answer['shut_down_on']}")
        vendor_price = answer.get("price")
        if info is not None and isinstance(vendor_price, Price) and vendor_price.known:
            drift = _price_drift(info.price, vendor_price)
            if drift:
                findings.append(drift)
    return {"provider": provider.name, "model": model, "status": info.status if info else "unknown",
            "asked": answer is not None, "note": skipped, "finding": "; ".join(findings)}


def _price_drift(ours: Price, theirs: Price) -> str:
    for field, unit in (("per_image", "image"), ("per_second", "s"), ("per_call", "call")):
        a, b = getattr(ours, field), getattr(theirs, field)
        if b is None:
            continue
        if a is None:
            return f"priced differently: the vendor asks ${b:g}/{unit}, the catalogue has no price"
        if abs(a - b) > 0.01 * max(abs(a), abs(b)):
            return f"priced differently: the vendor asks ${b:g}/{unit}, the catalogue says ${a:g} (as of {ours.as_of})"
    return ""
