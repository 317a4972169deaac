"""`python -m bench.normalize_accuracy`: the normaliser's accuracy per class on the fixtures.

Each `tests/data/normalize/<class>.tsv` line is `written<TAB>spoken`. A sentence counts as
right when the normaliser's output equals the spoken form after both are lowercased and
stripped of punctuation (every character that is not a letter or digit counts as a space).
Add `-v` to print every miss. `--first-sight` (or `--first-sight=NAME` for one file) scores
the batches in `tests/data/normalize_first_sight/` instead: sentences written with their spoken
forms before the normaliser ran on them, kept apart from the fixtures (they need not pass).
"""

from __future__ import annotations

import sys
import time

from bot.pipeline.normalize import normalize
from tests.support.normalize_cases import comparable, load_cases, load_first_sight

TARGET = 0.95  # the accuracy the normaliser is held to: at least 95 % exactly right


def main(argv: list[str] | None = None) -> int:
    """Print accuracy per class and overall; exit 1 below the target."""
    args = argv if argv is not None else sys.argv[1:]
    verbose = "-v" in args
    batches = [a.partition("=")[2] or "*" for a in args if a.startswith("--first-sight")]
    cases = load_first_sight(batch=batches[0]) if batches else load_cases()
    totals: dict[str, list[int]] = {}
    misses = []
    start = time.perf_counter()
    for case in cases:
        got = normalize(case.written)
        right = comparable(got) == comparable(case.spoken)
        tally = totals.setdefault(case.kind, [0, 0])
        tally[0] += right
        tally[1] += 1
        if not right:
            misses.append((case, got))
    elapsed = time.perf_counter() - start
    print(f"{'class':<14}{'right':>7}{'total':>7}{'accuracy':>10}")
    for kind, (right, total) in sorted(totals.items()):
        print(f"{kind:<14}{right:>7}{total:>7}{right / total:>10.1%}")
    right = sum(r for r, _ in totals.values())
    total = sum(t for _, t in totals.values())
    accuracy = right / total if total else 0.0
    print(f"{'overall':<14}{right:>7}{total:>7}{accuracy:>10.1%}")
    each = elapsed / max(total, 1) * 1e6
    print(f"{total} sentences in {elapsed * 1000:.1f} ms ({each:.0f} µs each)")
    if verbose:
        for case, got in misses:
            print(f"\n{case.kind}:{case.line}\n  in:   {case.written}")
            print(f"  want: {case.spoken}\n  got:  {got}")
    return 0 if accuracy >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
