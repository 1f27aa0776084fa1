"""Headless Chromium and the pinned npm packages, shared by the web demo's
test and `web_demo.gpu_check` (offline: no background networking)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

WEB = Path(__file__).resolve().parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars"]
WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"]


def find_chromium():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def node_modules_ready(web=WEB):
    """Whether web_demo/node_modules holds the versions of package-lock.json."""
    lock = json.loads((Path(web) / "package-lock.json").read_text())
    for name, meta in lock["packages"].items():
        if not name:
            continue
        installed = Path(web) / name / "package.json"
        if not installed.is_file() or json.loads(installed.read_text())["version"] != meta["version"]:
            return False
    return True


@contextlib.contextmanager
def headless(chromium, url, extra=(), stderr=subprocess.DEVNULL):
    """Run headless Chromium on `url` with a fresh profile; on exit, stop its
    whole process group and remove the profile."""
    profile = tempfile.mkdtemp(prefix="zoo-chrome-")
    cmd = [chromium, *CHROME_FLAGS, *extra, f"--user-data-dir={profile}", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(ready, proc, timeout):
    """Poll `ready()` until it returns something truthy (returned), the
    browser exits or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if proc.poll() is not None:
            return ready() or None
        time.sleep(0.2)
    return None


@contextlib.contextmanager
def served(reports, model_dir=None, root=None):
    """`web_demo.serve` on a free port (reports to `reports`, the page's model folder
    `model_dir` when given) for the duration of the block; yields its base URL. npm
    packages are installed first when missing (`npm ci`)."""
    import sys

    if not node_modules_ready():  # node_modules stays in web_demo/ as a cache
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True,
                       capture_output=True, timeout=300)
    cmd = [sys.executable, "-m", "web_demo.serve", "--port", "0", "--report-dir", str(reports)]
    if model_dir is not None:
        cmd += ["--model-dir", str(model_dir)]
    proc = subprocess.Popen(cmd, cwd=root or WEB.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        if not line.startswith("serving http://127.0.0.1:"):
            raise RuntimeError(f"web_demo.serve did not start: {line!r} {proc.stderr.read()}")
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
