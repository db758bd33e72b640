"""Servers started by tests and benchmarks, in a process group of their own.

A Procfile line runs through a shell (``sh -c "gunicorn ..."``): stopping only the shell
would leave gunicorn and its workers listening. ``start_group`` starts the command as the
leader of a new session (and so of a new process group); ``stop_group`` ends the whole
group, politely first, and is safe to call twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO


def start_group(command: Sequence[str], *, cwd: Path | str | None = None,
                env: Mapping[str, str] | None = None,
                output: IO[bytes] | int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env is not None else None,
                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def stop_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM to every process of the group; SIGKILL to whatever is left after
    ``timeout``; return once none of them runs any more."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break  # the whole group is gone
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process.poll()  # reap the leader, or it counts as alive
            if not _group_alive(process.pid):
                return
            time.sleep(0.05)
    process.poll()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
