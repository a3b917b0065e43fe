"""Access-log objects in Firehose arrival-hour folders, with realistic dirt.

Each day's events are planned first (instant, delivery delay, kind), then grouped into
Firehose buffer windows by *arrival* time: an event at 23:59 can land in the next day's ``00``
folder. A planned event is packed into one int ``arrival << 24 | delay << 4 | kind`` so a
million of them sort fast and stay small; a day's windows are written as soon as no later day
can add to them, which keeps memory bounded to about one day.
"""

from __future__ import annotations

import bisect
import math
import random
from pathlib import Path

from lake_sample import access_log as al
from lake_sample.common import DAY_MS, MINUTE_MS, gzip_bytes, rand_hex, write_file
from lake_sample.firehose import CwlEncoder, Record, encode_ndjson, object_key
from lake_sample.truth import MALFORMED_KINDS, ApiLogTruth

# Share of a day's events per dirt kind (at least one each when requests_per_day >= 50).
KIND_RATES = (
    (al.LATE, 0.001),
    (al.DUP, 0.002),
    (al.DUP_NEXT, 0.0005),
    (al.EPOCH_DASH, 0.002),
    (al.MISSING_RID, 0.001),
    (al.NO_TIME, 0.001),
    (al.TRUNCATED, 0.0007),
    (al.NOT_JSON, 0.0007),
    (al.NOT_OBJECT, 0.0007),
)
MIN_DIRT_REQUESTS = 50
# Diurnal traffic shape by UTC hour.
HOUR_WEIGHTS = (3, 2, 2, 2, 3, 4, 6, 8, 10, 11, 12, 12, 12, 12, 12, 12, 11, 10, 9, 8, 7, 6, 5, 4)
WINDOW_CHOICES = (8, 12, 16, 24, 32, 48, 64, 96)  # divisors of a day in ms
MAX_NATURAL_DELAY = 540_000
MEAN_DELAY = 25_000
LATE_WINDOW = 10 * MINUTE_MS


def windows_per_day(requests_per_day: int) -> int:
    """Objects per day: one per 3 h for tiny days, ~48 for a million requests."""
    want = requests_per_day / 25_000
    return next((w for w in WINDOW_CHOICES if w >= want), WINDOW_CHOICES[-1])


def plan_day(rng: random.Random, day_ms: int, n: int, window_ms: int) -> list[int]:
    """Packed codes (unsorted) for one day's ``n`` events, dirt kinds included."""
    r = rng.random
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=n)
    events = [day_ms + h * 3_600_000 + int(r() * 3_600_000) for h in hours]
    kinds = bytearray(n)
    counts = [(k, max(1, round(n * rate)) if n >= MIN_DIRT_REQUESTS else round(n * rate)) for k, rate in KIND_RATES]
    chosen = rng.sample(range(n), min(n, sum(c for _, c in counts)))
    pos = 0
    for kind, c in counts:
        for i in chosen[pos : pos + c]:
            kinds[i] = kind
            if kind == al.LATE:  # just before midnight, delivered just after it
                events[i] = day_ms + DAY_MS - 1 - int(r() * LATE_WINDOW)
            elif kind in (al.DUP, al.DUP_NEXT):  # first delivery well inside the day
                events[i] = day_ms + int(r() * (DAY_MS - window_ms - 2 * LATE_WINDOW))
        pos += c
    codes = []
    end = day_ms + DAY_MS
    for ev, kind in zip(events, kinds, strict=True):
        if kind == al.LATE:
            arrival = end + int(r() * LATE_WINDOW / 2)
        else:
            arrival = ev + 1500 + min(MAX_NATURAL_DELAY, int(-math.log(1.0 - r()) * MEAN_DELAY))
        codes.append(arrival << 24 | (arrival - ev) << 4 | kind)
    return codes


def _decode(code: int) -> tuple[int, int, int]:
    """(event ms, arrival ms, kind) of a packed code."""
    arrival = code >> 24
    return arrival - ((code >> 4) & 0xFFFFF), arrival, code & 15


def _inc(d: dict[str, int], key: str, by: int = 1) -> None:
    d[key] = d.get(key, 0) + by


class ApiLogWriter:
    """Writes the api_logs tree and accumulates the arrival-side truth."""

    def __init__(
        self,
        root: Path,
        rng: random.Random,
        start_ms: int,
        days: int,
        requests_per_day: int,
        factory: al.LineFactory,
        date_keys: list[str],
    ) -> None:
        self.root, self.rng, self.start_ms, self.days = root, rng, start_ms, days
        self.rpd, self.factory, self.date_keys = requests_per_day, factory, date_keys
        self.per_day = windows_per_day(requests_per_day)
        self.window_ms = DAY_MS // self.per_day
        self.cwl = CwlEncoder(rng)
        self.pending: dict[int, list[Record]] = {}
        self.names: set[str] = set()
        self.truth = ApiLogTruth()
        self.files: list[str] = []

    # ---- driver ---------------------------------------------------------------------------
    def write_all(self) -> ApiLogTruth:
        """Plan and write every day, then the early windows of the day after the last."""
        carry: list[int] = []
        for d in range(self.days):
            day_ms = self.start_ms + d * DAY_MS
            codes = carry + plan_day(self.rng, day_ms, self.rpd, self.window_ms)
            codes.sort()
            cut = bisect.bisect_left(codes, (day_ms + DAY_MS) << 24)
            self._write_day(d, codes[:cut], extra=False)
            carry = codes[cut:]
        self._write_day(self.days, carry, extra=True)
        return self._finish()

    def _write_day(self, d: int, codes: list[int], extra: bool) -> None:
        """All windows of arrival day ``d``; extra=True is the day after the range."""
        day_ms = self.start_ms + d * DAY_MS
        first = d * self.per_day
        bounds = [bisect.bisect_left(codes, (day_ms + j * self.window_ms) << 24) for j in range(self.per_day)] + [
            len(codes)
        ]
        filled = [j for j in range(self.per_day) if bounds[j] < bounds[j + 1] or (first + j) in self.pending]
        # Variants are drawn for every window (a duplicate may fill an empty one later);
        # each day with two or more filled windows gets both variants.
        cwl = {j for j in range(self.per_day) if self.rng.random() < 0.5}
        if len(filled) >= 2 and len(cwl.intersection(filled)) in (0, len(filled)):
            cwl ^= {self.rng.choice(filled)}
        hosts = sorted(cwl.intersection(filled))
        controls: list[int] = []
        host = -1
        if not extra:
            controls = [day_ms + self.rng.randrange(DAY_MS) for _ in range(self.rng.choice((1, 1, 2)))]
            host = self.rng.choice(hosts) if hosts else -1
        for j in range(self.per_day):
            if bounds[j] < bounds[j + 1] or (first + j) in self.pending:
                self._write_window(first + j, codes[bounds[j] : bounds[j + 1]], j in cwl, controls if j == host else [])
        if not extra:
            if host == -1:  # no CWL data object today: the control message comes alone
                data, _ = self.cwl.encode([], controls)
                self._put(day_ms + self.rng.randrange(DAY_MS), data)
                _inc(self.truth.control_messages, self.date_keys[d], len(controls))
            self._write_empty(d, day_ms)

    # ---- objects --------------------------------------------------------------------------
    def _write_window(self, w: int, codes: list[int], is_cwl: bool, controls: list[int]) -> None:
        arrival_day = self.date_keys[w // self.per_day]
        t = self.truth
        records: list[Record] = []
        append = records.append
        factory = self.factory
        line = factory.line
        date_keys, start_ms = self.date_keys, self.start_ms
        valid_kinds, dup_kinds = al.VALID_KINDS, (al.DUP, al.DUP_NEXT)
        valid = 0  # added to the truth once per window (it is read sorted by key)
        for code in codes:
            # _decode(code), inlined: the event instant and kind of a packed code
            ev = (code >> 24) - ((code >> 4) & 0xFFFFF)
            kind = code & 15
            text = line(ev, kind)
            append((ev, text))
            if kind in valid_kinds:
                valid += 1
                ev_day = date_keys[(ev - start_ms) // DAY_MS]
                if ev_day != arrival_day:
                    _inc(t.late_arrivals, ev_day)
                if kind in dup_kinds:
                    self._schedule_duplicate(w, kind, ev, text)
            else:
                name = al.MALFORMED_NAME[kind]
                _inc(t.malformed, arrival_day)
                _inc(t.malformed_by_kind.setdefault(arrival_day, {}), name)
            if factory.untypable:
                for untypable in factory.untypable:
                    _inc(t.untypable_values.setdefault(arrival_day, {}), untypable)
            for absent in factory.absent:
                _inc(t.absent_fields.setdefault(arrival_day, {}), absent)
        if valid:
            _inc(t.valid_lines, arrival_day, valid)
        for rec in self.pending.pop(w, []):
            records.insert(self.rng.randrange(len(records) + 1), rec)
            _inc(t.duplicates_injected, arrival_day)
        _inc(t.lines_total, arrival_day, len(records))
        ts = self.start_ms + w * self.window_ms + self.rng.randrange(min(self.window_ms, 300_000))
        if is_cwl:
            data, _ = self.cwl.encode(records, controls)
            _inc(t.control_messages, arrival_day, len(controls))
        else:
            data = encode_ndjson(records, trailing_newline=self.rng.random() < 0.5)
        self._put(ts, data)

    def _schedule_duplicate(self, w: int, kind: int, ev: int, text: str) -> None:
        """Re-deliver the exact line later: same day (DUP) or the next day (DUP_NEXT)."""
        day = w // self.per_day
        if kind == al.DUP:
            target = min(w + self.rng.randint(1, 3), (day + 1) * self.per_day - 1)
        elif day + 1 < self.days:
            target = (day + 1) * self.per_day + self.rng.randrange(min(3, self.per_day))
        else:
            target = (day + 1) * self.per_day  # the early window after the last day
        self.pending.setdefault(target, []).append((ev, text))

    def _write_empty(self, d: int, day_ms: int) -> None:
        """At least one empty data object per day: 0 bytes or a gzip of nothing."""
        for _ in range(self.rng.choice((1, 1, 2))):
            data = b"" if self.rng.random() < 0.5 else gzip_bytes(b"")
            self._put(day_ms + self.rng.randrange(DAY_MS), data)
            _inc(self.truth.empty_objects, self.date_keys[d])

    def _put(self, ts_ms: int, data: bytes) -> None:
        key = object_key(ts_ms, rand_hex(self.rng, 8))
        while key in self.names:
            key = object_key(ts_ms, rand_hex(self.rng, 8))
        self.names.add(key)
        write_file(self.root, key, data)
        self.files.append(key)
        _inc(self.truth.objects, key[9:19].replace("/", "-"))

    # ---- truth ----------------------------------------------------------------------------
    def _finish(self) -> ApiLogTruth:
        t, f = self.truth, self.factory
        t.arrival_dates = sorted(t.objects)
        t.event_dates = sorted(f.truth_by_day)
        for day in t.event_dates:
            s = f.truth_by_day[day]
            t.requests[day] = s["n"]["requests"]
            t.anonymous_requests[day] = s["n"]["anonymous"]
            t.route_requests[day] = dict(sorted(s["routes"].items()))
            t.route_errors_4xx[day] = dict(sorted(s["e4"].items()))
            t.route_errors_5xx[day] = dict(sorted(s["e5"].items()))
            t.user_requests[day] = dict(sorted(s["users"].items()))
            t.late_arrivals.setdefault(day, 0)
        for day in t.arrival_dates:
            for counter in (
                t.valid_lines,
                t.duplicates_injected,
                t.malformed,
                t.lines_total,
                t.control_messages,
                t.empty_objects,
            ):
                counter.setdefault(day, 0)
            by_kind = t.malformed_by_kind.setdefault(day, {})
            t.malformed_by_kind[day] = {k: by_kind.get(k, 0) for k in MALFORMED_KINDS}
            t.untypable_values.setdefault(day, {})
            t.absent_fields.setdefault(day, {})
        if f.latency is not None:
            t.route_latency_samples = {
                day: {route: sorted(v) for route, v in sorted(routes.items())}
                for day, routes in sorted(f.latency.items())
            }
        t.unknown_user_ids = list(f.unknown_users)
        return t
