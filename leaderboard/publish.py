"""`--push-to-hub`: the site folder as a Hub dataset repo (files and the CSV viewer) or a
static Space (the page served as is)."""

from __future__ import annotations

from pathlib import Path

REPO_TYPES = ("dataset", "space")


def push(folder: Path, repo_id: str, repo_type: str = "dataset") -> str:
    """Create the repo if needed and upload the folder as one commit; returns the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    # A Space needs its SDK at creation; "static" serves index.html without a server.
    api.create_repo(
        repo_id,
        repo_type=repo_type,
        exist_ok=True,
        space_sdk="static" if repo_type == "space" else None,
    )
    commit = api.upload_folder(
        folder_path=str(folder),
        repo_id=repo_id,
        repo_type=repo_type,
        commit_message="Update the sciner leaderboard",
    )
    return str(commit)
