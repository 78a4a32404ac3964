"""A simulated executor on tel_client: PHASES phases of estimate -> simulated model call -> record.

Prints one JSON object: the phases run, the record outcomes and the round-trip latency percentiles
(milliseconds) of the estimate and record calls. The suite runs it (crates/tel-cli/tests/cli/
python_client.rs) and checks the database; by hand:

    python3 clients/python/simulated_executor.py --tel target/debug/tel --database-url /tmp/sim.db
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tel_client import TelClient  # noqa: E402

CATEGORIES = ["implementation", "tests", "docs", "refactor"]
COMPLEXITIES = ["low", "medium", "high"]


def percentile(values, fraction):
    """The nearest-rank percentile of `values` (sorted here)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tel", default="tel")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--phases", type=int, default=1000)
    parser.add_argument("--run-id", default="sim-run")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    estimate_ms, record_ms, outcomes = [], [], {}
    with TelClient(tel=args.tel, database_url=args.database_url, force=True) as tel:
        for phase in range(args.phases):
            category = rng.choice(CATEGORIES)
            complexity = rng.choice(COMPLEXITIES)
            deliverables = [f"src/module_{phase}_{i}.py" for i in range(rng.randint(1, 4))]
            started = time.perf_counter()
            estimate = tel.estimate(deliverables, category=category, complexity=complexity)
            estimate_ms.append((time.perf_counter() - started) * 1000)

            # The model call: an output near the estimate, cut at the budget like a real max_tokens.
            budget = estimate["selected_budget"]
            wanted = max(50, int(estimate["estimated_tokens"] * rng.uniform(0.3, 1.8)))
            truncated = wanted > budget
            actual = budget if truncated else wanted

            started = time.perf_counter()
            answer = tel.record({
                "run_id": args.run_id,
                "phase_id": f"phase-{phase:05d}",
                "category": category,
                "complexity": complexity,
                "deliverables": deliverables,
                "predicted_output_tokens": estimate["estimated_tokens"],
                "actual_output_tokens": actual,
                "selected_budget": budget,
                "success": not truncated,
                "truncated": truncated,
                "stop_reason": "max_tokens" if truncated else "end_turn",
                "model": "simulated-model",
                "actual_max_tokens": budget,
            })
            record_ms.append((time.perf_counter() - started) * 1000)
            outcomes[answer["outcome"]] = outcomes.get(answer["outcome"], 0) + 1
        exit_codes = tel.close()

    print(json.dumps({
        "phases": args.phases,
        "outcomes": outcomes,
        "exit_codes": list(exit_codes),
        "estimate_ms": {"p50": percentile(estimate_ms, 0.5), "p99": percentile(estimate_ms, 0.99)},
        "record_ms": {"p50": percentile(record_ms, 0.5), "p99": percentile(record_ms, 0.99)},
    }))


if __name__ == "__main__":
    main()
