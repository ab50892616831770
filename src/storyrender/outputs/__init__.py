"""What a build leaves beside the board, as separate steps the api calls in order: the published
files (:mod:`.publish`), the manifest (:mod:`.manifest`) and the review page (:mod:`.review`);
:func:`write_board` takes them in turn for one board."""

from .manifest import manifest_doc, manifest_path, write_manifest
from .publish import continuity_scores, publish_outputs, published_seconds, written_seconds
from .review import write_review
from .board import write_board

__all__ = ["publish_outputs", "continuity_scores", "written_seconds", "published_seconds", "manifest_path",
           "manifest_doc", "write_manifest", "write_review", "write_board"]
