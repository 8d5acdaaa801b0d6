"""A third-party Singer target from PyPI (target-jsonl 0.1.4), run in its own virtualenv.

target-jsonl pins jsonschema 2.6 and singer-python 5.8, which cannot share an environment with singer-sdk, so it
gets an isolated venv built once under ``.cache/thirdparty/`` (ignored by git) and reused by later runs.
Proving a tap with a target nobody here wrote catches protocol slips our own target tolerates (a SCHEMA that
does not validate the records, a missing key property, a STATE before its records, non-JSON output).
"""

from __future__ import annotations

import fcntl
import io
import json
import subprocess
import sys
import typing as t
from contextlib import redirect_stdout
from pathlib import Path

TARGET = "target-jsonl==0.1.4"
VENV = Path(__file__).resolve().parents[2] / ".cache" / "thirdparty" / "target-jsonl-0.1.4"


def ensure_target_jsonl() -> Path:
    """The target's executable, installing it on first use.

    Test workers run in parallel (pytest-xdist): one installs under a file lock while the others wait, and a
    marker written after pip finished, not the script (pip writes it before the install is complete), says
    the venv is ready.
    """
    exe = VENV / "bin" / "target-jsonl"
    ready = VENV / ".orderlayer-installed"
    if ready.exists():
        return exe
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with (VENV.parent / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
            subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", TARGET], check=True)
            ready.touch()
    return exe


def tap_messages(tap_class: t.Any, config: dict, state: dict | None = None) -> bytes:  # noqa: ANN401
    """Everything a tap writes to stdout for one sync, as the bytes a pipe would carry."""
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        tap = tap_class(config=config, state=state, validate_config=True)
        tap.sync_all()
    return buffer.getvalue().encode("utf-8")


class TargetJsonl:
    def __init__(self, exe: Path) -> None:
        self.exe = exe

    def run(self, messages: bytes, tmp_path: Path) -> dict[str, list[dict]]:
        """Pipe ``messages`` into target-jsonl; return the records it wrote, per stream."""
        out = tmp_path / "target-jsonl-out"
        out.mkdir(parents=True, exist_ok=True)
        config = tmp_path / "target-jsonl.json"
        config.write_text(json.dumps({"destination_path": str(out), "do_timestamp_file": False}), encoding="utf-8")
        proc = subprocess.run([str(self.exe), "--config", str(config)], input=messages, capture_output=True, check=False)
        if proc.returncode != 0:
            msg = f"target-jsonl failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}"
            raise AssertionError(msg)
        return {
            path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            for path in sorted(out.glob("*.jsonl"))
        }
