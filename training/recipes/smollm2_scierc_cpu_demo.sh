#!/usr/bin/env bash
# CPU demo: SciERC F1 of the embedded SmolLM2-135M-Instruct before and after a bounded LoRA SFT
# (training/recipes/smollm2_scierc_cpu.yaml: 80 steps of 8 examples). Offline; about 32 min in
# all on 2 CPU cores (training/README.md, "CPU demo").
#
#   bash training/recipes/smollm2_scierc_cpu_demo.sh [LIMIT]     # LIMIT test sentences, default 50
#
# Both evaluations use the same task, documents and budget; results go to runs/cpu_demo/.
set -euo pipefail
limit=${1:-50}
out=runs/cpu_demo
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
model=$(python -m sciner_tasks.models path smollm2)
adapter=runs/sft/smollm2-scierc-cpu

evaluate() {  # $1: name, $2: extra model_args
    lm_eval --model hf --model_args "pretrained=$model,dtype=float32$2" \
        --tasks sciner_scierc_0shot --apply_chat_template --limit "$limit" --batch_size 16 \
        --output_path "$out/$1" --log_samples
}

start=$(date +%s)
evaluate before ""
python -m training.sft --config training/recipes/smollm2_scierc_cpu.yaml
trained=$(date +%s)
evaluate after ",peft=$adapter"
python - "$out" <<'EOF'
import json, sys
from pathlib import Path

for name in ("before", "after"):
    path = max(Path(sys.argv[1], name).glob("*/results_*.json"))  # the newest run
    m = json.loads(path.read_text())["results"]["sciner_scierc_0shot"]
    print(f"{name:6}  F1 {m['f1,none']:.4f} ± {m['f1_stderr,none']:.4f}  P {m['precision,none']:.4f}"
          f"  R {m['recall,none']:.4f}  parse_failure_rate {m['parse_failure_rate,none']:.3f}")
EOF
echo "wall: $(( $(date +%s) - start )) s in all, sft + before: $(( trained - start )) s"
