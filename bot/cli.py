"""The ``travelbot`` command. Kept apart from the core: it parses arguments, builds the
settings once from the environment, and hands them to the parts that do the work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.config import Settings, SettingsError, check_data_dir, load_settings
from bot.engine import Engine
from bot.health import DEFAULT_MAX_AGE, DEFAULT_TIMEOUT
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge


def _settings() -> Settings:
    return load_settings(os.environ)


def _knowledge_path(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.knowledge) if args.knowledge else settings.knowledge


def _load(args: argparse.Namespace) -> KnowledgeBase:
    """The knowledge for a command; an invalid one is reported like ``validate`` does."""
    return load_knowledge([_knowledge_path(args, _settings())])


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question."""
    from bot import render

    kb = _load(args)
    engine = Engine(kb)
    answer = engine.ask(args.question, "cli")
    if args.explain:
        print(explain(engine, args.question), file=sys.stderr)
    if args.json:
        print(render.dumps(render.to_json(answer, kb, "cli")))
    else:
        print(render.to_terminal(answer, kb))
    return 0


def explain(engine: Engine, question: str) -> str:
    """How a question was read and which rule answered it (for admins and developers)."""
    frame = engine.understanding.read(question)
    request = engine.understanding.understand(question, None)
    found = ", ".join(f"{k}={v}" for k, v in frame.found.items() if v) or "-"
    asks = ", ".join(f"{k} {v:.2f}" for k, v in sorted(frame.asks.items(), key=lambda p: -p[1]))
    hits = "; ".join(f"{h.unit.id} {h.score:.1f} ({h.coverage:.0%})" for h in frame.hits[:3])
    return "\n".join(
        [
            f"rule:       {request.rule}",
            f"intent:     {request.intent} (confidence {request.confidence})",
            f"language:   {frame.lang}",
            f"tokens:     {' '.join(frame.tokens)}",
            f"named:      {found}",
            f"asks:       {asks or '-'}",
            f"unknown:    {' '.join(frame.unknown) or '-'}",
            f"places:     {' '.join(frame.places) or '-'}",
            f"units:      {hits or '-'}",
        ]
    )


def cmd_chat(args: argparse.Namespace) -> int:
    """A conversation on the terminal, or one JSON reply per input line with ``--json``."""
    from bot.chat import json_chat, terminal_chat

    kb = _load(args)
    engine = Engine(kb)
    if args.json:
        return json_chat(engine, sys.stdin, sys.stdout)
    return terminal_chat(engine, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question file; accuracy per intent, every failure, exit 1 below ``--min``."""
    from bot.evaluation import evaluate, load_cases, report

    kb = _load(args)
    cases = load_cases(Path(args.file))
    result = evaluate(kb, cases)
    print(report(result, verbose=not args.quiet))
    failed = False
    if result.accuracy * 100 < args.min:
        print(f"accuracy {result.accuracy:.1%} is below --min {args.min}%", file=sys.stderr)
        failed = True
    for intent, total in sorted(result.by_intent.items()):
        share = result.passed_by_intent[intent] / total
        if share * 100 < args.min_intent:
            print(
                f"intent {intent}: {share:.1%} is below --min-intent {args.min_intent}%",
                file=sys.stderr,
            )
            failed = True
    return 1 if failed else 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    """What travellers asked that the bot could not answer, most asked first."""
    from bot.store import SqliteStore

    settings = _settings()
    path = settings.data_dir / "travelbot.sqlite3"
    if not path.exists():
        print(f"no questions recorded yet (no store at {path})", file=sys.stderr)
        return 0
    store = SqliteStore(path, settings.retention_days)
    try:
        if args.csv:
            store.export_csv(sys.stdout, include_handled=args.all)
            return 0
        groups = store.unanswered(limit=args.limit, include_handled=args.all)
        if not groups:
            print("no unanswered questions")
        for g in groups:
            hint = f"  (bot hesitated between: {', '.join(g.candidates)})" if g.candidates else ""
            print(f"#{g.id}  ×{g.count}  {g.text!r}  last {g.last_at}{hint}")
        return 0
    finally:
        store.close()


def cmd_validate(args: argparse.Namespace) -> int:
    """Check knowledge files; one ``FILE:LINE: message`` line per problem."""
    paths = [Path(p) for p in args.paths] or [_knowledge_path(args, _settings())]
    try:
        kb = load_knowledge(paths)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    sights = sum(len(c.sights) for c in kb.clusters)
    print(
        f"ok: {len(kb.files)} files, {len(kb.clusters)} clusters, {sights} sights, "
        f"{len(kb.sources)} sources"
    )
    return 0


def _print_check(settings: Settings, kb: KnowledgeBase) -> None:
    """``run --check``: the effective settings, secrets masked, and the knowledge's summary."""
    shown = settings.masked()
    width = max(len(name) for name in shown)
    if settings.webhook_url:
        mode = (
            f"webhook: Telegram posts to {settings.webhook_url}, served at "
            f"{settings.listen}:{settings.port}{settings.webhook_path} "
            "(also /healthz and /metrics)"
        )
    else:
        mode = "polling (no port opened; health is the heartbeat in the data folder)"
    print(f"{'mode':<{width}}  {mode}")
    for name, value in shown.items():
        print(f"{name:<{width}}  {value}")
    sights = sum(len(c.sights) for c in kb.clusters)
    print()
    print(
        f"knowledge is valid: {len(kb.files)} files, {len(kb.clusters)} clusters, "
        f"{sights} sights, {len(kb.sources)} sources ({kb.fingerprint})"
    )
    print("settings are valid (the Bot API was not contacted)")


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot until SIGINT or SIGTERM (polling or webhook), or with ``--check``
    only check the settings and the knowledge."""
    settings = load_settings(os.environ, need_token=True)
    if args.knowledge:
        settings = replace(settings, knowledge=Path(args.knowledge))
    if args.check:
        kb = load_knowledge([settings.knowledge])  # invalid: FILE:LINE lines, exit 1
        check_data_dir(settings.data_dir)
        _print_check(settings, kb)
        return 0
    from bot.reloading import KnowledgeHolder

    holder = KnowledgeHolder(settings.knowledge)  # invalid knowledge: FILE:LINE lines, exit 1
    from bot.telegram_app import run  # python-telegram-bot loads only for this command

    return run(settings, holder)


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot is healthy, else 1 and one line saying why. Webhook mode
    asks the server's /healthz over loopback; polling mode reads the heartbeat's age."""
    from bot import health

    try:
        settings = _settings()
    except SettingsError as exc:  # 1, not 2: Docker reserves exit code 2 of a health check
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if settings.webhook_url:
        url = health.healthz_url(settings.listen, settings.port)
        ok, reason = health.probe(url, timeout=args.timeout)
    else:
        ok, reason = health.check(health.heartbeat_path(settings.data_dir), args.max_age)
    if ok:
        print(f"healthy: {reason}")
        return 0
    print(f"unhealthy: {reason}", file=sys.stderr)
    return 1


def _positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {raw!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {raw!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="travelbot",
        description="Answers travellers' questions about the GII 2025 top innovation clusters.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--knowledge", metavar="PATH", help="knowledge folder or file")
        return p

    p = command("validate", "check the knowledge YAML and report FILE:LINE problems")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: shipped)")
    p.set_defaults(func=cmd_validate)

    p = command("ask", "answer one question and exit")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the JSON object of chat --json")
    p.add_argument(
        "--explain", action="store_true", help="also print how it was read and the rule used"
    )
    p.set_defaults(func=cmd_ask)

    p = command("chat", "talk to the bot in the terminal (no Telegram needed)")
    p.add_argument("--json", action="store_true", help="one JSON reply per input line")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "unanswered",
        help="list the questions travellers asked that the bot could not answer",
        description="Questions the bot answered 'unknown' or 'clarify', near-duplicates grouped "
        "(store under TRAVELBOT_DATA_DIR).",
    )
    p.add_argument("--csv", action="store_true", help="export as CSV on standard output")
    p.add_argument("--all", action="store_true", help="include questions marked handled")
    p.add_argument("--limit", type=int, default=30, help="how many groups to list")
    p.set_defaults(func=cmd_unanswered)

    p = command("eval", "run an evaluation question file and report accuracy")
    p.add_argument("file", help="YAML question file, e.g. tests/eval/questions.yaml")
    p.add_argument(
        "--min",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="exit 1 when overall accuracy is below this",
    )
    p.add_argument(
        "--min-intent",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="exit 1 when any intent's accuracy is below this",
    )
    p.add_argument("--quiet", action="store_true", help="summary only, no failures listed")
    p.set_defaults(func=cmd_eval)

    p = command("run", "run the Telegram bot (TELEGRAM_BOT_TOKEN; see the README)")
    p.add_argument(
        "--check",
        action="store_true",
        help="check the settings and the knowledge, print them (secrets masked) and exit; "
        "Telegram is not contacted",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "health",
        help="exit 0 if the running bot is healthy, else 1 with the reason (HEALTHCHECK)",
        description="Webhook mode (TRAVELBOT_WEBHOOK_URL set): GET /healthz on TRAVELBOT_PORT "
        "over loopback. Polling mode: the heartbeat in TRAVELBOT_DATA_DIR must be recent.",
    )
    p.add_argument(
        "--max-age",
        type=_positive_seconds,
        default=DEFAULT_MAX_AGE,
        metavar="SECONDS",
        help="polling mode: the oldest heartbeat that still counts as alive (default %(default)g)",
    )
    p.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="webhook mode: how long to wait for /healthz (default %(default)g)",
    )
    p.set_defaults(func=cmd_health)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"travelbot: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("travelbot: the knowledge is invalid (see above)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
