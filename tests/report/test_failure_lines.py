"""A failure line names the node once."""

from __future__ import annotations

import io
from types import SimpleNamespace

from storyrender.report.console import LogReporter


def test_failure_line_does_not_repeat_the_node_name():
    out = io.StringIO()
    rep = LogReporter(out)
    node = SimpleNamespace(label="segment 3", is_provider_job=True, spec=SimpleNamespace(provider="spy", model="vid"))
    rep.node_finished(node, SimpleNamespace(status="failed", error="segment 3: the vendor refused the prompt",
                                            seconds=0.0))
    rep.node_finished(SimpleNamespace(label="segment 4", is_provider_job=True,
                                      spec=SimpleNamespace(provider="spy", model="vid")),
                      SimpleNamespace(status="failed", error="timed out after 600 s", seconds=0.0))
    text = out.getvalue()
    assert "FAILED   segment 3 (spy/vid): the vendor refused the prompt" in text, text
    assert text.count("segment 3") == 1
    assert "FAILED   segment 4 (spy/vid): timed out after 600 s" in text
