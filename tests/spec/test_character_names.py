"""Characters are found in prompts as whole words, not substrings."""

from __future__ import annotations

from storyrender.api import prepare
from storyrender.spec import load_board


def test_a_name_inside_another_word_is_not_a_mention(write_board, cli, tmp_path):
    path = write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        characters:
          sam: {description: a small green dragon}
        beats:
          - {prompt: "The same courtyard, empty"}
          - {prompt: "Sam's shadow crosses the courtyard"}
          - {prompt: SAM lands}
          - {prompt: samples on a table, characters: [sam]}
        """)
    board = load_board(path)
    assert [b.characters for b in board.beats] == [(), ("sam",), ("sam",), ("sam",)]
    # the requests the providers get: the dragon's description only where sam is named
    prepared = prepare(path, offline=True)
    prompts = {n.role: n.spec.prompt for n in prepared.graph if n.kind in ("image", "keyframe")}
    assert prompts["keyframe:0"] == "The same courtyard, empty"
    assert prompts["keyframe:beat-2"].startswith("Sam's shadow crosses the courtyard. Sam is a small green dragon")
    assert prompts["keyframe:beat-3"] == "SAM lands. SAM is a small green dragon"
