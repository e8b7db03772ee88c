"""The `ask --json` shape fixed by ../shared/contract/README.md, for every test that checks it."""

from __future__ import annotations

ANSWER_KEYS = frozenset(
    {"intent", "kind", "service", "indicator", "town", "needs_location", "location", "results", "reply",
     "why"}
)  # fmt: skip
RESULT_KEYS = frozenset(
    {"id", "name", "kind", "town", "address", "phone", "lat", "lon", "distance_m", "open_now", "hours_today",
     "next_open"}
)  # fmt: skip
LOCATION_KEYS = frozenset({"lat", "lon", "source"})
