"""Processes of the e2e stack: each started in a session of its own, stopped with everything in it.

Airflow's processes fork children that outlive a SIGTERM of their parent (LocalExecutor workers,
task supervisors that move their task into a process group of its own, the triggerer's runner,
the dag-processor's parsers). Every process is therefore started as a session leader
(``start_new_session``) and stopped by session: every process whose session id is the leader's
pid gets the signal, whichever process group it moved to and whoever its parent is now.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_pids(sid: int) -> list[int]:
    """Every live process in session ``sid`` (the leader first if it is still alive)."""
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getsid(pid) == sid and not _is_zombie(pid):
                pids.append(pid)
        except OSError:
            continue
    return sorted(pids, key=lambda p: p != sid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def signal_session(sid: int, sig: int) -> int:
    """Send ``sig`` to every process of session ``sid``; how many got it."""
    sent = 0
    for pid in session_pids(sid):
        try:
            os.kill(pid, sig)
            sent += 1
        except OSError:
            pass
    return sent


class Proc:
    """One named process of the stack, its output in ``<log_dir>/<name>.log``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_dir: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("ab")
        self.started_at = time.time()
        self.popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_hard(self) -> int:
        """SIGKILL the whole session at once (a machine lost, not a shutdown); how many died."""
        killed = signal_session(self.pid, signal.SIGKILL)
        self.reap()
        return killed

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the session, wait up to ``grace`` seconds, SIGKILL whatever is left."""
        stop_all([self], grace)

    def reap(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while session_pids(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not self._log.closed:
            self._log.close()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def stop_all(procs: Sequence[Proc], grace: float = 10.0) -> list[str]:
    """SIGTERM every session at once, wait up to ``grace`` seconds for all, then SIGKILL what is left;
    the names of the processes that had to be killed."""
    for proc in procs:
        signal_session(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(session_pids(p.pid) for p in procs):
        for proc in procs:
            proc.popen.poll()
        time.sleep(0.2)
    lingered = [p.name for p in procs if session_pids(p.pid)]
    for proc in procs:
        signal_session(proc.pid, signal.SIGKILL)
    for proc in procs:
        proc.reap()
    return lingered


def run_logged(name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path, timeout: float) -> None:
    """Run a command to completion in a session of its own; raise with the log's tail if it fails."""
    proc = Proc(name, argv, env, log_dir)
    try:
        code = proc.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise RuntimeError(f"{name} did not finish in {timeout:.0f} s; log: {proc.log_path}") from None
    proc.stop(grace=2.0)  # children it may have left behind
    if code != 0:
        raise RuntimeError(f"{name} exited {code}; log: {proc.log_path}\n{proc.tail()}")
