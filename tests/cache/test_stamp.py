"""The stamp files of remembered no-op builds (storyrender.cache.stamp) and what readers note (storyrender.reads)."""

from __future__ import annotations

import os

from storyrender import reads
from storyrender.cache import stamp


def test_a_stamp_round_trips_and_one_of_another_format_is_ignored(tmp_path):
    stamp.save(tmp_path, "abc", {"result": {"doc": {"x": "\udcff"}}})
    assert stamp.load(tmp_path, "abc")["result"] == {"doc": {"x": "\udcff"}}
    stamp.stamp_path(tmp_path, "abc").write_text('{"format": 0}')
    assert stamp.load(tmp_path, "abc") is None
    stamp.stamp_path(tmp_path, "abc").write_text("{not json")
    assert stamp.load(tmp_path, "abc") is None and stamp.load(tmp_path, "missing") is None


def test_unchanged_sees_size_mtime_absence_and_folders(tmp_path):
    f, gone, folder = tmp_path / "f.txt", tmp_path / "gone", tmp_path / "d"
    f.write_text("one")
    folder.mkdir()
    files = stamp.stat_entries([f, gone])
    folders = {str(folder): stamp.stat_entry(folder)[1]}
    assert files[str(gone)] is None and stamp.unchanged(files) and stamp.unchanged(folders, dirs=True)
    st = f.stat()
    f.write_text("two")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert stamp.unchanged(files)  # same size and mtime: a stat cannot tell (texts are also hashed)
    f.write_text("three")
    assert not stamp.unchanged(files)
    gone.write_text("")
    assert not stamp.unchanged({str(gone): None})
    (folder / "new.yaml").write_text("")
    assert not stamp.unchanged(folders, dirs=True)


def test_texts_are_hashed_and_must_hold_no_secret(tmp_path):
    board = tmp_path / "b.yaml"
    board.write_bytes(b"prompt: a kite")
    reads.forget()
    reads.note_file(board, content=board.read_bytes())
    digests = reads.texts()
    assert stamp.texts_unchanged(digests)
    assert not stamp.texts_unchanged(digests, without=[b"a kite"])
    board.write_bytes(b"prompt: a kitf")
    assert not stamp.texts_unchanged(digests)
    reads.forget()
    assert reads.files() == {} and reads.texts() == {}


def test_every_write_to_the_store_changes_its_generation(tmp_path):
    from storyrender.cache.store import Store

    assert stamp.store_generation(tmp_path) is None
    seen = []
    with Store(tmp_path) as store:
        store.set_state("board:x", 1)
        seen.append(stamp.store_generation(tmp_path))
        store.get_state("board:x")  # a read changes nothing
        assert stamp.store_generation(tmp_path) == seen[-1]
        store.set_state("board:x", 1)  # the same value again is still a write
        seen.append(stamp.store_generation(tmp_path))
        store.record_job("k" * 64, {"id": "j"})
        seen.append(stamp.store_generation(tmp_path))
        store.clear_job("k" * 64)
        seen.append(stamp.store_generation(tmp_path))
    assert None not in seen and len(set(seen)) == len(seen)
