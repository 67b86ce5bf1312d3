#!/usr/bin/env bash
# Runs AutoDist's Python examples under the device's real torch (2.x, gloo on CPU) with the test
# launcher, keeping each run's stdout and per-rank calls in $OUT for comparison with AutoDist's.
set -u
OUT=${OUT:-/tmp/out}
python3 -c "import torch; print('torch', torch.__version__)" > "$OUT/version.txt" 2>&1
run() { # name nproc file
  local name=$1 n=$2 f=$3
  ( cd "$(dirname "$f")" && timeout 120 python3 "$OLDPWD/test/python/torchrun.py" "$n" "$OUT/$name.calls.json" "$(basename "$f")" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" ); echo "$name exit $?" >> "$OUT/summary.txt"
}
run ffn 4 examples/python/ffn_tp4.py
run seed000_tp 4 examples/python/seed000/train_tp.py
run seed000_pp_tp 4 examples/python/seed000/train_pp_tp.py
# torch ≥ 2.4 only (DeviceMesh, DTensor, parallelize_module, pipelining): gloo and a cpu mesh (torchrun.py)
run llama_dp_tp 4 examples/python/llama_dp_tp.py
run llama_hf_tp 2 examples/python/llama_hf_tp.py
( cd test/python && for m in traced manual; do timeout 120 python3 torchrun.py 2 "$OUT/pipeline_$m.calls.json" pipeline_traced.py "$m" > "$OUT/pipeline_$m.stdout" 2> "$OUT/pipeline_$m.stderr"; echo "pipeline_$m exit $?" >> "$OUT/summary.txt"; done )
for f in examples/python/dtensor*.py examples/python/*/dtensor*.py examples/python/*mesh*.py; do
  [ -f "$f" ] || continue
  n=$(grep -oE 'nproc-per-node[ =]+[0-9]+' "$f" | grep -oE '[0-9]+$' | head -1)
  run "$(basename "$f" .py)" "${n:-4}" "$f"
done
cat "$OUT/summary.txt"
