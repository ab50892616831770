"""The artifact store: the only package that touches diskcache (its index, in :mod:`.artifacts`).

Layout of a store directory (``.storyrender/`` beside the storyboard by default)::

    index/                      diskcache: key -> Record, plus small named state values
    artifacts/ab/abcdef...png   the artifacts, one file per node key
    tmp/                        producers write here, then :meth:`Store.put` moves the file in
    locks/                      one lock file per key being made (fcntl, released on process death)

A record is written only after its artifact file is complete and in place (``os.replace``),
so a half-written artifact is never served: a crash leaves at most an orphan file that the
next producer of that key overwrites. A record keeps its artifact's size, mtime and sha256, and a
read checks them (:mod:`storyrender.cache.integrity`): a file with the size and mtime it was stored
with is the file that was stored; any other is checked, and a truncated, replaced or swapped file is
"corrupt in cache" and never served; it is fetched again from the remote cache when there is
one, else the node is made again (a paid one resumes its recorded vendor job when it can). Records of paid results (``cost > 0`` or ``paid``) are
never evicted silently: see :meth:`prune`.

Eviction never runs under a build: every build holds a shared lock on ``gc.lock`` (see
:meth:`Store.in_use`) from planning to publishing, and :meth:`prune` needs it exclusively (it
waits, or gives up with :class:`CacheBusy`). So an artifact a build planned to read is still there
when the build reads it.
"""

from __future__ import annotations

from .artifacts import Store
from .fallbacks import Fallbacks
from ..location import default_cache_dir
from .records import CacheBusy, Record, parse_size

__all__ = ["Fallbacks", "Record", "Store", "CacheBusy", "default_cache_dir", "parse_size"]
