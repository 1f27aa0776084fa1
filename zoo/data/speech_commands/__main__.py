"""Command line: ``python -m zoo.data.speech_commands build|stats|running|sentences|real-dev|game --data-dir DIR ...``."""

from __future__ import annotations

import argparse
import sys

from zoo.data.speech_commands import __doc__ as _package_doc
from zoo.data.speech_commands.builder import build, format_stats, stats
from zoo.data.speech_commands.engines import EngineUnavailableError
from zoo.data.speech_commands.task import ALL_ENGINES


def _synthesis_args(p, engines="available"):
    """The options every synthesising command takes."""
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--engines", default=engines,
                   help=f"'all', 'available' or a comma list of {','.join(ALL_ENGINES)}")
    p.add_argument("--reverb", default="auto", choices=("auto", "piper", "synthetic"))
    p.add_argument("--no-progress", action="store_true")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.data.speech_commands", description=_package_doc.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="synthesise the 12-class Speech Commands task (offline, resumable)")
    b.add_argument("--data-dir", required=True)
    b.add_argument("--clips-per-keyword", type=int, default=2000)
    _synthesis_args(b, engines="all")
    s = sub.add_parser("stats", help="per split/label/engine counts of a built data dir")
    s.add_argument("--data-dir", required=True)
    r = sub.add_parser("running", help="running-speech pool and dev/test streams in DATA_DIR/running "
                                       "(offline, resumable)")
    r.add_argument("--data-dir", required=True)
    r.add_argument("--minutes", type=float, default=25.0, help="train pool of TTS sentences (minutes)")
    r.add_argument("--eval-minutes", type=float, default=None,
                   help="validation and test pools (default: minutes / 5)")
    r.add_argument("--stream-minutes", type=float, default=8.0, help="each keyword-free stream")
    r.add_argument("--keyword-sentences", type=int, default=150, help="sentences per keyword stream")
    r.add_argument("--foreign-minutes", type=float, default=6.0,
                   help="real non-English asterisk speech per language (train); 0 for none")
    _synthesis_args(r)
    k = sub.add_parser("sentences", help="keywords spoken inside sentences, with their times, in "
                                         "DATA_DIR/kw_sentences (offline, resumable)")
    k.add_argument("--data-dir", required=True)
    k.add_argument("--per-keyword", type=int, default=300, help="train sentences per keyword "
                                                                "(validation: a sixth)")
    _synthesis_args(k)
    d = sub.add_parser("real-dev", help="keyword-free dev streams of real recorded speech (speakers no "
                                        "training data holds) in DATA_DIR/running/streams")
    d.add_argument("--data-dir", required=True)
    d.add_argument("--no-fetch", action="store_true",
                   help="use installed packages only (default: `apt-get download` and unpack "
                        "the missing ones under $ZOO_HOME/cache/debs, never installing them)")
    g = sub.add_parser("game", help="real English game dialogue: a training pool in DATA_DIR/game and "
                                    "two real dev streams (keyword-free, keywords in sentences)")
    g.add_argument("--data-dir", required=True)
    g.add_argument("--minutes", type=float, default=45.0, help="training pool (minutes of dialogue)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--workers", type=int, default=2)
    g.add_argument("--no-fetch", action="store_true", help="use an installed or already unpacked package only")
    g.add_argument("--no-align", action="store_true",
                   help="no real keyword sentences (they need PocketSphinx: pip install pocketsphinx)")
    g.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    try:
        if args.cmd == "build":
            res = build(args.data_dir, args.clips_per_keyword, args.seed, args.workers, args.engines,
                        reverb=args.reverb, progress=not args.no_progress)
            print(f"{res['clips']} clips ({res['generated']} generated, {res['skipped']} already there) "
                  f"in {res['seconds']:.1f} s with {', '.join(res['engines'])} -> {res['manifest']}")
            print(format_stats(stats(args.data_dir)))
        elif args.cmd == "running":
            from zoo.data.speech_commands.running import build_running

            res = build_running(args.data_dir, args.minutes, args.seed, args.workers, engines=args.engines,
                                eval_minutes=args.eval_minutes, stream_minutes=args.stream_minutes,
                                keyword_sentences=args.keyword_sentences, foreign=args.foreign_minutes > 0,
                                foreign_minutes=args.foreign_minutes, reverb=args.reverb,
                                progress=not args.no_progress)
            print(f"{res['items']} clips ({res['generated']} generated) in {res['seconds']:.1f} s -> {res['root']}")
            print(f"pool minutes: {res['pool_minutes']}; streams (s): {res['streams_s']}; "
                  f"engines: {', '.join(res['engines'])}; foreign: {', '.join(res['foreign_languages']) or 'none'}")
        elif args.cmd == "sentences":
            from zoo.data.speech_commands.keyword_sentences import build as build_sentences

            res = build_sentences(args.data_dir, args.per_keyword, args.seed, args.workers,
                                  engines=args.engines, reverb=args.reverb, progress=not args.no_progress)
            print(f"{res['items']} keyword sentences ({res['generated']} generated) in "
                  f"{res['seconds']:.1f} s -> {res['root']}; per split {res['per_split']}")
        elif args.cmd == "real-dev":
            from zoo.data.speech_commands.real_dev import build as build_real_dev

            build_real_dev(args.data_dir, fetch=not args.no_fetch)
        elif args.cmd == "game":
            from zoo.data.speech_commands.game_dialogue import build as build_game

            build_game(args.data_dir, args.minutes, args.seed, args.workers, fetch=not args.no_fetch,
                       progress=not args.no_progress, align=None if args.no_align else "sphinx")
        else:
            print(format_stats(stats(args.data_dir)))
    except (EngineUnavailableError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
