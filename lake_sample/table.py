"""In-memory simulation of the ``tasks`` single-table design.

The simulation is the source of truth for the DynamoDB exports: items are kept as DynamoDB
JSON typed values, mutated by timed operations (create, start, complete, archive, edit,
delete, new user), and serialised at each export time. Odd-but-legal item shapes (wrong
types, extra attributes, high-precision numbers) are planted on protected items so every
export shows them.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Any

from lake_sample.common import DAY_MS, MINUTE_MS, iso_s, ms_to_date

Item = dict[str, Any]
Key = tuple[str, str]

FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tala",
)
LAST = (
    "Ahmed",
    "Berg",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Huang",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Rossi",
)
VERBS = ("Write", "Review", "Fix", "Plan", "Call", "Refactor", "Draft", "Update", "Ship", "Test")
NOUNS = (
    "quarterly report",
    "login bug",
    "team offsite",
    "invoice #42",
    "API docs",
    "release notes",
    "budget",
    "onboarding checklist",
    "landing page",
    "backup job",
)
TAGS = ("work", "home", "urgent", "later", "finance", "ops", "design", "q4", "ideas", "health")
STATUS_INIT = (("OPEN", 40), ("IN_PROGRESS", 20), ("DONE", 30), ("ARCHIVED", 10))
# op -> (statuses it applies to, new status; None = edit without a status change)
MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "start": (("OPEN",), "IN_PROGRESS"),
    "complete": (("OPEN", "IN_PROGRESS"), "DONE"),
    "reopen": (("DONE",), "OPEN"),
    "archive": (("DONE",), "ARCHIVED"),
    "edit": (("OPEN", "IN_PROGRESS", "DONE"), None),
}


def s(v: str) -> dict[str, str]:
    """DynamoDB string value."""
    return {"S": v}


def n(v: str | int) -> dict[str, str]:
    """DynamoDB number value (numbers travel as strings to keep precision)."""
    return {"N": str(v)}


def task_key(user_id: str, task_id: str) -> Key:
    """(PK, SK) of a task item."""
    return (f"USER#{user_id}", f"TASK#{task_id}")


class TableSim:
    """The table state plus the operations that change it over simulated time."""

    def __init__(self, rng: random.Random, users: int, tasks_per_user: int) -> None:
        self.rng = rng
        self.tasks_per_user = tasks_per_user
        self.initial_users = users
        self.items: dict[Key, Item] = {}
        self.user_ids: list[str] = []
        self.task_keys: list[Key] = []
        self.protected: set[Key] = set()
        self._next_task = 1

    # ---- construction -------------------------------------------------------------------
    def seed_initial(self, start_ms: int) -> None:
        """Users and tasks that exist before the first generated day."""
        for _ in range(self.initial_users):
            created = start_ms - self.rng.randrange(DAY_MS, 365 * DAY_MS)
            uid = self.add_user(created)
            spread = self.rng.randint(-2, 2) if self.tasks_per_user else 0
            for _ in range(max(0, self.tasks_per_user + spread)):
                t = self.rng.randrange(created, start_ms - MINUTE_MS)
                self.add_task(uid, t, self._pick_weighted(STATUS_INIT), end_ms=start_ms)
        self._plant_oddities()

    def add_user(self, at_ms: int) -> str:
        """Create a PROFILE item; some carry a binary avatar and a settings map."""
        rng = self.rng
        uid = f"u-{len(self.user_ids) + 1:04d}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        item: Item = {
            "PK": s(f"USER#{uid}"),
            "SK": s("PROFILE"),
            "email": s(f"{first.lower()}.{uid[2:]}@example.com"),
            "display_name": s(f"{first} {last}"),
            "plan": s(rng.choice(("free", "free", "free", "pro", "pro", "team"))),
            "created_at": s(iso_s(at_ms)),
        }
        if rng.random() < 0.3 or not self.user_ids:
            thumb = bytes(rng.getrandbits(8) for _ in range(rng.randint(12, 40)))
            item["avatar_thumb"] = {"B": base64.b64encode(thumb).decode()}
        if rng.random() < 0.5:
            item["settings"] = {
                "M": {"theme": s(rng.choice(("dark", "light"))), "notifications": {"BOOL": rng.random() < 0.7}}
            }
        self.items[(f"USER#{uid}", "PROFILE")] = item
        self.user_ids.append(uid)
        if len(self.user_ids) == 1:
            self.protected.add((f"USER#{uid}", "PROFILE"))
        return uid

    def add_task(self, uid: str, at_ms: int, status: str = "OPEN", end_ms: int = 0) -> Key:
        """Create a task; older tasks in a later status get plausible timestamps."""
        rng = self.rng
        tid = f"t-{self._next_task:06d}"
        self._next_task += 1
        key = task_key(uid, tid)
        item: Item = {
            "PK": s(key[0]),
            "SK": s(key[1]),
            "title": s(f"{rng.choice(VERBS)} {rng.choice(NOUNS)}"),
            "status": s("OPEN"),
            "priority": n(rng.randint(1, 5)),
            "created_at": s(iso_s(at_ms)),
            "updated_at": s(iso_s(at_ms)),
        }
        self._optional_task_attrs(item, at_ms)
        self.items[key] = item
        self.task_keys.append(key)
        if status != "OPEN":
            later = rng.randrange(at_ms, max(at_ms + 1, end_ms or at_ms + 1))
            if status in ("DONE", "ARCHIVED"):
                item["completed_at"] = s(iso_s(later))
            item["status"] = s(status)
            item["updated_at"] = s(iso_s(later))
        return key

    def _optional_task_attrs(self, item: Item, at_ms: int) -> None:
        """Attributes a real client sets only sometimes: items are schemaless."""
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            item["due_date"] = s(ms_to_date(at_ms + rng.randrange(1, 30) * DAY_MS))
        elif r < 0.65:
            item["due_date"] = {"NULL": True}
        if rng.random() < 0.7:
            item["tags"] = {"SS": sorted(rng.sample(TAGS, rng.randint(1, 3)))}
        if rng.random() < 0.7:
            item["estimate_hours"] = n(f"{rng.randint(1, 40) * 0.25:.2f}")
        if rng.random() < 0.4:
            item["checklist"] = {
                "L": [
                    {"M": {"text": s(f"step {i + 1}"), "done": {"BOOL": rng.random() < 0.4}}}
                    for i in range(rng.randint(1, 4))
                ]
            }
        if rng.random() < 0.1:
            item["reminder_offsets"] = {"NS": sorted(rng.sample(["15", "60", "1440"], 2))}
        if rng.random() < 0.1:
            item["is_pinned"] = {"BOOL": True}

    def _plant_oddities(self) -> None:
        """Make sure every DynamoDB type and each odd shape exists on a protected item."""
        oddities: list[Callable[[Item], None]] = [
            lambda it: it.update(estimate_hours=n("12.3456789012345678901")),
            lambda it: it.update(priority=s("3")),
            lambda it: it.update(tags={"L": [s("legacy"), s("imported")]}),
            lambda it: it.update(attachments_hash={"BS": ["AAEC", "AwQF"]}),
            lambda it: it.update(reminder_offsets={"NS": ["30", "120"]}),
            lambda it: it.update(due_date={"NULL": True}),
            lambda it: it.update(legacy_import={"M": {"batch": n(17), "src": s("trello")}}),
            lambda it: it.update(checklist={"L": [{"M": {"text": s("x"), "done": {"BOOL": False}}}]}),
        ]
        for key, mutate in zip(self.task_keys, oddities, strict=False):
            mutate(self.items[key])
            self.protected.add(key)
        for key in self.task_keys[len(oddities) :]:
            if self.rng.random() < 0.02:
                self.items[key]["x_client_version"] = s("2.3.1")

    # ---- daily operations -----------------------------------------------------------------
    def plan_day(self, day_ms: int) -> list[tuple[int, str]]:
        """Timed operations for one day, sorted by time (ties broken by name)."""
        rng = self.rng
        n_tasks = len(self.task_keys)
        base = self.initial_users * self.tasks_per_user
        counts = {
            "create_task": max(1, round(base * 0.08)) if self.tasks_per_user else 0,
            "start": max(1, round(n_tasks * 0.05)),
            "complete": max(1, round(n_tasks * 0.05)),
            "reopen": round(n_tasks * 0.005),
            "archive": round(n_tasks * 0.02),
            "edit": round(n_tasks * 0.05),
            "delete": max(1, round(n_tasks * 0.01)),
            "create_user": rng.choice((0, 1, 1, 2)),
        }
        ops = [(day_ms + rng.randrange(DAY_MS), op) for op, c in counts.items() for _ in range(c)]
        return sorted(ops)

    def apply(self, at_ms: int, op: str) -> None:
        """Run one operation at ``at_ms``; ops without a suitable target are no-ops."""
        if op == "create_user":
            self.add_user(at_ms)
        elif op == "create_task":
            if self.user_ids:
                self.add_task(self.rng.choice(self.user_ids), at_ms)
        elif op == "delete":
            self._delete(at_ms)
        else:
            self._transition(at_ms, op)

    def _find(self, statuses: tuple[str, ...], allow_protected: bool = True) -> Key | None:
        """A random task in one of ``statuses`` (bounded retries keep this O(1))."""
        for _ in range(30):
            if not self.task_keys:
                return None
            key = self.rng.choice(self.task_keys)
            if not allow_protected and key in self.protected:
                continue
            if self.items[key]["status"]["S"] in statuses:
                return key
        return None

    def _transition(self, at_ms: int, op: str) -> None:
        sources, target = MOVES[op]
        key = self._find(sources)
        if key is None:
            return
        item = self.items[key]
        item["updated_at"] = s(iso_s(at_ms))
        if target is None:
            item["title"] = s(f"{self.rng.choice(VERBS)} {self.rng.choice(NOUNS)}")
            if item["priority"].get("N"):
                item["priority"] = n(self.rng.randint(1, 5))
            return
        item["status"] = s(target)
        if target == "DONE":
            item["completed_at"] = s(iso_s(at_ms))
        elif target == "OPEN":
            item.pop("completed_at", None)

    def _delete(self, at_ms: int) -> None:
        key = self._find(("OPEN", "IN_PROGRESS", "DONE", "ARCHIVED"), allow_protected=False)
        if key is None:
            return
        del self.items[key]
        self.task_keys.remove(key)

    # ---- reading --------------------------------------------------------------------------
    def task_ids(self) -> list[str]:
        """Ids of the tasks that currently exist (for realistic request paths)."""
        return [k[1][5:] for k in self.task_keys]

    def _pick_weighted(self, table: tuple[tuple[str, int], ...]) -> str:
        return self.rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]
