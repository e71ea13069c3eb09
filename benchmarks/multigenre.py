"""Several genres at once: a multi-label model against a single-label model's top two.

Writes a demo corpus with two-genre clips (``genriflow demo-data --multi``: half "one genre
then the other", half "both mixed"), then runs
:func:`genriflow.workflows.two_genre_experiment.two_genre_experiment`: both models on the same
features and training clips (the multi-label one also on a share of the two-genre clips),
tested on held-out two-genre clips neither saw. Prints, side by side, the share of those
clips whose two genres are both found (the 2024 report's measure) with Wilson 95 %
intervals, exact-set accuracy, micro/macro F1 and mAP, and writes the figures as JSON.

    python benchmarks/multigenre.py                         # 20 clips/genre + 300 two-genre
    python benchmarks/multigenre.py --set kaggle --multi 100
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROWS = (("single-label, top two", "single_label_top_two"),
        ("multi-label, threshold 0.2", "multi_label_seed_threshold"),
        ("multi-label, thresholds as trained", "multi_label_tuned_thresholds"))


def _share(m: dict) -> str:
    low, high = m["interval"]
    return f"{m['accuracy']:.3f} ({m['correct']}/{m['n']}, {low:.3f}-{high:.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(tempfile.gettempdir()) / "genriflow-multigenre")
    parser.add_argument("--per-genre", type=int, default=20)
    parser.add_argument("--multi", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--set", default="msd-musicnn", help="Feature set of both models.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", "-j", type=int, default=None)
    args = parser.parse_args(argv)

    from genriflow.datasets.synthetic import make_demo_corpus
    from genriflow.features.options import RunOptions
    from genriflow.workflows.two_genre_experiment import TwoGenreConfig, two_genre_experiment

    corpus = args.out / "corpus"
    start = time.perf_counter()
    if not (corpus / "manifest.csv").is_file():
        make_demo_corpus(corpus, per_genre=args.per_genre, seconds=args.seconds,
                         seed=args.seed, multi=args.multi)
    figures = two_genre_experiment(
        corpus, config=TwoGenreConfig(feature_set=args.set, seed=args.seed),
        options=RunOptions(store=args.out / "store", n_jobs=args.jobs, progress=True))
    (args.out / "multigenre.json").write_text(json.dumps(figures, indent=2))
    split = figures["split"]
    print(f"\n{args.per_genre} clips per genre + {args.multi} two-genre clips of "
          f"{args.seconds:g} s; features {args.set}; {time.perf_counter() - start:.0f} s")
    print(f"train: {split['train_single']} single-genre (+ {split['train_multi']} two-genre "
          f"for the multi-label model); valid: {split['valid_single']} + "
          f"{split['valid_multi']}; {figures['single_label_top_two']['part']}")
    print(f"\n  {'model':<30} {'both genres found (95 % Wilson)':<34} {'exact set':>9} "
          f"{'micro F1':>9} {'macro F1':>9} {'mAP':>6}")
    for name, key in ROWS:
        m = figures[key]
        print(f"  {name:<30} {_share(m['all_genres_found']):<34} "
              f"{m['exact_set']['accuracy']:>9.3f} {m['micro_f1']:>9.3f} "
              f"{m['macro_f1']:>9.3f} {m['mAP']:>6.3f}")
    print(f"\nthresholds as trained (genriflow train --multi-label): "
          f"{figures['tuned_thresholds']['thresholds_from']}")
    print(f"wrote {args.out / 'multigenre.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
