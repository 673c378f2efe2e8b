"""Seller-post parsing benchmark: inputs that once made the price regexes quadratic.

Run from the repository root:

    .venv/bin/python bench/parsing.py

Each input is parsed 5 times; the slowest run of each is printed. Target: every input
under 2 s (they once took 25 s). The test suite checks only that they parse correctly:
timing depends on the machine, so it is measured here instead of asserted in tests.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.catalogue.pricing import parse_listing

COMMAND = ".venv/bin/python bench/parsing.py"
TARGET_SECONDS = 2.0
RUNS = 5
PATHOLOGICAL = [
    "9" * 5_000,
    "Rp " + "9" * 400,
    "1" * 10_000 + "rb",
    "1." * 5_000 + "rb",
    "🔥" * 10_000,
    "kak " * 2_500 + "15rb",
    "~" * 10_000,
    "\n" * 10_000,
    "kak " * 2_500 + "x 15rb",
    "- " * 5_000 + "15rb",
    "15rb" + " kak -" * 2_000 + " x",
    ", " * 5_000,
    "(" * 10_000,
    "~ 1rb ~" * 1_500,
    "Rp 1.000 - " * 1_000,
]


def slowest(text: str) -> float:
    """The slowest of RUNS parses of `text`, in seconds."""
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        parse_listing(text)
        timings.append(time.perf_counter() - started)
    return max(timings)


def main() -> int:
    """Time every input; exit 1 if one misses the target."""
    print(f"command: {COMMAND}")
    missed = 0
    for text in PATHOLOGICAL:
        seconds = slowest(text)
        missed += seconds >= TARGET_SECONDS
        print(f"{seconds * 1000:9.2f} ms  {text[:24]!r}… ({len(text)} chars)")
    print("all under target" if not missed else f"{missed} over {TARGET_SECONDS} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
