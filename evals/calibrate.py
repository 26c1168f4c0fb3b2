"""Choose the abstention threshold on an eval set: sweep it over the evidence scores the real pipeline gives.

    python -m evals.calibrate [--dataset evals/qa.jsonl] [--cost 3]

Cost of a threshold = cost × (unanswerable questions answered) + (answerable questions abstained); a wrong answer
is worse than an honest "没有找到". Prints the sweep and the cheapest threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evals.run import load_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=Path("evals/qa.jsonl"))
    parser.add_argument("--cost", type=float, default=3.0)
    args = parser.parse_args(argv)

    from assistant import Assistant, Settings

    settings = Settings()
    settings.answer.abstain_below = 0.0  # see every score; rule-based abstentions still happen
    bot = Assistant(settings)
    rows = []
    for item in load_dataset(args.dataset):
        answer = bot.ask(item["question"], history=item.get("history") or None)
        rows.append((answer.evidence_score, answer.abstained, item.get("answerable", True)))
    print("threshold  unanswerable-answered  answerable-abstained  cost")
    best = None
    for step in range(10, 61, 2):
        t = step / 100
        answered_bad = sum(1 for score, hard, ok in rows if not ok and not hard and score >= t)
        abstained_good = sum(1 for score, hard, ok in rows if ok and (hard or score < t))
        cost = args.cost * answered_bad + abstained_good
        print(f"{t:9.2f}  {answered_bad:21d}  {abstained_good:20d}  {cost:4.0f}")
        if best is None or cost < best[0]:
            best = (cost, t)
    print(f"cheapest: {best[1]:.2f} (cost {best[0]:.0f}); current default {Settings().answer.abstain_below}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
