import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import hubecon

HUBECON = str(Path(sys.executable).parent / "hubecon")

# One enrichment cache for the whole run, shared with every CLI subprocess, and none of the developer's.
os.environ["HUBECON_CACHE"] = tempfile.mkdtemp(prefix="hubecon-cache-")


@pytest.fixture(scope="session")
def embedded():
    """The package's embedded data, loaded once for the session."""
    return hubecon.open(embedded=True)


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `hubecon` command with no store or registry from the caller's environment."""
    clean = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    # A fresh user data dir, so a store the developer happens to have is never picked up.
    clean["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hubecon-xdg-")
    clean.update(env or {})
    return subprocess.run([HUBECON, *args], capture_output=True, text=True, env=clean, cwd=cwd, timeout=300)
