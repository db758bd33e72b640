"""Servers run in a process group of their own, and the whole group is stopped; the run's
mark finds any process a test left behind (conftest's ``nothing_left_running``)."""

from __future__ import annotations

import os
import subprocess

from voiceline.testing.processes import start_group, stop_group

from .conftest import processes_marked, wait_until


def test_stopping_a_shell_stops_what_it_started(nothing_left_running):
    # Like a Procfile line: a shell that starts a long-running child and waits for it.
    process = start_group(["sh", "-c", "sleep 300 & wait"], env=os.environ)
    assert wait_until(lambda: len(processes_marked(nothing_left_running)) >= 2)
    stop_group(process)
    assert wait_until(lambda: processes_marked(nothing_left_running) == [])


def test_a_process_that_outlived_its_parent_is_still_found(nothing_left_running):
    # The shell exits at once; its child is re-parented, as gunicorn was after `sh` died.
    subprocess.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 &"], env=os.environ, check=True)
    assert wait_until(lambda: len(processes_marked(nothing_left_running)) == 1)
    for pid in processes_marked(nothing_left_running):
        os.kill(pid, 9)
    assert wait_until(lambda: processes_marked(nothing_left_running) == [])
