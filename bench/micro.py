"""Scoring 10,000 applications with `qualitymark.rubrics.Scorer` (no database, no web): the real rubric,
10,000 sets of levels drawn from a seeded generator (some criteria left unscored), one Scorer.

    python -m bench.micro [N] [REPEATS]

Prints one JSON line: the median time of REPEATS runs (building the Scorer and scoring N) and
applications per second.
"""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT


def score(n: int = 10_000, repeats: int = 3) -> dict:
    from qualitymark.rubrics import Scorer, load_rubric

    result = load_rubric(ROOT / "criteria" / "care-quality-mark" / "1.0.0.yaml")
    if not result.ok:
        raise RuntimeError("criteria/care-quality-mark/1.0.0.yaml does not load: " + "; ".join(map(str, result.errors)))
    rubric = result.rubric
    ids = [criterion.id for criterion in rubric.criteria()]
    scale = list(rubric.scale_levels())
    rng = random.Random(10_000)
    inputs = []
    for _ in range(n):
        base = rng.choice(scale[1:])
        levels = {cid: max(scale[0], min(scale[-1], base + rng.choice((-1, 0, 0, 1)))) for cid in ids
                  if rng.random() > 0.02}
        inputs.append(levels)
    times, awards = [], {}
    for _ in range(repeats):
        started = time.perf_counter()
        scorer = Scorer(rubric)
        verdicts = [scorer.score(levels) for levels in inputs]
        times.append(time.perf_counter() - started)
        awards = {}
        for verdict in verdicts:
            awards[verdict.award or "none"] = awards.get(verdict.award or "none", 0) + 1
    seconds = statistics.median(times)
    return {"n": n, "repeats": repeats, "seconds": round(seconds, 4), "all_seconds": [round(t, 4) for t in times],
            "applications_per_second": round(n / seconds), "awards": awards}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print("BENCH_JSON " + json.dumps(score(n, repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
