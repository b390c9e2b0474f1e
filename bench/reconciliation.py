"""Automatic matching time for about 10,000 and 100,000 bank lines (it must grow
near-linearly), with the precision and recall of the automatic pass and of the
suggestions on the generated statements.

    make bench ARGS=reconciliation
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avataq.settings")


def main() -> None:
    from bench.reconciliation_data import generate, score
    from billing.matching import propose

    results = {}
    for payments in (11_000, 110_000):
        data = generate(payments)
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            proposals = propose(data.lines, data.payments)
            samples.append(time.perf_counter() - started)
        quality = score(data, proposals)
        results[len(data.lines)] = statistics.median(samples)
        print(
            f"{len(data.lines):,} lines ({quality.matchable:,} paying {len(data.payments):,} "
            f"payments): median {statistics.median(samples):.2f} s "
            f"({', '.join(f'{s:.2f}' for s in samples)})\n"
            f"  automatic: {quality.automatic:,} matches, {quality.automatic_wrong} wrong — "
            f"precision {quality.precision:.2%}, recall {quality.recall:.2%}\n"
            f"  single suggestions (automatic or for a person): {quality.suggested:,}, "
            f"precision {quality.suggestion_precision:.2%}, "
            f"recall {quality.suggestion_recall:.2%}\n"
            f"  candidates to choose from: {quality.candidates:,} lines, the right payment "
            f"among them for {quality.candidates_holding_truth:,}"
        )
    (small, t_small), (large, t_large) = sorted(results.items())
    print(f"time ratio {t_large / t_small:.1f} for {large / small:.1f}× the lines")


if __name__ == "__main__":
    main()
