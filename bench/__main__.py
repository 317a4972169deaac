"""`python -m bench`: run every benchmark in turn (each prints its figures)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "bench_extract",
    "bench_pdf",
    "bench_normalize",
    "normalize_accuracy",
    "bench_tts",
    "bench_join",
    "bench_bot",
    "bench_summarize",
    "bench_feeds",
    "bench_room",
    "bench_flood",
)


def main() -> int:
    """Run each benchmark module's main() and report which failed."""
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.main()
        except Exception as exc:
            print(f"bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
            continue
        if result not in (None, 0):
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
