"""What every process pays at start: scipy and the dummy Argon2 hash wait until they are used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from exam_engine import create_app
from exam_engine.services import passwords
create_app()
print("scipy" in sys.modules, passwords.dummy_hash.cache_info().currsize)
from exam_engine.domain.stats import BetaDist
print(round(BetaDist(2.0, 3.0).cdf(0.5), 4), "scipy" in sys.modules)
"""


def test_the_app_starts_without_scipy_or_an_argon2_hash(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "EXAM_ENGINE_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    started, used = done.stdout.splitlines()[-2:]
    # scipy is ~65 MB and the dummy hash Argon2's 64 MiB: neither is paid at start...
    assert started == "False 0"
    # ...and scipy is there when a statistic needs it (Beta(2, 3) CDF at 0.5 is 0.6875).
    assert used == "0.6875 True"
