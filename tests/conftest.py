from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
RAW = SHARED / "data" / "raw"


@pytest.fixture(scope="session")
def raw() -> Path:
    """The upstream releases in ../shared/data/raw; tests that need them skip without."""
    if not RAW.is_dir():
        pytest.skip(f"{RAW} is missing: the raw upstream releases are not beside the checkout")
    return RAW
