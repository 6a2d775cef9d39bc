"""Command line: argument parsing, progress display and exit codes only; the work lives elsewhere."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from auditor import __version__
from auditor.crawl_cli import add_crawl_parser, cmd_crawl
from auditor.errors import AuditorError

DEFAULT_DB_ENV = "AUDITOR_DB"

console = Console(stderr=True, highlight=False)


class _Stdout:
    """stdout through rich, wide when piped so tables are not squeezed into 80 columns."""

    def __getattr__(self, name: str) -> Any:
        width = None if sys.stdout.isatty() else 220
        return getattr(Console(highlight=False, soft_wrap=True, width=width), name)


out = _Stdout()


class RichProgress:
    """Draws one bar per stage; silent when not on a terminal unless forced."""

    def __init__(self, enabled: bool = True) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<8}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console,
            disable=not enabled,
        )
        self.task: Any = None

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.progress.stop()

    def stage(self, name: str, total: int | None) -> None:
        if self.task is not None:
            task = self.progress.tasks[self.task]
            self.progress.update(self.task, completed=task.total or task.completed)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def default_db() -> str:
    """--db default: $AUDITOR_DB, else auditor.sqlite in the current directory."""
    return os.environ.get(DEFAULT_DB_ENV, "auditor.sqlite")


def _add_dns_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--no-dns", action="store_true", help="skip DNS checks (mail domains)")
    group.add_argument("--resolver", metavar="HOST[:PORT]", help="resolver for DNS checks (default: the system's)")
    p.add_argument("--dns-timeout", type=float, default=None, metavar="SECONDS",
                   help="per-lookup DNS time limit; a timeout is 'could not check', never a finding")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands."""
    parser = argparse.ArgumentParser(
        prog="auditor",
        description="Audit domain-registration data (WHOIS / RDAP / exports) for false, incomplete and "
                    "unverifiable ownership data, with the evidence.")
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("audit", help="import, parse, score and report on registration records")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories (*.json RDAP, *.txt WHOIS, *.csv or *.tsv exports, *.xml escrow deposits; "
                   "each may be compressed: .gz, .bz2, .xz, a zip of one file)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="where findings.jsonl, summary.json, report.html go")
    p.add_argument("--db", default=None, metavar="URL", help="SQLite file or postgresql:// URL (default: $AUDITOR_DB or ./auditor.sqlite)")
    _add_dns_options(p)
    p.add_argument("--select", nargs="*", default=(), metavar="ID", help="only rules whose id starts with these (e.g. INC UNV002)")
    p.add_argument("--exclude", nargs="*", default=(), metavar="ID", help="skip rules whose id starts with these")
    p.add_argument("--profile", default=None,
                   help="required-field profile for INC001: nis2 (default), raa, contactable, denic, nominet, eurid, "
                        "sidn, or auto (the TLD's registry profile)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="auditor.toml (default: ./auditor.toml, else [tool.auditor] in ./pyproject.toml)")
    p.add_argument("--sample-design", type=Path, default=None, metavar="FILE",
                   help="design.json from `auditor sample`: statistics then weight the sample's strata")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes for scoring large sets (default: one per CPU); results do not depend on it")
    p.add_argument("--domains", type=Path, default=None, metavar="FILE",
                   help="audit only the domains listed in FILE (one per line, e.g. a sample's domains.txt)")
    p.add_argument("--commit-every", type=int, default=None, metavar="ROWS",
                   help="rows written per database transaction (default 500000): fewer loses less work if the "
                        "audit is killed, more is faster; results do not depend on it")
    p.add_argument("--no-memory-check", dest="memory_check", action="store_false",
                   help="audit even inputs estimated too large for this machine's memory (about 12 KiB per "
                        "registration; see docs/performance.md)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("parse", help="print the normalised record of one response as JSON")
    p.add_argument("file", type=Path)
    p.add_argument("--tld", default=None, help="read the response as this TLD's registry writes it")
    p.add_argument("--server", default=None, help="the WHOIS server that answered (selects its profile)")

    sub.add_parser("rules", help="list the rules")
    p = sub.add_parser("rule", help="show one rule's documentation and examples")
    p.add_argument("rule_id", metavar="ID")

    p = sub.add_parser("report", help="evidence packs for a run: one per registrar, domain or rule")
    p.add_argument("run", nargs="?", default=None, help="run id or prefix (default: the newest)")
    p.add_argument("--by", choices=("registrar", "domain", "rule"), default="registrar")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--db", default=None, metavar="URL")
    p.add_argument("--sign-key", type=Path, default=None, metavar="PEM", help="Ed25519 private key to sign manifest.json")
    p.add_argument("--no-pdf", action="store_true", help="skip index.pdf (faster for very large packs)")
    p.add_argument("--config", default=None, metavar="FILE")

    p = sub.add_parser("verify", help="check an evidence pack: changed, missing or added files, signature")
    p.add_argument("pack", type=Path)
    p.add_argument("--public-key", type=Path, default=None, metavar="PEM")

    p = sub.add_parser("keygen", help="create an Ed25519 key pair for signing evidence packs")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")

    p = sub.add_parser("stats", help="statistics for researchers (aggregates only, small cells suppressed)")
    p.add_argument("run", nargs="?", default=None, help="run id or prefix (default: the newest)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--db", default=None, metavar="URL")
    p.add_argument("-k", "--small-cell", type=int, default=None, metavar="K", help="suppress cells below K records (default 10)")
    p.add_argument("--config", default=None, metavar="FILE")

    p = sub.add_parser("sample", help="draw a reproducible (stratified) random sample sized for a margin of error")
    p.add_argument("source", type=Path, help="a domain list, a CSV export or a directory of responses")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--margin", type=float, default=0.01)
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--stratify", choices=("registrar", "tld"), default=None)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("compare", help="re-audit: fixed, new and persisting findings per registrar between two runs")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--db", default=None, metavar="URL")

    p = sub.add_parser("runs", help="list the audit runs in a database")
    p.add_argument("--db", default=None, metavar="URL")

    add_crawl_parser(sub)

    p = sub.add_parser("demo", help="run the audit on the bundled synthetic ccTLD (no network)")
    p.add_argument("--out", type=Path, default=Path("auditor-demo"), metavar="DIR")
    p.add_argument("--quiet", action="store_true")
    return parser


def audit_options(args: argparse.Namespace) -> Any:
    """AuditOptions from the configuration file, overridden by the command line."""
    from auditor.config import load_config
    from auditor.pipeline import AuditOptions

    config = load_config(getattr(args, "config", None))
    params = config.rule_params()
    if args.profile:
        from auditor.config import PROFILE_RULES
        from rules.incomplete import REQUIRED_FIELD_PROFILES

        known = set(REQUIRED_FIELD_PROFILES) | set(config.profiles) | {"auto"}
        if args.profile not in known:
            raise AuditorError(f"unknown profile {args.profile!r}; known: {', '.join(sorted(known))}")
        for rule_id in PROFILE_RULES:
            params.setdefault(rule_id, {})["profile"] = args.profile
    dns = not args.no_dns and (config.dns is not False or bool(args.resolver))
    design = None
    if getattr(args, "sample_design", None):
        try:
            design = json.loads(Path(args.sample_design).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AuditorError(f"--sample-design {args.sample_design}: {exc}") from exc
    only = None
    if getattr(args, "domains", None):
        from auditor.domains import normalise_domain

        try:
            lines = Path(args.domains).read_text(encoding="utf-8").split()
        except OSError as exc:
            raise AuditorError(f"--domains {args.domains}: {exc.strerror}") from exc
        only = frozenset(normalise_domain(x) for x in lines if not x.startswith("#"))
    extra: dict[str, Any] = {"workers": max(1, args.workers)} if getattr(args, "workers", None) else {}
    if getattr(args, "commit_every", None):
        extra["commit_every"] = max(1, args.commit_every)
    if getattr(args, "memory_check", True) is False:
        extra["memory_check"] = False
    return AuditOptions(
        **extra,
        only_domains=only,
        sample_design=design,
        dns=dns,
        resolver=args.resolver or config.resolver,
        dns_timeout=args.dns_timeout if args.dns_timeout is not None else (config.dns_timeout or 3.0),
        select=tuple(args.select) or config.select,
        exclude=tuple(args.exclude) or config.ignore,
        rule_params=params,
    )


def cmd_audit(args: argparse.Namespace) -> int:
    from auditor.pipeline import run_audit

    options = audit_options(args)
    with RichProgress(enabled=not args.quiet) as progress:
        result = run_audit(args.inputs, args.out, args.db or default_db(), options, progress)
    print_summary(result.summary, result.out_dir)
    return EXIT_INCOMPLETE if result.summary["inputs"]["import_errors"] else 0


#: Exit status of an audit written without some of its inputs (a file not found, unreadable, cut short),
#: as `auditor crawl` exits when some domains are left: the files are written, but do not cover everything.
EXIT_INCOMPLETE = 3


def print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """A short human summary on stdout."""
    table = Table(title=f"Audit {summary['run_id']}", show_header=True)
    table.add_column("rule")
    table.add_column("name")
    table.add_column("category")
    table.add_column("findings", justify="right")
    for rule_id, info in summary["findings"]["by_rule"].items():
        if info["findings"]:
            table.add_row(rule_id, info["name"], info["category"], str(info["findings"]))
    out.print(table)
    outcomes = summary["parsing"]["outcomes"]
    out.print(f"inputs: {summary['inputs']['files']} files, {summary['inputs']['raw_records']} responses/rows "
              f"({summary['inputs']['raw_records_new']} new); parse outcomes: "
              + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    for error in summary["inputs"]["import_errors"]:
        out.print(f"[red]import error[/red]: {escape(error['input'])}: {escape(error['reason'])}")
    for note in summary["inputs"].get("import_notes", ()):
        out.print(f"[yellow]note[/yellow]: {escape(note['input'])}: {escape(note['note'])}")
    out.print(f"records audited: {summary['records_audited']}, with findings: {summary['records_with_findings']}, "
              f"findings: {summary['findings']['total']} " + str(summary["findings"]["by_category"]))
    out.print(f"report: {(out_dir / 'report.html').resolve()}")


def cmd_parse(args: argparse.Namespace) -> int:
    from auditor.importers import import_file
    from auditor.parse import parse
    from auditor.records import NoRegistration, RegistrationRecord

    report = import_file(args.file)
    if report.error:
        raise AuditorError(f"{args.file}: {report.error}")
    results = []
    for raw in report.records:
        if args.server:
            raw = dataclasses.replace(raw, server=args.server)
        outcome = parse(raw, tld=args.tld)
        if isinstance(outcome, RegistrationRecord):
            results.append(outcome.to_dict())
        elif isinstance(outcome, NoRegistration):
            results.append({"status": outcome.status.value, "domain": outcome.domain, "reason": outcome.reason,
                            "raw_sha256": outcome.raw_sha256})
        else:
            results.append({"status": "failed", "reason": outcome.reason, "excerpt": outcome.excerpt,
                            "raw_sha256": outcome.raw_sha256})
    payload: Any = results[0] if len(results) == 1 else results
    out.print_json(json.dumps(payload, ensure_ascii=False, default=str))
    failed = all(r.get("status") == "failed" for r in results)
    return 1 if failed else 0


def cmd_rules(_args: argparse.Namespace) -> int:
    from rules import select

    table = Table(show_header=True, header_style="bold")
    for col in ("id", "name", "category", "severity", "lifecycle", "what it checks"):
        table.add_column(col)
    for r in select():
        table.add_row(r.id, r.name, r.category.value, r.severity.value, r.lifecycle, r.doc.summary)
    out.print(table)
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    from rules import load_rules
    from rules.policies import BY_ID

    registry = load_rules()
    rule = registry.get(args.rule_id.upper())
    if rule is None:
        by_name = {r.name: r for r in registry.values()}
        rule = by_name.get(args.rule_id)
    if rule is None:
        raise AuditorError(f"no rule {args.rule_id!r}; `auditor rules` lists them")
    out.print(f"[bold]{rule.id} {rule.name}[/bold]  ({rule.category.value}, severity {rule.severity.value}, "
              f"{rule.lifecycle}, v{rule.version})\n")
    out.print(rule.doc.summary + "\n", markup=False)
    if rule.doc.body:
        out.print(rule.doc.body + "\n", markup=False)
    for section in ("Why it matters", "Not a finding", "Remedy"):
        if section in rule.doc.sections:
            out.print(f"[bold]{section}[/bold]")
            out.print(rule.doc.sections[section] + "\n", markup=False)
    out.print("[bold]Policy[/bold]")
    for pid in rule.policy_ids:
        ref = BY_ID.get(pid)
        if ref is not None:
            out.print(f"- {ref.id}: {ref.title} <{ref.url}>", markup=False)
    examples = [c for c in rule.examples() if c.get("in_docs", True)]
    if examples:
        out.print("\n[bold]Examples[/bold]")
        for case in examples:
            verdict = "flagged" if case.get("out") else "not flagged"
            out.print(f"- {case['title']} -> {verdict}", markup=False)
            records = case["in"] if isinstance(case["in"], list) else [case["in"]]
            for record in records[:3]:
                dates = {k: record[k] for k in ("created_at", "updated_at", "expires_at", "registrar") if record.get(k)}
                if dates:
                    out.print(f"    {record['domain']}: {json.dumps(dates, ensure_ascii=False)}", markup=False)
                for contact in record.get("contacts", []):
                    shown = {k: v for k, v in contact.items() if v and k not in ("states", "locations")}
                    out.print(f"    {json.dumps(shown, ensure_ascii=False)}", markup=False)
            if len(records) > 3:
                out.print(f"    ... and {len(records) - 3} more records like these", markup=False)
            for expected in case.get("out", []):
                where = f"{expected['domain']} " if "domain" in expected else ""
                out.print(f"    => {where}{expected.get('role')}.{expected.get('field')}", markup=False)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    with RichProgress(enabled=not args.quiet) as progress:
        result, score = run_demo(args.out, progress)
    print_summary(result.summary, result.out_dir)
    out.print(f"known answers: {score['found']}/{score['expected']} planted defects found "
              f"(recall {score['recall']:.1%}); findings on clean, redacted or privacy-proxy records: "
              f"{score['false_positives']}")
    return 0 if score["recall"] == 1.0 and score["false_positives"] == 0 else 1


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.config import load_config
    from auditor.store import Store
    from reports.pack import PackOptions, build_packs

    config = load_config(args.config)
    store = Store(args.db or default_db())
    try:
        with console.status("building evidence packs"):
            packs = build_packs(store, args.run, args.out, PackOptions(
                scope=args.by, pdf=not args.no_pdf, signing_key=args.sign_key, deadlines=config.deadlines))
    finally:
        store.close()
    out.print(f"{len(packs)} evidence pack(s) by {args.by} in {(args.out / args.by).resolve()}")
    out.print(f"overview: {(args.out / f'{args.by}-packs.html').resolve()}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from reports.manifest import verify_pack

    result = verify_pack(args.pack, args.public_key)
    for label, items in (("changed", result.changed), ("missing", result.missing), ("added", result.added)):
        for item in items:
            out.print(f"{label}: {item}", markup=False)
    for error in result.errors:
        out.print(f"error: {error}", markup=False)
    out.print(f"signature: {result.signature}")
    out.print("pack verified: nothing changed, missing or added" if result.ok else "PACK DOES NOT VERIFY")
    return 0 if result.ok else 1


def cmd_keygen(args: argparse.Namespace) -> int:
    from reports.manifest import generate_keypair

    private, public = generate_keypair(args.out)
    out.print(f"private key (keep secret): {private}\npublic key (give to recipients): {public}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from auditor.config import load_config
    from auditor.store import Store
    from reports.stats import DEFAULT_K, build_statistics, write_statistics

    config = load_config(args.config)
    k = args.small_cell or config.small_cell or DEFAULT_K
    store = Store(args.db or default_db())
    try:
        stats = build_statistics(store, args.run, k)
    finally:
        store.close()
    paths = write_statistics(stats, args.out)
    out.print("\n".join(str(p.resolve()) for p in paths))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from auditor.sampling import draw, read_units, write_sample

    units = read_units(args.source, args.stratify)
    sample = draw(units, args.margin, args.confidence, args.seed, args.stratify, str(args.source))
    domains, design = write_sample(sample, args.out, args.source)
    d = sample.design
    out.print(f"sample of {d['sample_size']} from {d['population']} registrations (±{d['margin']} at "
              f"{d['confidence']:.0%}, seed {d['seed']}{', stratified by ' + args.stratify if args.stratify else ''})")
    out.print(f"domains: {domains.resolve()}\ndesign:  {design.resolve()}  (pass it to `auditor audit --sample-design`)")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from auditor.store import Store
    from reports.compare import compare_runs, write_comparison

    store = Store(args.db or default_db())
    try:
        comparison = compare_runs(store, args.old, args.new)
    finally:
        store.close()
    paths = write_comparison(comparison, args.out)
    t = comparison["totals"]
    out.print(f"fixed {t['fixed']}, new {t['new']}, persisting {t['persisting']}, not re-checked {t['not_rechecked']}")
    out.print("\n".join(str(p.resolve()) for p in paths))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from auditor.store import Store

    store = Store(args.db or default_db())
    try:
        table = Table(show_header=True)
        for col in ("run", "started", "finished", "records", "findings", "config"):
            table.add_column(col)
        for run in store.runs():
            summary = run.get("summary") or {}
            table.add_row(run["id"], str(run["started_at"])[:19], str(run.get("finished_at") or "unfinished")[:19],
                          str(summary.get("records_audited", "")), str((summary.get("findings") or {}).get("total", "")),
                          (run.get("config_hash") or "")[:12])
        out.print(table)
    finally:
        store.close()
    return 0


COMMANDS = {"audit": cmd_audit, "parse": cmd_parse, "rules": cmd_rules, "rule": cmd_rule, "demo": cmd_demo,
            "report": cmd_report, "verify": cmd_verify, "keygen": cmd_keygen, "runs": cmd_runs, "stats": cmd_stats,
            "sample": cmd_sample, "compare": cmd_compare, "crawl": cmd_crawl}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `auditor` console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AuditorError as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted; everything stored so far is kept, re-run to continue")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
