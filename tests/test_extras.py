"""The optional extras resolve: pip's resolver, asked for a dry run against the package
registries, finds a set of releases that satisfies sciner and the extra together."""

import json
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def resolve(requirement: str, report: Path) -> dict[str, str]:
    """name -> version of every release a fresh install of `requirement` would take."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            requirement,
        ],
        check=True,
        timeout=900,
    )
    install = json.loads(report.read_text())["install"]
    return {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in install}


def test_the_vllm_extra_resolves(tmp_path):
    releases = resolve(f"{ROOT}[vllm]", tmp_path / "report.json")
    assert releases["vllm"] in SpecifierSet(">=0.18")
    assert releases["lm-eval"] in SpecifierSet(">=0.4.13,<0.5")
    assert "sciner" in releases
