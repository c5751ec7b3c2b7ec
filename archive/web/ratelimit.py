"""Rate limits: an in-memory token bucket per (kind, client), refilled continuously.

A client is an API token, a signed-in user or, for everyone else, an address; each kind of
request (search, upload, login) has its own rate and burst (Settings.rate_limits). A bucket holds
up to `burst` requests and refills at `rate` per second, so a reader's bursts of clicks pass
while a loop that keeps asking is slowed to the rate and told when to come back (Retry-After).

The buckets live in one process: several server processes would each allow the full rate.
Login has a second, persistent guard per username and address (archive.throttle).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from archive.errors import TooManyRequests

KINDS = ("search", "upload", "login")
# Above this many buckets, the ones that have refilled to full (idle clients) are dropped, so
# a flood from many addresses costs bounded memory.
MAX_BUCKETS = 10_000
MESSAGES = {
    "search": "Too many searches; try again in {} s.",
    "upload": "Too many uploads; try again in {} s.",
    "login": "Too many sign-in attempts from this address; try again in {} s.",
}


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets for the kinds in `rates`; a kind not there (or with rate 0) is unlimited."""

    def __init__(
        self, rates: Mapping[str, Rate], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = {k: r for k, r in rates.items() if r.per_second > 0 and r.burst > 0}
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        # Requests are checked in the event loop and in worker threads alike.
        self._lock = threading.Lock()

    def take(self, kind: str, client: str) -> None:
        """Count one request of `kind` by `client`, or raise TooManyRequests (counting nothing)."""
        rate = self.rates.get(kind)
        if rate is None:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get((kind, client))
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._prune(now)
                bucket = self._buckets[(kind, client)] = _Bucket(float(rate.burst), now)
            bucket.tokens = min(rate.burst, bucket.tokens + (now - bucket.at) * rate.per_second)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            # Whole seconds (RFC 9110's delay-seconds), never 0: "retry now" would be a lie.
            wait = max(1, math.ceil((1 - bucket.tokens) / rate.per_second))
        raise TooManyRequests(MESSAGES[kind].format(wait), retry_after=wait)

    def _prune(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            rate = self.rates[key[0]]
            if bucket.tokens + (now - bucket.at) * rate.per_second >= rate.burst:
                del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:
            # Everyone is busy: forget the oldest half rather than grow without bound.
            for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1].at)[
                : MAX_BUCKETS // 2
            ]:
                del self._buckets[key]


def parse_rates(text: str) -> dict[str, Rate]:
    """`search=20/60,upload=5/20,login=1/10` (per second / burst); `off` (or empty) for none."""
    if text.strip().lower() in ("", "off", "0", "none"):
        return {}
    rates: dict[str, Rate] = {}
    for item in text.split(","):
        kind, _, value = item.strip().partition("=")
        per_second, _, burst = value.partition("/")
        if kind not in KINDS or not burst:
            raise ValueError(
                f"bad rate limit {item.strip()!r}: write kind=PER_SECOND/BURST, kind one of "
                f"{', '.join(KINDS)}, e.g. search=20/60"
            )
        rates[kind] = Rate(float(per_second), int(burst))
    return rates
