"""No orphan processes: an ffmpeg that never finishes (the real binary, on an endless real-time
input) dies with the build whether the build gets SIGTERM, SIGKILL or two Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from storyrender import children

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 1
beats:
  - {id: a, prompt: a red door}
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie is dead (waiting for init to reap it)


@pytest.fixture
def hung_build(tmp_path):
    """Start `storyrender build` whose every ffmpeg runs forever; yields (build process, ffmpeg pid)."""
    import imageio_ffmpeg

    pids = tmp_path / "ffmpeg.pids"
    fake = tmp_path / "ffmpeg"
    # An argv-only wrapper: note its pid, then become the real ffmpeg reading an endless input in real time.
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        real = {imageio_ffmpeg.get_ffmpeg_exe()!r}
        os.execv(real, [real, "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=16x16:rate=5",
                        "-f", "null", "-"])
        """))
    fake.chmod(0o755)
    (tmp_path / "board.yaml").write_text(BOARD)
    env = {**os.environ, "STORYRENDER_FFMPEG": str(fake), "STORYRENDER_PROJECT_ROOT": str(tmp_path),
           "STORYRENDER_PLUGINS": ""}
    proc = subprocess.Popen([sys.executable, "-m", "storyrender", "build", "--offline", "-q", "board.yaml"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    pid = None
    while time.monotonic() < deadline and proc.poll() is None:
        if pids.exists() and pids.read_text().strip():
            pid = int(pids.read_text().split()[0])
            time.sleep(0.5)  # let it exec the real ffmpeg
            break
        time.sleep(0.05)
    assert pid is not None and _alive(pid), proc.stderr.read().decode() if proc.poll() is not None else "no ffmpeg"
    assert "ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    yield proc, pid
    if proc.poll() is None:
        proc.kill()
    for line in pids.read_text().split():
        if _alive(int(line)):
            os.kill(int(line), signal.SIGKILL)
    proc.stderr.close()


def _gone_soon(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_build_kills_its_hung_ffmpeg(hung_build, sig):
    proc, pid = hung_build
    time.sleep(0.3)
    assert _alive(pid)  # really hung: still running
    proc.send_signal(sig)
    proc.wait(30)
    assert _gone_soon(pid), f"ffmpeg {pid} outlived the build"


@pytest.mark.slow
def test_a_second_ctrl_c_stops_at_once_hung_ffmpeg_included(hung_build):
    proc, pid = hung_build
    proc.send_signal(signal.SIGINT)  # the first: no new node starts, running ones may finish...
    time.sleep(1.0)
    assert proc.poll() is None and _alive(pid)  # ...and this ffmpeg never will
    proc.send_signal(signal.SIGINT)  # the second: stop now
    assert proc.wait(30) == 130
    assert _gone_soon(pid)


def test_a_child_runs_from_an_argv_list_in_its_own_session_and_a_late_one_is_killed():
    code = "import os; print(os.getsid(0), os.getpid(), os.getppid())"
    done = children.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, timeout=30)
    sid, pid, ppid = map(int, done.stdout.split())
    assert done.returncode == 0 and ppid == os.getpid()
    assert sid == pid != os.getsid(0)  # its own session: a terminal's Ctrl-C reaches storyrender only
    shell = children.run(["echo", "a;b", "$HOME"], shell=True, stdout=subprocess.PIPE, text=True)
    assert shell.stdout == "a;b $HOME\n"  # never a shell, even when asked: metacharacters stay arguments
    with pytest.raises(subprocess.TimeoutExpired):
        children.run(["sleep", "30"], timeout=0.2)
    assert children.running() == 0  # the sleeper was killed and forgotten
