"""Time every Spark action a job triggers, with the `lake_assets` lines that triggered it.

Each Spark action (collect, count, a Parquet write, …) runs the whole lazy plan behind it, so the
actions' times say which passes over the data a job makes and what each costs; time in a job
outside any action is driver-side Python (listing, planning, footers). The plain run records them
(`plain_pyspark.py`) so the benchmark can show, for a missed target, where its step's time went;
`spark_actions.py` prints them for one run. The wrapping costs a stack walk per action (tens per day).
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PACKAGE_DIR = "lake_assets/"


@dataclass
class Action:
    job: str  # the job function the action ran under
    action: str
    seconds: float
    site: str  # the lake_assets frames that led to it, outermost first


ACTIONS: list[Action] = []
_depth = 0  # an action that calls another (count → collect) is timed once, at the outer one


def _site() -> tuple[str, str]:
    """(job function, 'file:line fn > …') from the lake_assets frames on the stack."""
    frames = [f for f in traceback.extract_stack() if PACKAGE_DIR in f.filename.replace("\\", "/")]
    if not frames:
        return "?", "?"
    names = [f"{f.filename.replace(chr(92), '/').split(PACKAGE_DIR)[-1]}:{f.lineno} {f.name}" for f in frames]
    return frames[0].name, " > ".join(names)


def _timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _depth
        if _depth:
            return method(*args, **kwargs)
        job, site = _site()
        _depth += 1
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            _depth -= 1
            ACTIONS.append(Action(job, name, time.perf_counter() - started, site))

    return wrapper


def instrument() -> None:
    """Wrap the DataFrame actions and Parquet writes the jobs use (PySpark classic API)."""
    from pyspark.sql.classic.dataframe import DataFrame
    from pyspark.sql.readwriter import DataFrameWriter

    for name in ("collect", "count", "take", "first", "head", "toPandas", "toArrow", "isEmpty"):
        if hasattr(DataFrame, name):
            setattr(DataFrame, name, _timed(name, getattr(DataFrame, name)))
    for name in ("parquet", "save"):
        setattr(DataFrameWriter, name, _timed(f"write.{name}", getattr(DataFrameWriter, name)))
