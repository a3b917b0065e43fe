"""Peak memory of a whole process tree, read from /proc (no psutil in the venv, and none needed).

A Spark run is three kinds of process: the driver Python, the JVM it launches, and the Python
workers the JVM forks. Their memory peaks at different moments, so the honest "how much RAM does
a run need" figure is the peak of the *sum* of their resident sets, sampled while the run goes.
We also keep each process's own high-water mark (VmHWM) as a conservative upper bound, because a
short spike between two samples is invisible to the sampled sum.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
_KCMP_VM = 1
_CLK_TCK = os.sysconf("SC_CLK_TCK")
try:
    _SYSCALL = ctypes.CDLL(None, use_errno=True).syscall if _SYS_KCMP else None
except (OSError, AttributeError):
    _SYSCALL = None


def _status_kb(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status, 0 when the process is gone or the field is absent."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (0 when it is gone)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _parents() -> dict[int, int]:
    """pid → parent pid for every live process (one pass over /proc/*/stat)."""
    result: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces or parentheses: the ppid follows the last ')'.
        result[int(entry.name)] = int(stat[stat.rfind(")") + 2 :].split()[1])
    return result


def descendants(root: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of `root` and of every live process below it."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [(root, 0)]
    while todo:
        pid, ppid = todo.pop()
        tree.append((pid, ppid))
        todo.extend((child, pid) for child in children.get(pid, []))
    return tree


def shares_memory(pid: int, other: int) -> bool:
    """True when two processes share one address space (Linux kcmp KCMP_VM).

    The JVM starts Python workers with posix_spawn (vfork): until the child execs it *is* the
    JVM's memory, and /proc shows the JVM's RSS under the child's pid. Counting it would double
    the JVM, so such children are skipped. Where kcmp is unavailable, nothing is skipped.
    """
    if _SYSCALL is None or not other:
        return False
    return _SYSCALL(_SYS_KCMP, pid, other, _KCMP_VM, 0, 0) == 0


@dataclass
class TreePeak:
    """What the sampler saw: the peak summed RSS and each process's own peak."""

    peak_rss_kb: int = 0
    hwm_kb: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    samples: int = 0
    skipped_shared: int = 0  # samples of a vforked child sharing its parent's memory
    load_before: float = 0.0  # 1-minute load average when the run started
    cpu_seconds: dict[int, float] = field(default_factory=dict)  # last seen per process
    # (epoch seconds, tree CPU seconds so far, summed RSS kB) per sample: per-layer CPU and memory
    timeline: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def tree_cpu_seconds(self) -> float:
        return sum(self.cpu_seconds.values())

    other_cpu_seconds: float = 0.0  # busy CPU of the machine not used by this tree

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_kb / 1024

    @property
    def sum_hwm_mb(self) -> float:
        return sum(self.hwm_kb.values()) / 1024

    def by_kind_mb(self) -> dict[str, float]:
        """High-water marks summed per process name (`python x3`: driver and workers), in MB."""
        total: dict[str, float] = {}
        count: dict[str, int] = {}
        for pid, kb in self.hwm_kb.items():
            name = self.names.get(pid, "?")
            total[name] = total.get(name, 0.0) + kb / 1024
            count[name] = count.get(name, 0) + 1
        return {f"{name} x{count[name]}": round(mb, 1) for name, mb in sorted(total.items())}


def _sample(root: int, peak: TreePeak) -> None:
    total = 0
    for pid, ppid in descendants(root):
        if shares_memory(pid, ppid):
            peak.skipped_shared += 1
            continue
        peak.cpu_seconds[pid] = max(peak.cpu_seconds.get(pid, 0.0), _cpu_seconds(pid))
        rss = _status_kb(pid, "VmRSS")
        total += rss
        hwm = _status_kb(pid, "VmHWM")
        if hwm:
            peak.hwm_kb[pid] = max(peak.hwm_kb.get(pid, 0), hwm)
            # Re-read each time: a child starts under its parent's (thread) name until it execs.
            with contextlib.suppress(OSError):
                peak.names[pid] = (PROC / str(pid) / "comm").read_text().strip()
    peak.peak_rss_kb = max(peak.peak_rss_kb, total)
    peak.samples += 1
    peak.timeline.append((time.time(), peak.tree_cpu_seconds, total))


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / _CLK_TCK


def wait_for_quiet(max_wait: float, busy_cores: float = 0.3, window: float = 5.0) -> float:
    """Wait until the rest of the machine uses < `busy_cores` cores over `window` s (or give up).

    On a shared 2-core machine someone's test run can double a Spark stage; starting only when
    the machine is quiet keeps the comparison about the two runs. Returns the cores busy when
    it stopped waiting.
    """
    deadline = time.monotonic() + max_wait
    while True:
        busy, own = _machine_busy_seconds(), time.process_time()
        time.sleep(window)
        cores = (_machine_busy_seconds() - busy - (time.process_time() - own)) / window
        if cores < busy_cores or time.monotonic() >= deadline:
            return cores


def run_measured(
    cmd: Sequence[str], cwd: Path, interval: float = 0.2, env: dict[str, str] | None = None
) -> tuple[int, float, TreePeak]:
    """Run `cmd` to completion while sampling its tree; returns (exit code, wall seconds, peak).

    Also records the tree's CPU time (as last sampled per process) against the whole machine's,
    so a run slowed by someone else's work on the same cores shows up as `other_cpu_seconds`
    instead of passing for Dagster or Spark being slow.
    """
    peak = TreePeak(load_before=os.getloadavg()[0])
    busy_before, own_before = _machine_busy_seconds(), time.process_time()
    started = time.monotonic()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env={**os.environ, **(env or {})})
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            _sample(proc.pid, peak)
            done.wait(interval)

    sampler = threading.Thread(target=poll, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        proc.wait()
    finally:
        done.set()
        sampler.join()
    wall = time.monotonic() - started
    own = time.process_time() - own_before  # this sampler's own /proc reading
    peak.other_cpu_seconds = max(0.0, _machine_busy_seconds() - busy_before - peak.tree_cpu_seconds - own)
    return proc.returncode, wall, peak
