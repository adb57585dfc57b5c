#!/usr/bin/env bash
# GPU check of what the CPU test suite cannot reach: LoRA SFT in bf16 on CUDA (padding-free
# batches, TRL's defaults for a GPU) and lm-eval's hf backend on CUDA loading the adapter with
# peft=, on one sciner task.
#
#   bash bench/gpu_smoke.sh MODEL_DIR_OR_HUB_ID [DATASET] [FORMAT]
#   STEPS=50 LIMIT=64 OUT_DIR=runs/gpu_smoke bash bench/gpu_smoke.sh Universal-NER/UniNER-7B-type scierc uniner
#
# Prints the training log, the evaluation table and writes everything under OUT_DIR.
set -euo pipefail
model=${1:?usage: bash bench/gpu_smoke.sh MODEL_DIR_OR_HUB_ID [DATASET] [FORMAT]}
dataset=${2:-scierc}
format=${3:-general}
steps=${STEPS:-50}
limit=${LIMIT:-64}
out=${OUT_DIR:-runs/gpu_smoke}

python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
start=$(date +%s)
python -m training.sft --base "$model" --dataset "$dataset" --format "$format" \
    --output_dir "$out/adapter" --max_steps "$steps" --per_device_train_batch_size 8 \
    --save_strategy no --logging_steps 10
trained=$(date +%s)

# Chat formats are evaluated through the model's chat template, as they were trained.
chat=$(python -c "from sciner_tasks.formats import FORMATS; print(int(FORMATS['$format'].chat))")
task=$(python -c "from sciner_tasks.names import task_name; print(task_name('$dataset', '0shot', '$format'))")
lm_eval --model hf --model_args "pretrained=$model,peft=$out/adapter,dtype=bfloat16" \
    --device cuda --batch_size 16 --tasks "$task" --limit "$limit" \
    --include_path sciner_tasks/tasks --output_path "$out/eval" --log_samples \
    $([ "$chat" = 1 ] && echo --apply_chat_template)
echo "sft ${steps} steps: $((trained - start)) s; lm_eval ${limit} docs: $(($(date +%s) - trained)) s"
