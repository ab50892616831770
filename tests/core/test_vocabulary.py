"""The shared words: one definition each, and every user of them agrees."""

from __future__ import annotations

from storyrender.graph.kinds import IMAGE_KINDS, KINDS
from storyrender.providers.base import Job as ProviderJob
from storyrender.spec.model import ROLES as SPEC_ROLES
from storyrender.stitch.timeline import TRANSITIONS as STITCH_TRANSITIONS
from storyrender.vocabulary import ROLES, TRANSITIONS, Job, NodeKind, Status


def test_video_jobs_are_exactly_the_two_video_jobs():
    assert {j for j in Job if j.is_video} == {Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}
    assert Job("first-frame-video").is_video and not Job("speech").is_video


def test_the_old_import_paths_name_the_same_objects():
    assert ProviderJob is Job and SPEC_ROLES is ROLES and STITCH_TRANSITIONS is TRANSITIONS


def test_every_node_kind_has_one_row_in_the_kinds_table():
    assert set(KINDS) == {k.value for k in NodeKind}
    assert IMAGE_KINDS == ("image", "keyframe", "file", "lastframe")


def test_statuses_are_the_manifest_strings():
    assert [s.value for s in Status] == ["cached", "rendered", "render", "failed", "skipped", "not needed"]
    assert Status.NOT_NEEDED == "not needed" and f"{Status.CACHED:<8}|" == "cached  |"
