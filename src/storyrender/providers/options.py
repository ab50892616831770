"""The options a board may set on a provider, and the call-only ones that never change a key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Option", "CALL_OPTIONS", "LEGACY_CALL_OPTIONS"]


@dataclass(frozen=True)
class Option:
    """One provider option a board may set (``providers.ROLE.options.NAME``).

    :param type: ``str``, ``int``, ``float``, ``bool``, ``dict`` or ``list`` (ints pass as floats)
    :param identity: True when the option changes what is made (part of node keys); False for
        call-only options (timeouts, poll intervals), which never re-render anything
    :param choices: the values allowed, when only some are
    :param pattern: a regular expression a string value must match whole (e.g. a region name that
        becomes part of a host, so a board cannot turn it into another host)
    """

    name: str
    type: type
    default: Any = None
    description: str = ""
    identity: bool = True
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None

    def problem(self, value: Any) -> str | None:
        """Why *value* is not acceptable, or None."""
        want = self.type
        ok = isinstance(value, want) and not (want in (int, float) and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            return f"must be {_TYPE_WORDS.get(want, want.__name__)}, not {type(value).__name__} {value!r}"[:200]
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}, not {value!r}"[:200]
        if want in (int, float) and value < 0:
            return f"must not be negative ({value!r})"
        if self.pattern is not None and isinstance(value, str) and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}, not {value!r}"[:200]
        return None


_TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               dict: "a mapping", list: "a list"}

#: call-only options every hosted provider shares (never part of a key)
CALL_OPTIONS = (
    Option("timeout", float, None, "seconds to wait for the vendor's job before cancelling it", identity=False),
    Option("poll_interval", float, None, "seconds between status polls", identity=False),
)


#: call-only option names for providers without an :attr:`Provider.options_schema`
LEGACY_CALL_OPTIONS = frozenset({
    "base_url", "timeout", "request_timeout", "http_timeout", "read_timeout", "poll_interval", "poll_retries", "max_retries",
    "wait", "file_encoding", "upload", "concurrency",
})

