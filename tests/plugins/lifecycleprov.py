"""A provider ``aging`` whose models sit at every lifecycle stage (for tests/providers/test_lifecycle.py).

Its models make nothing: the tests only validate, plan and list.
"""

from __future__ import annotations

from storyrender import hookimpl
from storyrender.provider_api import Job, Lifecycle, ModelInfo, Price, Provider

_IMG = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME})
_VID = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})


class AgingProvider(Provider):
    name = "aging"
    description = "models at every lifecycle stage"
    options_schema = ()
    models = (
        # listed first but shut down: never the default
        ModelInfo("old-img", _IMG, price=Price(per_image=0.01),
                  lifecycle=Lifecycle("ga", shut_down_on="2020-01-31", replacement="new-img",
                                      source="vendor changelog", checked="2026-12-01")),
        ModelInfo("soon-img", _IMG, price=Price(per_image=0.01),
                  lifecycle=Lifecycle("ga", deprecated_on="2026-01-01", shut_down_on="2999-06-30",
                                      replacement="new-img", source="vendor changelog", checked="2026-12-01")),
        ModelInfo("beta-img", _IMG, price=Price(per_image=0.01), lifecycle=Lifecycle("preview")),
        ModelInfo("new-img", _IMG, price=Price(per_image=0.02), lifecycle=Lifecycle("ga")),
        ModelInfo("gone-vid", _VID, price=Price(per_second=0.1), lifecycle=Lifecycle("shut_down")),
        ModelInfo("beta-vid", _VID, price=Price(per_second=0.1), lifecycle=Lifecycle("preview")),
    )


@hookimpl
def register_providers(register):
    register(AgingProvider())
