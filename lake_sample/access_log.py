"""API Gateway access-log lines (every value a string, ``"-"`` when unavailable).

``LineFactory`` turns a planned event (instant + kind) into the exact text of one line and
records the truth of valid lines as it goes. It is the hot loop of the generator (a million
lines a day), hence the local-variable binding and string templates instead of json.dumps:
all generated values are plain ASCII without quotes or backslashes, so no escaping is needed.
"""

from __future__ import annotations

import binascii
import random
from binascii import b2a_base64
from bisect import bisect_right
from collections.abc import Sequence

from lake_sample.common import DAY_MS, clf

# Event kinds (planned per event; see api_logs.plan_day).
VALID, LATE, DUP, DUP_NEXT, EPOCH_DASH = 0, 1, 2, 3, 4
MISSING_RID, NO_TIME, TRUNCATED, NOT_JSON, NOT_OBJECT = 5, 6, 7, 8, 9
VALID_KINDS = frozenset((VALID, LATE, DUP, DUP_NEXT, EPOCH_DASH))
MALFORMED_NAME = {
    MISSING_RID: "missing_request_id",
    NO_TIME: "no_usable_time",
    TRUNCATED: "truncated_json",
    NOT_JSON: "not_json",
    NOT_OBJECT: "not_object",
}

# (method, routeKey, weight, auth required, statuses with weights)
_OK, _CREATED, _NOCONTENT = (("200", 940),), (("201", 930),), (("204", 940),)
_ERR = (("400", 12), ("403", 6), ("404", 14), ("429", 8), ("500", 10), ("502", 5), ("503", 5))
ROUTES = (
    ("GET", "GET /tasks", 38, True, _OK),
    ("GET", "GET /tasks/{taskId}", 24, True, _OK),
    ("POST", "POST /tasks", 9, True, _CREATED),
    ("PUT", "PUT /tasks/{taskId}", 8, True, _OK),
    ("DELETE", "DELETE /tasks/{taskId}", 3, True, _NOCONTENT),
    ("GET", "GET /users/me", 12, True, _OK),
    ("POST", "POST /login", 6, False, (("200", 900), ("401", 60))),
)
NO_INTEGRATION = frozenset(("401", "403", "429"))
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148",
    "TasksApp/3.4.1 (Android 14; Pixel 8)",
    "TasksApp/3.4.0 (iOS 17.5)",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "curl/8.7.1",
)
OFFSETS = (120, -300, 330, 60, -480, 540)
PLAIN_TEXT = (
    "upstream connect error or disconnect/reset before headers. reset reason: overflow",
    "Internal server error",
    "2026-01-01 00:00:00 WARN access log buffer overflow, 17 lines dropped",
    "\tat com.amazonaws.Handler.invoke(Handler.java:42)",
)
NOT_OBJECTS = ("[1,2]", '"x"', "42", "null", "true", '["GET /tasks", "200"]')
BAD_TIMES = ("-", "-", "", "32/Foo/2026:25:61:99 +0000", "yesterday", "0")


_RID_MASK = (1 << 88) - 1


def _cumulative(weights: Sequence[int]) -> list[int]:
    out, acc = [], 0
    for w in weights:
        acc += w
        out.append(acc)
    return out


class LineFactory:
    """Builds access-log lines for one run; users/tasks come from each event day's table."""

    def __init__(
        self, rng: random.Random, start_ms: int, date_keys: list[str], unknown_users: list[str], keep_latency: bool
    ) -> None:
        self.rng = rng
        self.start_ms = start_ms
        self.date_keys = date_keys
        self.unknown_users = unknown_users
        self.populations: list[tuple[list[str], list[str]]] = []
        self.user_ip: dict[str, str] = {}
        self._route_cum = _cumulative([r[2] for r in ROUTES])
        self._route_total = self._route_cum[-1]
        self._random = rng.random
        self._routes = [self._route_entry(r) for r in ROUTES]
        # A pre-drawn log-normal table: same distribution, a fraction of the cost per line.
        self._latencies = [int(rng.lognormvariate(3.3, 0.7)) + 1 for _ in range(8192)]
        self._clf_cache: dict[int, str] = {}
        self._seq = 0
        self._rid_key = rng.getrandbits(88) | 1
        self._rid_off = rng.getrandbits(88)
        self.truth_by_day: dict[str, dict[str, dict[str, int]]] = {}
        self.latency: dict[str, dict[str, list[int]]] | None = {} if keep_latency else None
        # Fields of the last line whose value is present but does not type (a bad requestTime):
        # the Bronze schema_drift check reports them, "-" and "" are unavailable, not untypable.
        self.untypable: tuple[str, ...] = ()
        # Fields the last line leaves out entirely (Bronze schema_drift reports them as missing).
        self.absent: tuple[str, ...] = ()

    @staticmethod
    def _route_entry(route: tuple) -> tuple:
        """(method, routeKey, path head, has taskId, auth, status names, cumulative weights)."""
        method, key, _, auth, ok = route
        table = list(ok) + [e for e in _ERR if e[0] not in {s for s, _ in ok}]
        path = key.split(" ", 1)[1]
        return (
            method,
            key,
            path.replace("{taskId}", ""),
            "{taskId}" in path,
            auth,
            [s for s, _ in table],
            _cumulative([w for _, w in table]),
        )

    def add_population(self, users: list[str], task_ids: list[str]) -> None:
        """Users and tasks existing at the start of the next event day (one call per day).

        Lines pick users from their own event day's population, so a request never comes
        from a user (or names a task) that did not exist yet.
        """
        self.populations.append((users or ["u-0001"], task_ids or ["t-000001"]))
        for uid in users:
            if uid not in self.user_ip:
                self.user_ip[uid] = self._ip()

    def _ip(self) -> str:
        b = self.rng.getrandbits(32)
        return f"{(b >> 24) % 223 + 1}.{(b >> 16) & 255}.{(b >> 8) & 255}.{b & 255}"

    def _request_id(self) -> str:
        # A bijective mix of a counter: unique for the run, random-looking, seeded.
        self._seq += 1
        mixed = (self._seq * self._rid_key + self._rid_off) & _RID_MASK
        return binascii.b2a_base64(mixed.to_bytes(11, "big"), newline=False).decode()

    def _clf(self, event_ms: int, offset: int) -> str:
        key = (event_ms // 1000) * 4096 + offset + 2048
        text = self._clf_cache.get(key)
        if text is None:
            if len(self._clf_cache) > 200_000:
                self._clf_cache.clear()
            text = self._clf_cache[key] = clf(event_ms, offset)
        return text

    def line(self, event_ms: int, kind: int) -> str:
        """The text of one line of the given kind; valid kinds update the truth."""
        self.untypable = self.absent = ()
        if kind == NOT_JSON:
            return self.rng.choice(PLAIN_TEXT)
        if kind == NOT_OBJECT:
            return self.rng.choice(NOT_OBJECTS)
        text, route, status, uid, lat = self._fields(event_ms, kind)
        if kind == TRUNCATED:
            return text[: self.rng.randrange(1, len(text) - 1)]
        if kind in VALID_KINDS:
            self._count(event_ms, route, status, uid, lat)
        return text

    def _fields(self, event_ms: int, kind: int) -> tuple[str, str, str, str, int | None]:
        # The per-line hot path: _clf and _request_id are inlined (same results, no RNG there).
        r = self._random
        users, task_ids = self.populations[(event_ms - self.start_ms) // DAY_MS]
        ri = bisect_right(self._route_cum, r() * self._route_total)
        method, route, path, has_task, auth, names, cum = self._routes[ri]
        u = r()
        if u < 0.07:
            uid = "-"
        elif u < 0.08:
            uid = self.unknown_users[int(r() * len(self.unknown_users))]
        else:
            uid = users[int(r() * len(users))]
        # Anonymous calls to protected routes are rejected by the JWT authorizer.
        status = "401" if uid == "-" and auth else names[bisect_right(cum, r() * cum[-1])]
        latency = self._latencies[int(r() * 8192)]
        if status[0] == "5" and status != "503":
            latency = latency * 20 + 1000  # upstream timeouts and crashes are slow
        # Rejected before the backend (auth, throttling): no integration latency.
        integ = "-" if status in NO_INTEGRATION or r() < 0.005 else str(max(0, latency - 1 - int(r() * 8)))
        resp_lat = str(latency)
        lat: int | None = latency  # None when the record does not log it
        if r() < 0.004:
            resp_lat, lat = "-", None
        if has_task:
            path += task_ids[int(r() * len(task_ids))]
        if status[0] == "2":
            length = "0" if status == "204" else str(int(r() * 1800) + 40)
        else:
            length = str(int(r() * 90) + 20)  # short error bodies
        ua = "-" if r() < 0.01 else USER_AGENTS[int(r() * len(USER_AGENTS))]
        ip = self.user_ip.get(uid) or self._ip()
        proto = "HTTP/2.0" if r() < 0.1 else "HTTP/1.1"
        offset = 0
        if r() < 0.03 or (kind == EPOCH_DASH and r() < 0.6):
            offset = OFFSETS[int(r() * len(OFFSETS))]
        clf_key = (event_ms // 1000) * 4096 + offset + 2048
        req_time = self._clf_cache.get(clf_key)
        if req_time is None:
            req_time = self._clf(event_ms, offset)
        epoch = str(event_ms)
        if kind == EPOCH_DASH:
            epoch = "-"
        elif kind == NO_TIME:
            epoch, req_time = "-", self.rng.choice(BAD_TIMES)
            self.untypable = () if req_time in ("-", "") else ("requestTime",)
        # _request_id(), inlined
        self._seq = seq = self._seq + 1
        mixed = (seq * self._rid_key + self._rid_off) & _RID_MASK
        head = f'{{"requestId": "{b2a_base64(mixed.to_bytes(11, "big"), newline=False).decode()}", '
        if kind == MISSING_RID:
            head = '{"requestId": "-", ' if r() < 0.35 else "{"
            self.absent = ("requestId",) if head == "{" else ()
        text = (
            f'{head}"ip": "{ip}", "requestTime": "{req_time}", "requestTimeEpoch": "{epoch}", '
            f'"httpMethod": "{method}", "routeKey": "{route}", "path": "{path}", '
            f'"status": "{status}", "protocol": "{proto}", "responseLength": "{length}", '
            f'"responseLatency": "{resp_lat}", "integrationLatency": "{integ}", '
            f'"userAgent": "{ua}", "userId": "{uid}"}}'
        )
        return text, route, status, uid, lat

    def _count(self, event_ms: int, route: str, status: str, uid: str, lat: int | None) -> None:
        # EPOCH_DASH lines have second precision in requestTime: same UTC date as event_ms.
        day = self.date_keys[(event_ms - self.start_ms) // DAY_MS]
        t = self.truth_by_day.get(day)
        if t is None:
            t = self.truth_by_day[day] = {k: {} for k in ("n", "routes", "e4", "e5", "users")}
            t["n"].update(requests=0, anonymous=0)
        t["n"]["requests"] += 1
        t["routes"][route] = t["routes"].get(route, 0) + 1
        if status[0] == "4":
            t["e4"][route] = t["e4"].get(route, 0) + 1
        elif status[0] == "5":
            t["e5"][route] = t["e5"].get(route, 0) + 1
        if uid == "-":
            t["n"]["anonymous"] += 1
        else:
            t["users"][uid] = t["users"].get(uid, 0) + 1
        if self.latency is not None and lat is not None:
            self.latency.setdefault(day, {}).setdefault(route, []).append(lat)
