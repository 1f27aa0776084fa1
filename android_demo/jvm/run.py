"""Compile the Android demo's model code for the desktop JVM and run it on a recording.

    python android_demo/prepare.py [--stream kws-stream-att-gru]   # the assets
    python android_demo/jvm/run.py RECORDING.wav [--assets DIR] [--json]

No Android SDK, Gradle or device is needed (none can be had on CI): every
Kotlin file of the app that imports no `android.*` API (all but
MainActivity.kt) is compiled with the Kotlin compiler from npm
(`kotlin-compiler`, pinned in package.json; `npm ci` here), against Android's
own org.json (Debian's libandroid-json-java) and a stand-in for LiteRT's
`org.tensorflow.lite` classes (litert/: the app's calls with LiteRT's
signatures; the kernels run in ai_edge_litert behind litert_bridge.py). Then
Harness.kt loads the assets with LoadedModel, as MainActivity does, and feeds
the recording as AudioRecord would (PCM16, one hop per block). Prints the
detections as the app lists them (`--json`: everything Harness.kt reports).

Needs java/javac (JDK 17) and node/npm; `bash scripts/setup_system.sh` installs
the Debian parts. Builds go to android_demo/jvm/build/<hash of the sources>/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent
APP_SOURCES = DEMO / "app" / "src" / "main" / "java" / "com" / "example" / "kws"
STAND_IN = HERE / "litert"
HARNESS = HERE / "Harness.kt"
BRIDGE = HERE / "litert_bridge.py"
KOTLIN_HOME = HERE / "node_modules" / "kotlin-compiler"
ANDROID_JSON = Path("/usr/share/java/com.android.json.jar")
MAIN_CLASS = "com.example.kws.HarnessKt"


class JvmCheckError(RuntimeError):
    """A tool is missing or a build/run step failed; the message names the fix."""


def app_sources():
    """The app's Kotlin files without an Android import (sorted)."""
    return sorted(p for p in APP_SOURCES.glob("*.kt")
                  if not re.search(r"^import android\.", p.read_text(encoding="utf-8"), flags=re.M))


def _require_tools(install=True):
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            raise JvmCheckError(f"{tool} not found: install a JDK (bash scripts/setup_system.sh)")
    if not ANDROID_JSON.is_file():
        raise JvmCheckError(f"{ANDROID_JSON} not found: apt-get install libandroid-json-java "
                            "(bash scripts/setup_system.sh)")
    if not (KOTLIN_HOME / "bin" / "kotlinc").is_file():
        if not install or shutil.which("npm") is None:
            raise JvmCheckError("the Kotlin compiler is not installed: (cd android_demo/jvm && npm ci)")
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise JvmCheckError(f"npm ci in {HERE} failed:\n{done.stdout}{done.stderr}")


def _run(cmd, what, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise JvmCheckError(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def build(install=True):
    """Compile the stand-in and the app's Android-free Kotlin (cached by content);
    returns the classpath (a list of paths)."""
    _require_tools(install)
    sources = app_sources() + [HARNESS]
    java = sorted(STAND_IN.rglob("*.java"))
    digest = hashlib.sha256()
    for p in [*sources, *java, KOTLIN_HOME / "package.json"]:
        digest.update(p.name.encode() + b"\0" + p.read_bytes())
    out = HERE / "build" / digest.hexdigest()[:16]
    classes, jar = out / "litert", out / "app.jar"
    if not jar.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=out.parent))
        _run(["javac", "--release", "17", "-cp", ANDROID_JSON, "-d", tmp / "litert", *java],
             "javac (the LiteRT stand-in)", timeout=300)
        _run([KOTLIN_HOME / "bin" / "kotlinc", "-jvm-target", "17", "-nowarn",
              "-cp", f"{tmp / 'litert'}:{ANDROID_JSON}", "-d", tmp / "app.jar", *sources],
             "kotlinc (the app's Kotlin)", timeout=900)
        for old in out.parent.iterdir():  # earlier sources' builds and killed compiles
            if old != tmp:
                shutil.rmtree(old, ignore_errors=True)
        tmp.rename(out)  # whole builds only: a killed compile leaves no half-built jar here
    return [jar, classes, ANDROID_JSON, KOTLIN_HOME / "lib" / "kotlin-stdlib.jar"]


def run_pcm(assets, pcm_path, classpath=None, timeout=600):
    """Harness.kt's JSON for the assets folder and a raw PCM16 file."""
    classpath = classpath or build()
    cmd = ["java", f"-Dlitert.bridge.python={sys.executable}", f"-Dlitert.bridge.script={BRIDGE}",
           "-cp", ":".join(str(p) for p in classpath), MAIN_CLASS, str(assets), str(pcm_path)]
    return json.loads(_run(cmd, "the app's code on the JVM", timeout=timeout))


def run_wav(assets, wav, classpath=None):
    """Harness.kt's JSON for a WAV file (read and resampled to 16 kHz by zoo.data.audio, then
    PCM16, as a phone's AudioRecord delivers it)."""
    import numpy as np

    from zoo.data.audio import SAMPLE_RATE, read_audio

    audio = read_audio(wav, SAMPLE_RATE)
    pcm = np.clip(np.round(np.asarray(audio, np.float64) * 32768), -32768, 32767).astype("<i2")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recording.pcm"
        path.write_bytes(pcm.tobytes())
        return run_pcm(assets, path, classpath)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("wav", help="a recording (WAV; resampled to 16 kHz mono)")
    p.add_argument("--assets", default=str(DEMO / "app" / "src" / "main" / "assets"),
                   help="what android_demo/prepare.py wrote (default: the app's assets folder)")
    p.add_argument("--json", action="store_true", help="print Harness.kt's whole report")
    args = p.parse_args(argv)
    try:
        report = run_wav(Path(args.assets), args.wav)
    except JvmCheckError as exc:
        sys.exit(f"error: {exc}")
    if args.json:
        print(json.dumps(report))
        return
    for d in report["detections"]:
        print(d["line"])
    unit = "frames" if report["streaming"] else "windows"
    print(f"{len(report['detections'])} detections; {report['windows']} {unit}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(DEMO.parent))
    main()
