"""Where the amazon provider's async trigger gets aiobotocore from.

The amazon provider's triggers need ``aiobotocore`` (its ``[aiobotocore]`` extra), and every
aiobotocore release pins botocore to a narrow range. When no release accepts the botocore the
project's venv is pinned to, installing aiobotocore there would downgrade botocore and boto3 for
the whole project. So, unless the venv already has a working aiobotocore, the amazon side of the
trigger benchmark runs with a separate stack on its ``PYTHONPATH``: aiobotocore plus the
botocore/boto3 it supports, exactly what pip resolves for ``apache-airflow-providers-amazon
[aiobotocore]`` today, installed with ``uv pip install --target`` under ``benchmarks/.deps/``
(git-ignored). Everything else (Airflow, the amazon provider, aiohttp) comes from the venv.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchlib import BENCH_DIR

#: aiobotocore 3.10.0 requires botocore>=1.43.115,<1.43.118; boto3 is pinned to the same release.
STACK = ("aiobotocore==3.10.0", "aioitertools==0.13.0", "botocore==1.43.117", "boto3==1.43.117")
DEPS_DIR = BENCH_DIR / ".deps"


@dataclass(frozen=True)
class AmazonStack:
    """``pythonpath`` to prepend for the amazon child (None: the venv has aiobotocore)."""

    pythonpath: str | None
    source: str
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


def _venv_has_aiobotocore(python: str) -> bool:
    probe = "import aiobotocore.session, airflow.providers.amazon.aws.hooks.base_aws"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _uv(python: str) -> str | None:
    beside = Path(python).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def _ensure_bytecode(python: str, target: Path, log=print) -> None:
    """Compile the stack once, as the venv is (``make`` installs with ``--compile-bytecode``).

    Children run with ``PYTHONDONTWRITEBYTECODE``: without this, every amazon child would compile
    botocore and aiobotocore from source, billing the amazon side for work a real triggerer does once.
    """
    marker = target / ".compiled"
    if marker.exists():
        return
    log(f"compiling the bytecode of {target} (once)")
    cmd = [python, "-m", "compileall", "-q", "-j", "0", str(target)]
    done = subprocess.run(cmd, capture_output=True, timeout=600, check=False)
    marker.write_text(f"compileall exited with {done.returncode}\n")  # a file that does not compile stays source


def resolve(python: str = sys.executable, override: str | None = None, log=print) -> AmazonStack:
    """Find (or install once) the aiobotocore stack the amazon trigger child runs with."""
    if override:
        if not Path(override).is_dir():
            return AmazonStack(None, override, f"--aiobotocore-path {override} is not a directory")
        return AmazonStack(override, f"--aiobotocore-path {override}")
    if _venv_has_aiobotocore(python):
        return AmazonStack(None, "the venv")
    target = DEPS_DIR / ("aiobotocore-" + hashlib.sha256(" ".join(STACK).encode()).hexdigest()[:12])
    marker = target / ".complete"
    if marker.exists():
        _ensure_bytecode(python, target, log)
        return AmazonStack(str(target), f"{' '.join(STACK)} in {target.relative_to(BENCH_DIR.parent)}")
    uv = _uv(python)
    if uv is None:
        return AmazonStack(None, "", "no aiobotocore in the venv and no uv to install it beside the venv")
    log(f"installing {' '.join(STACK)} into {target} (once; the venv's botocore is left alone)")
    shutil.rmtree(target, ignore_errors=True)
    cmd = [uv, "pip", "install", "--quiet", "--python", python, "--no-deps", "--target", str(target), *STACK]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return AmazonStack(None, "", "installing aiobotocore timed out after 300 s")
    if done.returncode != 0:
        return AmazonStack(None, "", f"installing aiobotocore failed: {done.stderr.strip()[-500:]}")
    marker.write_text(" ".join(STACK) + "\n")
    _ensure_bytecode(python, target, log)
    return AmazonStack(str(target), f"{' '.join(STACK)} in {target.relative_to(BENCH_DIR.parent)}")
