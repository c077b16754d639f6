import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage_all(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage_all.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_failing_command_fails_the_run_and_names_the_service():
    result = manage_all("--service", "user_svc", "no_such_command")

    assert result.returncode == 1
    assert "no_such_command failed in: user_svc" in result.stderr
