"""Pure timeline planning: pieces, validation, cue times, the transition list."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict

import pytest

from storyrender.media.ffmpeg import ffmpeg_exe
from storyrender.stitch import (
    TRANSITIONS,
    XFADE_TRANSITIONS,
    Cue,
    Transition,
    cue_times,
    overlays_for_piece,
    plan_pieces,
    total_frames,
)


def test_xfade_list_matches_bundled_ffmpeg():
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-h", "filter=xfade"], capture_output=True, text=True)
    names = []
    in_transition = False
    for line in proc.stdout.splitlines():
        if re.match(r"^\s+transition\s+<int>", line):
            in_transition = True
            continue
        if in_transition:
            m = re.match(r"^\s{5}(\w+)\s+-?\d+\s+\.", line)
            if not m:
                break
            names.append(m.group(1))
    assert names, proc.stdout[:500]
    assert tuple(n for n in names if n != "custom") == XFADE_TRANSITIONS
    assert TRANSITIONS[0] == "cut" and len(TRANSITIONS) == len(XFADE_TRANSITIONS) + 1


def test_transition_validation():
    with pytest.raises(ValueError, match="unknown transition"):
        Transition("explode", 3)
    with pytest.raises(ValueError):
        Transition("fade", -1)
    assert Transition("fade", 0).name == "cut"
    assert Transition.of("fade", 0.5, 24) == Transition("fade", 12)
    assert Transition.of("cut", 3, 24) == Transition("cut", 0)


def test_plan_cut_only():
    pieces = plan_pieces([8, 8, 8], [Transition(), Transition()])
    assert [(p.kind, p.beats, p.start, p.end, p.out_start) for p in pieces] == [
        ("body", (0,), 0, 8, 0), ("body", (1,), 0, 8, 8), ("body", (2,), 0, 8, 16)]
    assert total_frames([8, 8, 8], [Transition(), Transition()]) == 24


def test_plan_with_transitions_covers_timeline():
    n = [10, 7, 12, 9]
    trs = [Transition("fade", 3), Transition("cut"), Transition("wipeleft", 4)]
    pieces = plan_pieces(n, trs)
    kinds = [(p.kind, p.beats) for p in pieces]
    assert kinds == [("body", (0,)), ("junction", (0, 1)), ("body", (1,)), ("body", (2,)),
                     ("junction", (2, 3)), ("body", (3,))]
    pos = 0
    for p in pieces:
        assert p.out_start == pos and p.frames == p.end - p.start
        pos += p.frames
    assert pos == sum(n) - 7 == total_frames(n, trs)
    j = pieces[1]
    assert (j.start, j.end, j.transition, j.beat_frames) == (7, 10, "fade", (10, 7))
    assert pieces[2].start == 3 and pieces[2].end == 7
    json.dumps([p.as_dict() for p in pieces])  # JSON-serialisable for node keys
    json.dumps([p.key() for p in pieces])


def test_beat_covered_entirely_by_transitions_has_no_body():
    pieces = plan_pieces([6, 5, 6], [Transition("fade", 2), Transition("fade", 3)])
    assert [p.kind for p in pieces] == ["body", "junction", "junction", "body"]
    assert sum(p.frames for p in pieces) == 17 - 5


def test_transitions_longer_than_beat_rejected():
    with pytest.raises(ValueError, match=r"beat 2 lasts 5 frames but its transitions need 6"):
        plan_pieces([8, 5, 8], [Transition("fade", 3), Transition("fade", 3)])
    with pytest.raises(ValueError, match="transitions"):
        plan_pieces([8, 8], [])


def test_changing_one_clip_changes_only_its_body_and_two_junctions():
    """Node keys = piece.key() + the identity of the clips it reads; change beat 2's clip (and its length)."""
    trs = [Transition("fade", 2), Transition("dissolve", 3), Transition("wipeleft", 2), Transition("cut")]
    n1 = [8, 8, 8, 8, 8]
    n2 = [8, 8, 10, 8, 8]
    h1 = ["a", "b", "c", "d", "e"]
    h2 = ["a", "b", "C", "d", "e"]

    def keys(n, h):
        return [json.dumps([p.key(), [h[b] for b in p.beats]], sort_keys=True) for p in plan_pieces(n, trs)]

    for n_new in (n1, n2):  # same length, then a longer beat
        old, new = keys(n1, h1), keys(n_new, h2)
        changed = [p for p, k in zip(plan_pieces(n_new, trs), new) if k not in old]
        assert [(p.kind, p.beats) for p in changed] == [("junction", (1, 2)), ("body", (2,)), ("junction", (2, 3))]
        assert len(set(old) - set(new)) == 3


def test_cue_times_tile_the_timeline():
    n = [8, 8, 8]
    trs = [Transition("fade", 4), Transition("cut")]
    bt = cue_times(n, trs, 8)
    assert [(b.start, b.end) for b in bt] == [(0.0, 0.75), (0.75, 1.5), (1.5, 2.5)]
    assert [(b.enter, b.leave) for b in bt] == [(0.0, 1.0), (0.5, 1.5), (1.5, 2.5)]
    assert bt[-1].end == total_frames(n, trs) / 8


def test_caption_change_touches_only_intersecting_pieces():
    n = [8, 8, 8, 8]
    trs = [Transition("fade", 2), Transition("fade", 2), Transition("fade", 2)]
    pieces = plan_pieces(n, trs)
    times = cue_times(n, trs, 8)
    texts = ["one", "two", "three", "four"]
    before = [overlays_for_piece(p, [Cue(t.start, t.end, x) for t, x in zip(times, texts)], 8) for p in pieces]
    texts[2] = "THREE"
    after = [overlays_for_piece(p, [Cue(t.start, t.end, x) for t, x in zip(times, texts)], 8) for p in pieces]
    changed = [(p.kind, p.beats) for p, a, b in zip(pieces, before, after) if a != b]
    assert changed == [("junction", (1, 2)), ("body", (2,)), ("junction", (2, 3))]
    # piece-local frames, within the piece
    for p, ovs in zip(pieces, after):
        for ov in ovs:
            assert 0 <= ov.start < ov.end <= p.frames
    assert asdict(after[0][0]) == {"text": "one", "start": 0, "end": 6}
