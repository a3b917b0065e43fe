"""Peak memory of a whole process tree, read from /proc (no psutil in the venv, and none needed).

A Spark run is three kinds of process: the driver Python, the JVM it launches, and the Python
workers the JVM forks. Their memory peaks at different moments, so the honest "how much RAM does
a run need" figure is the peak of the *sum* of their resident sets, sampled while the run goes.
We also keep each process's own high-water mark (VmHWM) as a conservative upper bound, because a
short spike between two samples is invisible to the sampled sum.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


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
        result[int(entry.name)] = int(stat[stat.rfind(")") + 2:].split()[1])
    return result


def descendants(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


@dataclass
class TreePeak:
    """What the sampler saw: the peak summed RSS and each process's own peak."""

    peak_rss_kb: int = 0
    hwm_kb: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    samples: int = 0

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_kb / 1024

    @property
    def sum_hwm_mb(self) -> float:
        return sum(self.hwm_kb.values()) / 1024

    def by_kind_mb(self) -> dict[str, float]:
        """Per-process-kind high-water marks (python driver/workers, java, shell) in MB."""
        out: dict[str, float] = {}
        for pid, kb in self.hwm_kb.items():
            name = self.names.get(pid, "?")
            out[name] = out.get(name, 0.0) + kb / 1024
        return {k: round(v, 1) for k, v in sorted(out.items())}


def _sample(root: int, peak: TreePeak) -> None:
    total = 0
    for pid in descendants(root):
        rss = _status_kb(pid, "VmRSS")
        total += rss
        hwm = _status_kb(pid, "VmHWM")
        if hwm:
            peak.hwm_kb[pid] = max(peak.hwm_kb.get(pid, 0), hwm)
            if pid not in peak.names:
                try:
                    peak.names[pid] = (PROC / str(pid) / "comm").read_text().strip()
                except OSError:
                    peak.names[pid] = "?"
    peak.peak_rss_kb = max(peak.peak_rss_kb, total)
    peak.samples += 1


def run_measured(cmd: Sequence[str], cwd: Path, interval: float = 0.2,
                 env: dict[str, str] | None = None) -> tuple[int, float, TreePeak]:
    """Run `cmd` to completion while sampling its tree; returns (exit code, wall seconds, peak)."""
    peak = TreePeak()
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
        code = proc.wait()
    finally:
        done.set()
        sampler.join()
    return code, time.monotonic() - started, peak
