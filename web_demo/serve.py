"""A tiny static server for the web demo, on 127.0.0.1 only.

    python -m web_demo.serve [--port 8000] [--report-dir DIR] [--model-dir DIR]

Serves web_demo/ (index.html, app.js, model/, node_modules/). getUserMedia
needs a secure context, which http://127.0.0.1 is. `--port 0` picks a free
port; the first line printed is `serving http://127.0.0.1:PORT/`.
`--model-dir` serves another folder written by `web_demo.prepare --out`
as model/ (e.g. a streaming model beside the default one).

POST /report (JSON, sent by the page when it was opened with `?report=1`)
is written to DIR/report.json (default: web_demo/model/); GET
/last-report.js returns it as `window.LAST_REPORT = {...};` so
`index.html?view=last` can show a finished run without a microphone.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_REPORT = 8 << 20


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json",
                      ".tflite": "application/octet-stream"}
    report_dir = HERE / "model"
    model_dir = None  # serve this folder as /model/ (default: web_demo/model/)

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if self.model_dir is not None and clean.startswith("/model/"):
            from urllib.parse import unquote

            rel = Path(unquote(clean[len("/model/"):]))
            if ".." in rel.parts or rel.is_absolute():
                return str(Path(self.model_dir) / "__refused__")
            return str(Path(self.model_dir) / rel)
        return super().translate_path(path)

    def log_request(self, code="-", size="-"):  # quiet: only failed requests
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path.split("?")[0] == "/last-report.js":
            path = Path(self.report_dir) / "report.json"
            body = path.read_text() if path.is_file() else "null"
            self._send(200, f"window.LAST_REPORT = {body};\n".encode(), "text/javascript")
            return
        super().do_GET()

    def do_POST(self):
        if self.path.split("?")[0] != "/report":
            self._send(404, b"not found\n", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_REPORT:
            self._send(413, b"bad length\n", "text/plain")
            return
        raw = self.rfile.read(length)
        try:
            report = json.loads(raw)
        except ValueError:
            self._send(400, b"not JSON\n", "text/plain")
            return
        out = Path(self.report_dir)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / "report.json.tmp"
        tmp.write_text(json.dumps(report))
        tmp.replace(out / "report.json")
        print(f"report: {json.dumps(report.get('detections'))}", flush=True)
        self._send(200, b"ok\n", "text/plain")

    def _send(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0: a free port")
    parser.add_argument("--report-dir", default=str(HERE / "model"))
    parser.add_argument("--model-dir", default=None,
                        help="serve this prepared folder as model/ (default: web_demo/model/)")
    args = parser.parse_args(argv)
    model_dir = Path(args.model_dir) if args.model_dir else HERE / "model"
    Handler.model_dir = model_dir if args.model_dir else None
    if not (model_dir / "manifest.json").is_file():
        print(f"{model_dir}/manifest.json is missing: run `python -m web_demo.prepare` first "
              "(make web-demo does)", file=sys.stderr)
    Handler.report_dir = args.report_dir
    server = ThreadingHTTPServer(("127.0.0.1", args.port), partial(Handler, directory=str(HERE)))
    print(f"serving http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
