#!/usr/bin/env bash
# One short check of the CUDA path on a machine with a GPU (no Qt needed there):
# the CUDA tests, the default MNIST run on the GPU (timed and judged), and bare
# training steps/s on the GPU beside the CPU. Writes logs and JSON into OUTDIR.
#   bash scripts/gpu_check.sh OUTDIR
set -uo pipefail
out=${1:?usage: bash scripts/gpu_check.sh OUTDIR}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
$py -c "import torch; print('torch', torch.__version__, '|', torch.cuda.get_device_name(0))" | tee "$out/env.txt"
$py -m pytest -q -p no:cacheprovider -c /dev/null -W error tests/test_gan_cuda.py 2>&1 | tail -15 | tee "$out/pytest-cuda.txt"
for mode in default conditional; do
  flag=""; [ "$mode" = conditional ] && flag="--conditional"
  t0=$(date +%s%N)
  $py -m playground train gan --dataset mnist-5k --steps 2000 --device cuda $flag --out "$out/run-$mode" > "$out/train-$mode.log" 2>&1
  rc=$?
  echo "{\"mode\": \"$mode\", \"rc\": $rc, \"wall_ms\": $(( ($(date +%s%N) - t0) / 1000000 ))}" | tee "$out/time-$mode.json"
  tail -2 "$out/train-$mode.log"
  $py scripts/judge_gan.py --checkpoint "$out/run-$mode" > "$out/judge-$mode.json" 2> "$out/judge-$mode.err"
  cat "$out/judge-$mode.json"
done
$py - <<'PY' 2>&1 | tee "$out/bare.json"
import json, torch
from playground.core import families
from playground.core.data.bundled import load_bundled
from playground.core.preprocess import default_pipeline, prepare
from playground.core.training.bench import bare_steps_per_s
gan = families.get("gan")
ds = load_bundled("mnist-5k")
data = prepare(ds, default_pipeline(ds))[0]
def maker(**changes):
    settings = gan.fit(gan.preset("default", **changes), data)
    return lambda device: gan.make_trainer(settings, data, device, {})
out = {"cuda": bare_steps_per_s(maker(mixed_precision=False), "cuda", steps=200),
       "cuda_mixed_precision": bare_steps_per_s(maker(mixed_precision=True), "cuda", steps=200),
       "cpu_all_threads": bare_steps_per_s(maker(), "cpu", steps=30, threads=torch.get_num_threads()),
       "cpu_threads": torch.get_num_threads()}
print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}))
PY
