#!/usr/bin/env bash
# Build genriflow's wheel as a release would, install it into a fresh virtual environment
# and run `genriflow predict` on a generated clip, with no other step (issue 26).
#
#   bash tools/check_wheel.sh            # from the repository root; .ci/run calls it
#
# 1. `python -m build --wheel` on a copy of the files git knows (a clean clone's view:
#    nothing ignored, nothing left from an editable install);
# 1b. the sdist holds only what builds the wheel (no tests), its wheel the same files,
#    and the metadata a licence expression, both licence files and classifiers;
# 2. the wheel holds every non-Python file under src/genriflow that git tracks (the
#    built-in models, the musicnn weights and their licence, the page);
# 3. `pip install -c constraints.txt genriflow-*.whl` into a new venv (package registries
#    only; pip's cache is reused), where `pip show musicnn` finds nothing;
# 4. `genriflow predict clip.wav` prints a genre of the built-in model, offline (a network
#    namespace of its own when `unshare -n` is allowed, as for root in CI).
#
# Prints the wheel's size and the install and predict times. Environment: PYTHON (with
# the `build` package; default .venv/bin/python), BASE_PYTHON (makes the venv; default
# python3), KEEP=1 keeps the scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
BASE_PYTHON=${BASE_PYTHON:-python3}
ROOT=$(pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/genriflow-wheel.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$TMP"' EXIT
say() { printf 'check_wheel: %s\n' "$*"; }
seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. the wheel, from the files git knows
mkdir -p "$TMP/src"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$TMP/src"
start=$(seconds)
"$PYTHON" -m build --wheel --outdir "$TMP/dist" "$TMP/src" >"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log"; exit 1; }
WHEEL=$(ls "$TMP"/dist/genriflow-*.whl)
say "built $(basename "$WHEEL") in $(elapsed "$start") s: $(du -k "$WHEEL" | cut -f1) KiB" \
    "($(stat -c %s "$WHEEL") bytes)"

# 1b. the sdist: only what builds the wheel (no tests, no stray files), and the wheel built
#     from it holds the same files as the direct one; the metadata names the licences
"$PYTHON" -m build --sdist --outdir "$TMP/sdist" "$TMP/src" >>"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log"; exit 1; }
SDIST=$(ls "$TMP"/sdist/genriflow-*.tar.gz)
"$PYTHON" -m build --wheel --outdir "$TMP/from-sdist" "$SDIST" >>"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log"; exit 1; }
"$PYTHON" - "$SDIST" "$WHEEL" "$TMP"/from-sdist/genriflow-*.whl <<'EOF'
import email, sys, tarfile, zipfile
sdist, direct, rebuilt = sys.argv[1:]
names = [m.name.split("/", 1)[1] for m in tarfile.open(sdist).getmembers() if m.isfile()]
extra = sorted(n for n in names if not n.startswith("src/") and n not in {
    "PKG-INFO", "README.md", "pyproject.toml", "setup.cfg", "LICENSE", "MANIFEST.in"})
extra += sorted(n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo")))
if extra:
    sys.exit(f"check_wheel: the sdist holds files that build nothing: {extra}")
a, b = (set(zipfile.ZipFile(w).namelist()) for w in (direct, rebuilt))
if a != b:
    sys.exit(f"check_wheel: the wheel from the sdist differs: {sorted(a ^ b)}")
info = next(n for n in a if n.endswith(".dist-info/METADATA"))
meta = email.message_from_bytes(zipfile.ZipFile(direct).read(info))
licences = sorted(n for n in a if ".dist-info/licenses/" in n)
if not meta["License-Expression"] or len(licences) < 2 or not meta.get_all("Classifier"):
    sys.exit("check_wheel: the metadata lacks a licence expression, the licence files "
             f"or classifiers: {meta['License-Expression']}, {licences}")
print(f"check_wheel: the sdist ({len(names)} files) builds the same {len(a)} files; "
      f"licence {meta['License-Expression']}")
EOF

# 2. every data file git tracks under src/genriflow is in it
"$PYTHON" - "$WHEEL" <<'EOF'
import subprocess, sys, zipfile
tracked = subprocess.run(["git", "ls-files", "src/genriflow"], capture_output=True,
                         text=True, check=True).stdout.split()
data = {p.removeprefix("src/") for p in tracked if not p.endswith(".py")}
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
missing = sorted(data - names)
if missing:
    sys.exit(f"check_wheel: the wheel lacks {len(missing)} data files: {missing}")
print(f"check_wheel: the wheel holds all {len(data)} data files git tracks under src/genriflow")
EOF

# 3. a fresh venv, the wheel and its dependencies only
"$BASE_PYTHON" -m venv "$TMP/venv"
start=$(seconds)
"$TMP/venv/bin/pip" install -c "$ROOT/constraints.txt" "$WHEEL" >"$TMP/install.log" 2>&1 \
    || { cat "$TMP/install.log"; exit 1; }
say "installed into a fresh venv in $(elapsed "$start") s"
if "$TMP/venv/bin/pip" show -q musicnn 2>/dev/null; then
    say "the musicnn package is installed in the fresh venv"; exit 1
fi

# 4. one clip, one command, offline where possible
mkdir -p "$TMP/work"
cd "$TMP/work"
"$TMP/venv/bin/python" - <<'EOF'
import numpy as np
import soundfile as sf

sr, seconds = 22050, 10
t = np.arange(sr * seconds) / sr
rng = np.random.default_rng(0)
chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
beat = (np.exp(-(t % 0.5) / 0.05) * rng.standard_normal(t.size))
sf.write("clip.wav", (0.3 * chords + 0.2 * beat).astype(np.float32), sr)
EOF
OFFLINE=()
if unshare -n true 2>/dev/null; then OFFLINE=(unshare -n); fi
start=$(seconds)
env -u PYTHONPATH HOME="$TMP/home" XDG_CACHE_HOME="$TMP/home/.cache" \
    GENRIFLOW_STORE="$TMP/store" \
    "${OFFLINE[@]}" "$TMP/venv/bin/genriflow" predict clip.wav >"$TMP/predict.out" \
    2>"$TMP/predict.err" || { cat "$TMP/predict.out" "$TMP/predict.err"; exit 1; }
took=$(elapsed "$start")
cat "$TMP/predict.out"
"$TMP/venv/bin/python" - "$TMP/predict.out" <<'EOF'
import json, sys
from importlib.resources import files

labels = json.loads(files("genriflow").joinpath(
    "models/builtin/gtzan-table/labels.json").read_text())
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
row = next((r for r in rows if r[0] == "clip.wav"), None)
if row is None or not any(g in row[1] for g in labels):
    sys.exit(f"check_wheel: no genre of {labels} in the prediction: {row}")
EOF
say "genriflow predict clip.wav: a genre in $took s${OFFLINE:+ (no network)}; wheel OK"
