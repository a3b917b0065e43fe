"""In-memory simulation of the ``tasks`` single-table design.

The simulation is the source of truth for the DynamoDB exports: items are kept as DynamoDB
JSON typed values, mutated by timed operations (create, start, complete, archive, edit,
delete, new user), and serialised at each export time. Odd-but-legal item shapes (wrong
types, extra attributes, high-precision numbers) are planted on protected items so every
export shows them.
"""

from __future__ import annotations

import base64
import json
import random
from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from itertools import accumulate
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


def _cumulative(table: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], list[int], float]:
    """(values, cumulative weights, total) of a weighted table, as ``Random.choices`` builds them."""
    values = tuple(v for v, _ in table)
    cum = list(accumulate(w for _, w in table))
    return values, cum, cum[-1] + 0.0


_STATUS_VALUES, _STATUS_CUM, _STATUS_TOTAL = _cumulative(STATUS_INIT)
_PLANS = ("free", "free", "free", "pro", "pro", "team")
_JSON_BOOL = ("false", "true")
# json.dumps(ensure_ascii=False) of a string (quotes, escapes): the exports' string encoder.
_json_str = json.encoder.encode_basestring
_REMINDERS = ["15", "60", "1440"]


class TableSim:
    """The table state plus the operations that change it over simulated time.

    Speed (a million items must simulate in seconds) without changing a single output byte:
    the RNG is driven through ``getrandbits``/``random`` exactly as ``Random.choice``,
    ``randrange``, ``randint``, ``sample`` and ``choices`` drive it on CPython 3.11-3.12
    (``_randbelow``: draw ``n.bit_length()`` bits until below ``n``), so every draw returns what
    the plain calls returned; the byte-identity test in test_sample_generator.py pins this.
    Deleted tasks leave a hole (``None``) in ``_tasks`` instead of an O(n) ``list.remove``; the
    sorted hole positions map a live index (what ``choice`` would pick) to its slot in O(log n).
    """

    def __init__(self, rng: random.Random, users: int, tasks_per_user: int) -> None:
        self.rng = rng
        self.tasks_per_user = tasks_per_user
        self.initial_users = users
        self.items: dict[Key, Item] = {}
        self.user_ids: list[str] = []
        self._tasks: list[Key | None] = []  # task keys in creation order, None = deleted
        self._holes: list[int] = []  # sorted positions of the None entries in _tasks
        self.protected: set[Key] = set()
        # Items changed or deleted since the caller last cleared this (export line caches).
        self.changed: set[Key] = set()
        # Export line of each new item, written as the item is built (several times faster than
        # json.dumps of the finished item, same text); an item that changes later is listed in
        # ``changed``, so the exporter drops its line and serialises it again.
        self.lines: dict[Key, str] = {}
        self.created: list[Key] = []  # keys of the items created since the caller last cleared this
        self._next_task = 1

    @property
    def task_keys(self) -> list[Key]:
        """Keys of the existing tasks in creation order (the order ``choice`` indexes)."""
        if self._holes:
            self._compact()
        return self._tasks  # type: ignore[return-value]  # no None left after _compact

    # ---- random draws (same RNG consumption as the Random methods named) ---------------------
    def _below(self, n: int) -> int:
        """``Random._randbelow(n)``: the index ``choice`` picks, ``randrange(n)`` for n > 0."""
        getrandbits = self.rng.getrandbits
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return r

    # ---- construction -------------------------------------------------------------------
    def seed_initial(self, start_ms: int) -> None:
        """Users and tasks that exist before the first generated day."""
        below = self._below
        add_task = self.add_task
        tpu = self.tasks_per_user
        year = 365 * DAY_MS - DAY_MS
        random_ = self.rng.random
        for _ in range(self.initial_users):
            created = start_ms - (DAY_MS + below(year))  # randrange(DAY_MS, 365 * DAY_MS)
            uid = self.add_user(created)
            spread = below(5) - 2 if tpu else 0  # randint(-2, 2)
            width = start_ms - MINUTE_MS - created
            for _ in range(max(0, tpu + spread)):
                t = created + below(width)  # randrange(created, start_ms - MINUTE_MS)
                # choices(STATUS values, weights)[0]
                status = _STATUS_VALUES[bisect_right(_STATUS_CUM, random_() * _STATUS_TOTAL, 0, 3)]
                add_task(uid, t, status, end_ms=start_ms)
        self._plant_oddities()

    def add_user(self, at_ms: int) -> str:
        """Create a PROFILE item; some carry a binary avatar and a settings map."""
        rng = self.rng
        below = self._below
        uid = f"u-{len(self.user_ids) + 1:04d}"
        key = (f"USER#{uid}", "PROFILE")
        first, last = FIRST[below(len(FIRST))], LAST[below(len(LAST))]
        email, name, plan, created = (
            f"{first.lower()}.{uid[2:]}@example.com",
            f"{first} {last}",
            _PLANS[below(6)],
            iso_s(at_ms),
        )
        item: Item = {
            "PK": {"S": key[0]},
            "SK": {"S": "PROFILE"},
            "email": {"S": email},
            "display_name": {"S": name},
            "plan": {"S": plan},
            "created_at": {"S": created},
        }
        line = (
            f'{{"Item":{{"PK":{{"S":{_json_str(key[0])}}},"SK":{{"S":"PROFILE"}},"email":{{"S":{_json_str(email)}}},'
            f'"display_name":{{"S":{_json_str(name)}}},"plan":{{"S":"{plan}"}},"created_at":{{"S":"{created}"}}'
        )
        if rng.random() < 0.3 or not self.user_ids:
            getrandbits = rng.getrandbits
            thumb = base64.b64encode(bytes([getrandbits(8) for _ in range(12 + below(29))])).decode()  # randint(12, 40)
            item["avatar_thumb"] = {"B": thumb}
            line += f',"avatar_thumb":{{"B":"{thumb}"}}'
        if rng.random() < 0.5:
            theme = ("dark", "light")[below(2)]
            notify = rng.random() < 0.7
            item["settings"] = {"M": {"theme": {"S": theme}, "notifications": {"BOOL": notify}}}
            line += f',"settings":{{"M":{{"theme":{{"S":"{theme}"}},"notifications":{{"BOOL":{_JSON_BOOL[notify]}}}}}}}'
        self.items[key] = item
        self.lines[key] = line + "}}"
        self.created.append(key)
        self.user_ids.append(uid)
        if len(self.user_ids) == 1:
            self.protected.add(key)
        return uid

    def add_task(self, uid: str, at_ms: int, status: str = "OPEN", end_ms: int = 0) -> Key:
        """Create a task; older tasks in a later status get plausible timestamps."""
        random_ = self.rng.random
        getrandbits = self.rng.getrandbits
        tid = f"t-{self._next_task:06d}"
        self._next_task += 1
        key = (f"USER#{uid}", f"TASK#{tid}")
        # choice(VERBS), choice(NOUNS) (10 each: 4 bits, redrawn while >= 10), randint(1, 5)
        v = getrandbits(4)
        while v >= 10:
            v = getrandbits(4)
        o = getrandbits(4)
        while o >= 10:
            o = getrandbits(4)
        p = getrandbits(3)
        while p >= 5:
            p = getrandbits(3)
        title, created = f"{VERBS[v]} {NOUNS[o]}", iso_s(at_ms)
        item: Item = {
            "PK": {"S": key[0]},
            "SK": {"S": key[1]},
            "title": {"S": title},
            "status": {"S": "OPEN"},
            "priority": {"N": str(p + 1)},
            "created_at": {"S": created},
            "updated_at": {"S": created},
        }
        tail = []  # the export line of the attributes after updated_at
        # Attributes a real client sets only sometimes: items are schemaless.
        r = random_()
        if r < 0.5:
            d = getrandbits(5)  # randrange(1, 30)
            while d >= 29:
                d = getrandbits(5)
            due = ms_to_date(at_ms + (d + 1) * DAY_MS)
            item["due_date"] = {"S": due}
            tail.append(f',"due_date":{{"S":"{due}"}}')
        elif r < 0.65:
            item["due_date"] = {"NULL": True}
            tail.append(',"due_date":{"NULL":true}')
        if random_() < 0.7:
            tags = sorted(self._sample(TAGS, self._below(3) + 1))  # sample(TAGS, randint(1, 3))
            item["tags"] = {"SS": tags}
            tail.append(',"tags":{"SS":[' + ",".join(map(_json_str, tags)) + "]}")
        if random_() < 0.7:
            e = getrandbits(6)  # randint(1, 40)
            while e >= 40:
                e = getrandbits(6)
            hours = f"{(e + 1) * 0.25:.2f}"
            item["estimate_hours"] = {"N": hours}
            tail.append(f',"estimate_hours":{{"N":"{hours}"}}')
        if random_() < 0.4:
            steps = [random_() < 0.4 for _ in range(self._below(4) + 1)]  # randint(1, 4) steps
            item["checklist"] = {
                "L": [{"M": {"text": {"S": f"step {i + 1}"}, "done": {"BOOL": done}}} for i, done in enumerate(steps)]
            }
            tail.append(
                ',"checklist":{"L":['
                + ",".join(
                    f'{{"M":{{"text":{{"S":"step {i + 1}"}},"done":{{"BOOL":{_JSON_BOOL[done]}}}}}}}'
                    for i, done in enumerate(steps)
                )
                + "]}"
            )
        if random_() < 0.1:
            offsets = sorted(self._sample(_REMINDERS, 2))
            item["reminder_offsets"] = {"NS": offsets}
            tail.append(',"reminder_offsets":{"NS":[' + ",".join(map(_json_str, offsets)) + "]}")
        if random_() < 0.1:
            item["is_pinned"] = {"BOOL": True}
            tail.append(',"is_pinned":{"BOOL":true}')
        self.items[key] = item
        self._tasks.append(key)
        self.created.append(key)
        updated = created
        if status != "OPEN":
            updated = iso_s(at_ms + self._below(max(at_ms + 1, end_ms or at_ms + 1) - at_ms))
            if status in ("DONE", "ARCHIVED"):
                item["completed_at"] = {"S": updated}
                tail.append(f',"completed_at":{{"S":"{updated}"}}')
            item["status"] = {"S": status}
            item["updated_at"] = {"S": updated}
        self.lines[key] = (
            f'{{"Item":{{"PK":{{"S":{_json_str(key[0])}}},"SK":{{"S":{_json_str(key[1])}}},'
            f'"title":{{"S":{_json_str(title)}}},"status":{{"S":{_json_str(status)}}},"priority":{{"N":"{p + 1}"}},'
            f'"created_at":{{"S":"{created}"}},"updated_at":{{"S":"{updated}"}}{"".join(tail)}}}}}'
        )
        return key

    def _sample(self, population: Sequence[str], k: int) -> list[str]:
        """``Random.sample`` for a small population (its pool branch: n <= 21 + ...)."""
        below = self._below
        n = len(population)
        pool = list(population)
        result = []
        for i in range(k):
            j = below(n - i)
            result.append(pool[j])
            pool[j] = pool[n - i - 1]
        return result

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
        task_keys = self.task_keys
        for key, mutate in zip(task_keys, oddities, strict=False):
            mutate(self.items[key])
            self.protected.add(key)
            self.changed.add(key)
        random_ = self.rng.random
        for key in task_keys[len(oddities) :]:
            if random_() < 0.02:
                self.items[key]["x_client_version"] = s("2.3.1")
                self.changed.add(key)

    # ---- daily operations -----------------------------------------------------------------
    def plan_day(self, day_ms: int) -> list[tuple[int, str]]:
        """Timed operations for one day, sorted by time (ties broken by name)."""
        rng = self.rng
        n_tasks = len(self._tasks) - len(self._holes)
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
        below = self._below
        ops = [(day_ms + below(DAY_MS), op) for op, c in counts.items() for _ in range(c)]  # randrange(DAY_MS)
        return sorted(ops)

    def apply(self, at_ms: int, op: str) -> None:
        """Run one operation at ``at_ms``; ops without a suitable target are no-ops."""
        if op == "create_user":
            self.add_user(at_ms)
        elif op == "create_task":
            if self.user_ids:
                self.add_task(self.user_ids[self._below(len(self.user_ids))], at_ms)
        elif op == "delete":
            self._delete(at_ms)
        else:
            self._transition(at_ms, op)

    def _find(self, statuses: tuple[str, ...], allow_protected: bool = True) -> int:
        """Slot in ``_tasks`` of a random task in one of ``statuses``, -1 if none was found
        (bounded retries keep this O(1)); each try draws like ``choice(task_keys)``."""
        tasks, holes = self._tasks, self._holes
        live = len(tasks) - len(holes)
        if not live:
            return -1
        below, items, protected = self._below, self.items, self.protected
        for _ in range(30):
            i = below(live)
            if holes:  # the slot of the i-th live task: least j with j = i + (holes <= j)
                j = i + bisect_right(holes, i)
                while (nxt := i + bisect_right(holes, j)) != j:
                    j = nxt
                i = j
            key = tasks[i]
            assert key is not None
            if not allow_protected and key in protected:
                continue
            if items[key]["status"]["S"] in statuses:
                return i
        return -1

    def _transition(self, at_ms: int, op: str) -> None:
        sources, target = MOVES[op]
        slot = self._find(sources)
        if slot < 0:
            return
        key = self._tasks[slot]
        assert key is not None
        self.changed.add(key)
        item = self.items[key]
        item["updated_at"] = s(iso_s(at_ms))
        if target is None:
            item["title"] = s(f"{VERBS[self._below(10)]} {NOUNS[self._below(10)]}")
            if item["priority"].get("N"):
                item["priority"] = n(self._below(5) + 1)  # randint(1, 5)
            return
        item["status"] = s(target)
        if target == "DONE":
            item["completed_at"] = s(iso_s(at_ms))
        elif target == "OPEN":
            item.pop("completed_at", None)

    def _delete(self, at_ms: int) -> None:
        slot = self._find(("OPEN", "IN_PROGRESS", "DONE", "ARCHIVED"), allow_protected=False)
        if slot < 0:
            return
        key = self._tasks[slot]
        assert key is not None
        del self.items[key]
        self.changed.add(key)
        self._tasks[slot] = None
        insort(self._holes, slot)
        if len(self._holes) > 4096 and len(self._holes) > len(self._tasks) >> 3:
            self._compact()

    def _compact(self) -> None:
        """Drop the holes (O(n), rare: once per day via task_ids, or when holes pile up)."""
        self._tasks = [k for k in self._tasks if k is not None]
        self._holes = []

    # ---- reading --------------------------------------------------------------------------
    def task_ids(self) -> list[str]:
        """Ids of the tasks that currently exist (for realistic request paths)."""
        return [k[1][5:] for k in self.task_keys]
