"""A board's schema errors and its other problems are reported together, in one round."""

from __future__ import annotations

import pytest


def _lines(stderr: str) -> list[str]:
    return [line.removeprefix("error: ") for line in stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_schema_and_semantic_errors_in_different_beats_come_together(write_board, cli, tmp_path):
    write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        beats:
          - prompt: one
            seconds: long
          - prompt: two
            start_image: missing.png
          - prompt: three
            providers:
              video: {use: local/nope}
        """)
    res = cli(["validate", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    lines = _lines(res.stderr)
    assert len(lines) == 3, res.stderr
    schema, image, model = lines
    assert schema.startswith("board.yaml:5:") and "/beats/0/seconds: expected a number" in schema
    assert image.startswith("board.yaml:7:") and "/beats/1/start_image: image 'missing.png' does not exist" in image
    assert "Create it or fix the path" in image
    assert model.startswith("board.yaml:10:") and "/beats/2/providers/video: provider 'local' has no model 'nope'" in model
    assert "Its models:" in model
    assert "Traceback" not in res.stderr


@pytest.mark.slow
def test_a_beat_with_a_schema_error_is_left_out_of_the_other_checks(write_board, cli, tmp_path):
    """The broken beat's own other problems are not guessed at (its missing image is not reported)."""
    write_board("""\
        version: 1
        beats:
          - prompt: one
            seconds: long
            start_image: missing.png
          - {prompt: two, end_image: gone.png}
        """)
    res = cli(["plan", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    lines = _lines(res.stderr)
    assert len(lines) == 2, res.stderr
    assert "/beats/0/seconds" in lines[0] and "/beats/1/end_image: image 'gone.png' does not exist" in lines[1]


@pytest.mark.slow
def test_a_malformed_output_keeps_the_file_checks_and_skips_the_provider_checks(write_board, cli, tmp_path):
    write_board("""\
        version: 1
        output: {size: huge}
        characters:
          cat: {description: a cat, image: nocat.png}
        beats:
          - {prompt: the cat, providers: {video: {use: local/nope}}}
        """)
    res = cli(["validate", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    lines = _lines(res.stderr)
    assert len(lines) == 2, res.stderr
    assert "/output/size" in lines[0] and "'huge' has the wrong form" in lines[0]
    assert "/characters/cat/image: image 'nocat.png' does not exist" in lines[1]


@pytest.mark.parametrize("text", ["version: 1\nbeats: []\n", "version: 1\nbeats: {a: 1}\n", "- just\n- a list\n"])
@pytest.mark.slow
def test_no_well_formed_part_gives_the_schema_errors_alone(write_board, cli, tmp_path, text):
    (tmp_path / "board.yaml").write_text(text)
    res = cli(["validate", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: board.yaml:")


@pytest.mark.slow
def test_many_problems_are_bounded(write_board, cli, tmp_path):
    beats = "".join(f"  - {{prompt: b{i}, seconds: x}}\n" if i % 2 else f"  - {{prompt: b{i}, end_image: m{i}.png}}\n"
                    for i in range(12))
    (tmp_path / "board.yaml").write_text("version: 1\nbeats:\n" + beats)
    res = cli(["validate", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    lines = _lines(res.stderr)
    assert len(lines) == 9 and lines[-1] == "... and 4 more problems (fix these and run again to see them)", lines
    assert any("/seconds" in line for line in lines[:8]) and any("end_image" in line for line in lines[:8])


def test_one_round_in_process(write_board, tmp_path):
    from storyrender import api
    from storyrender.errors import BoardErrors

    write_board("""\
        version: 1
        beats:
          - {prompt: one, seconds: long}
          - {prompt: two, start_image: missing.png}
          - {prompt: three, providers: {video: local/nope}}
        """)
    with pytest.raises(BoardErrors) as err:
        api.prepare(tmp_path / "board.yaml")
    found = [(e.pointer, e.line) for e in err.value.errors]
    assert found == [("/beats/0/seconds", 3), ("/beats/1/start_image", 4), ("/beats/2/providers/video", 5)], found
    assert "has no model 'nope'" in err.value.errors[2].message
