"""Calibration: expected calibration error, NLL and Brier score before and after.

Every figure is measured on a test part the calibration never saw (it is fitted on the
validation part), through ``genriflow.train(..., calibration=...)``:

1. the built-in ``gtzan-table`` model (the default model's table half), as shipped: its
   figures on the 290 fault-filtered GTZAN test clips, and the default ``gtzan``'s (the
   fusion's temperature, cross-fitted on the 47 real clips), from ``metrics.json``
   (``tools/build_default_model.py`` measured them; rerun that to re-measure);
2. heads on the real Kaggle GTZAN feature table (fault-filtered split), each calibration;
3. a network (default ``shortchunk-cnn``) on the generated demo corpus, temperature
   scaling against none.

    python benchmarks/calibration.py                      # needs ../shared/data
    python benchmarks/calibration.py --network cs229-ffnn@cs229-raw --epochs 20
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT.parent / "shared" / "data" / "gtzan-features" / "features_30_sec.csv"


def _row(name: str, part: str, c: dict) -> str:
    b, a = c["before"], c["after"]
    return (f"  {name:<34} {b['ece']:.3f} -> {a['ece']:.3f}   {b['nll']:.3f} -> "
            f"{a['nll']:.3f}   {b['brier']:.3f} -> {a['brier']:.3f}   "
            f"{b['accuracy']:.3f} -> {a['accuracy']:.3f}   {part}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(tempfile.gettempdir()) / "genriflow-calibration")
    parser.add_argument("--network", default="shortchunk-cnn")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--per-genre", type=int, default=20)
    parser.add_argument("--heads", default="logreg,svm,random-forest")
    args = parser.parse_args(argv)

    import genriflow
    from genriflow.datasets.synthetic import make_demo_corpus
    from genriflow.features.options import RunOptions
    from genriflow.models.registry import builtin_folder

    start = time.perf_counter()
    print("calibration fitted on the validation part, measured on the test part\n")
    print(f"  {'model':<34} {'ECE (15 bins)':<15} {'NLL':<15} {'Brier':<15} "
          f"{'accuracy':<15} measured on")
    shipped = json.loads((builtin_folder("gtzan-table") / "metrics.json").read_text())
    before, after = shipped["test_calibration"]["before"], shipped["test_calibration"]["after"]
    print(f"  {'gtzan-table (built-in, ' + shipped['calibration']['method'] + ')':<34} "
          f"{before['ece']:.3f} -> {after['ece']:.3f}   {before['log_loss']:.3f} -> "
          f"{after['log_loss']:.3f}   {'(not recorded)':<15} {before['accuracy']:.3f} -> "
          f"{after['accuracy']:.3f}   {shipped['test']['part']}")
    fused = shipped.get("sample", {}).get("fused_calibration")
    if fused is not None:
        print(_row(f"gtzan (default, T {fused['temperature']})",
                   f"the {fused['before']['n']} sample clips, 5-fold cross-fitted", fused))
    if TABLE.is_file():
        for head in args.heads.split(","):
            for method in ("temperature", "sigmoid", "isotonic"):
                run = genriflow.train(table=TABLE, model=head, calibration=method,
                                      out=args.out / f"{head}-{method}")
                print(_row(f"{head}, {method}", run.metrics["test"]["part"],
                           run.metrics["test_calibration"]), flush=True)
    else:
        print(f"  (no {TABLE}: the heads on the real table are skipped)")
    corpus = args.out / "corpus"
    if not (corpus / "manifest.csv").is_file():
        make_demo_corpus(corpus, per_genre=args.per_genre, seconds=10.0, seed=0)
    run = genriflow.train(corpus, model=args.network, epochs=args.epochs, split="stratified",
                          device="cpu", out=args.out / "network",
                          options=RunOptions(store=args.out / "store", progress=True))
    calibration = run.metrics["test_calibration"]
    print(_row(f"{args.network}, {calibration['method']}", run.metrics["test"]["part"] +
               " of the demo corpus", calibration))
    print(f"\n{time.perf_counter() - start:.0f} s; reports under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
