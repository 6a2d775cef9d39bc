"""Scoring over partitions in several processes gives exactly what one process gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import auditor.engine as engine
from auditor.importers import discover, import_file
from auditor.parse import parse
from auditor.records import RegistrationRecord
from auditor.shares import bounds
from auditor.verify import Verifier
from rules import select
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def labelled_records() -> list[RegistrationRecord]:
    files, _ = discover([FIXTURES / "labelled"])
    out = []
    for path in files:
        for raw in import_file(path).records:
            rec = parse(raw)
            if isinstance(rec, RegistrationRecord):
                out.append(rec)
    return out


def test_parallel_scoring_is_identical_to_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    records = labelled_records()
    rules = select()
    one = engine.score(records, rules, Verifier(None), NOW, workers=1)
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10)  # force worker processes on a small set
    forks = _spy_on_forks(monkeypatch)
    two = engine.score(records, rules, Verifier(None), NOW, workers=2)
    assert forks == ["fork"]  # the partitioned path really ran
    assert [f.fingerprint for f in two.findings] == [f.fingerprint for f in one.findings]
    assert [f.to_dict() for f in two.findings] == [f.to_dict() for f in one.findings]
    assert {k: v.to_dict() for k, v in two.tallies.items()} == {k: v.to_dict() for k, v in one.tallies.items()}
    assert two.unchecked == one.unchecked and two.errors == one.errors
    # the combine step ran over all partitions, for every dataset rule
    assert {f.rule_id for f in two.findings} >= {"PAT001", "PAT002", "PAT003"}


def _spy_on_forks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time the shares start worker processes."""
    import auditor.shares as shares

    forks: list[str] = []
    real_get_context = shares.multiprocessing.get_context

    def spy(method: str):  # type: ignore[no-untyped-def]
        forks.append(method)
        return real_get_context(method)

    monkeypatch.setattr(shares.multiprocessing, "get_context", spy)
    return forks


def _parallel(records: list[RegistrationRecord], monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> engine.EngineResult:
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10)
    return engine.score(records, select(), Verifier(None), NOW, workers=2, **kwargs)  # type: ignore[arg-type]


def _same(one: engine.EngineResult, two: engine.EngineResult) -> None:
    assert [f.to_dict() for f in two.findings] == [f.to_dict() for f in one.findings]
    assert {k: v.to_dict() for k, v in two.tallies.items()} == {k: v.to_dict() for k, v in one.tallies.items()}


def test_dataset_facts_sent_as_group_key_hashes_lose_nothing_when_every_hash_collides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers send dataset facts back as group key hashes; a collision may only add candidates."""
    records = labelled_records()
    one = engine.score(records, select(), Verifier(None), NOW, workers=1)
    seen: list[object] = []
    monkeypatch.setattr(engine, "_group_hash", lambda key: seen.append(key) or 7)  # every key collides
    _same(one, _parallel(records, monkeypatch))
    assert not seen  # the keys were hashed in the forked workers, not here


def test_a_minimum_group_of_one_sends_every_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    """With min_domains=1 every fact can yield a finding, so none may be left in the workers."""
    records = labelled_records()
    params = {"PAT002": {"min_domains": 1}, "PAT003": {"min_domains": 1}}
    assert engine._grouped_rules(select(), params) == {"PAT001"}
    one = engine.score(records, select(), Verifier(None), NOW, params, workers=1)
    assert sum(f.rule_id == "PAT003" for f in one.findings) > 1
    _same(one, _parallel(records, monkeypatch, params=params))


@pytest.mark.parametrize("workers", [1, 2])
def test_grading_where_slices_are_scored_equals_grading_after_all_rules(monkeypatch: pytest.MonkeyPatch,
                                                                         workers: int) -> None:
    """Slices are graded where they are scored, before the dataset rules; the records those rules then
    name are graded again. The lines and counts must be those of grading once after every rule."""
    from auditor.grades import GradeLines, grade_all, summarise_rows
    from auditor.jsontext import compact_json

    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(engine, "FINISH_EVERY", 7)  # several slices in each share, the last one short
    records = labelled_records()
    verify = Verifier(None)
    result = engine.score(records, select(), verify, NOW, workers=workers,
                          finish=lambda part, found: grade_all(part, found, verify))
    sizes = [hi - lo for lo, hi in bounds(len(records), workers)]
    assert [len(ranks) for ranks, _graded in result.finished] == [
        min(7, size - start) for size in sizes for start in range(0, size, 7)]
    assert sizes[-1] % 7  # a short slice at the end of a share is finished too
    late = {f.domain for f in result.findings if f.rule_id.startswith("PAT")}
    assert late  # some records are graded again
    reference = grade_all(records, result.findings, verify)

    def gathered() -> GradeLines:
        lines = GradeLines(len(records))
        for ranks, graded in reversed(result.finished):  # slices arrive in any order
            lines.add(ranks, [compact_json(row) for row in graded.rows], graded.tally)
        return lines

    joined = gathered()
    regraded = joined.regrade({rank: r for rank, r in enumerate(records) if r.domain in late}, result.findings, verify)
    assert {row["domain"] for row in regraded} == late
    assert joined.complete() == [compact_json(row) for row in reference.rows]
    assert joined.summary() == reference.summary() == summarise_rows(reference.rows)
    assert reference.summary()["records"] == len(records) == sum(reference.summary()["norc"].values())
    stale = gathered()
    assert stale.complete() != joined.complete()  # without grading again, the dataset findings would be missed
    partial = GradeLines(len(records))
    first_ranks, first_graded = result.finished[0]
    partial.add(first_ranks, [compact_json(row) for row in first_graded.rows], first_graded.tally)
    with pytest.raises(ValueError, match="grade lines for 7 of"):
        partial.complete()


def test_finished_slices_reach_the_parent_while_the_shares_score(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each slice's `finish` result is handed over as soon as it arrives (the audit writes its grades
    while the shares score on), not with the shares' results at the end."""
    from auditor.shares import ShareJob, Shares

    monkeypatch.setattr(engine, "FINISH_EVERY", 5)
    records = labelled_records()
    job = ShareJob(records=records, context={"score": engine.ScoreSetup(select(), Verifier(None), NOW, {},
                                                                        finish=lambda part, found: len(part))})
    seen: list[tuple[list[int], int, int]] = []
    progress = [0]
    with Shares(job, 2) as shares:
        shares.keep(range(len(records)))
        result = engine.score_shares(shares, len(records), on_progress=lambda n: progress.__setitem__(0, progress[0] + n),
                                     on_finished=lambda ranks, n: seen.append((ranks, n, progress[0])))
    assert result.finished == []  # each went to on_finished
    assert sorted(rank for ranks, _n, _p in seen for rank in ranks) == list(range(len(records)))
    assert all(len(ranks) == n for ranks, n, _p in seen)
    assert len(seen) >= 4 and seen[0][2] < len(records)  # the first came before every record was scored


def _parse_in_shares(store, raws, workers: int, store_raw: bool = False):  # type: ignore[no-untyped-def]
    """Parse `raws` into `store` over `workers` shares; returns what this process kept of each outcome
    and the registrations the shares hold, in input order (read back from the shares)."""
    import auditor.pipeline as pipeline
    from auditor.shares import ShareJob, Shares

    setup = pipeline.ParseSetup(store.dialect, store.url if store.dialect == "postgresql" else None, store_raw)
    with Shares(ShareJob(raws=raws, context={"parse": setup}), workers) as shares:
        with store.background_writer() as writer:
            outcomes = pipeline.parse_raw(writer, shares, pipeline._Silent())
        registered = [i for i, (_raw, o) in enumerate(outcomes) if isinstance(o, pipeline.Registered)]
        shares.keep(registered)
        held = shares.records(range(len(registered)))
        return outcomes, [held[rank] for rank in range(len(registered))]


def test_parallel_parsing_is_identical_to_one_process(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import auditor.pipeline as pipeline
    from auditor.store import Store

    files, _ = discover([FIXTURES / "labelled", FIXTURES / "demo"])
    raws = [raw for path in files for raw in import_file(path).records]
    one_store, two_store = Store(f"sqlite:///{tmp_path / 'one.sqlite'}"), Store(f"sqlite:///{tmp_path / 'two.sqlite'}")
    try:
        one, one_records = _parse_in_shares(one_store, raws, 1)
        assert one_records == [o for raw in raws if isinstance(o := parse(raw), RegistrationRecord)]
        monkeypatch.setattr(pipeline, "PARSE_BATCH", 37)  # many batches, coming back out of step
        forks = _spy_on_forks(monkeypatch)
        two, two_records = _parse_in_shares(two_store, raws, 2)
        assert forks == ["fork"]
        assert [(r.sha256, o) for r, o in two] == [(r.sha256, o) for r, o in one]
        assert two_records == one_records  # the records stayed in the workers that parsed them, intact
        for table in ("parse_result", "registration"):
            assert two_store.count(table) == one_store.count(table) > 0
        # the shares' batches are written as they arrive, so the rows' ids (their order) may differ
        key = lambda pair: (pair[0].raw_sha256, pair[0].parser)  # noqa: E731
        assert sorted(two_store.registrations(), key=key) == sorted(one_store.registrations(), key=key)
    finally:
        one_store.close()
        two_store.close()


def test_raw_records_stored_while_the_shares_parse_are_the_rows_an_import_stores(monkeypatch: pytest.MonkeyPatch,
                                                                                 tmp_path) -> None:
    """`auditor audit` reads its inputs, then stores each raw record beside its parse outcome (the
    import no longer keeps one core busy alone): the same raw rows as storing them up front, each once,
    and a second pass stores none again."""
    import auditor.pipeline as pipeline
    from auditor.shares import ShareJob, Shares
    from auditor.store import Store

    files, _ = discover([FIXTURES / "labelled", FIXTURES / "demo"])
    raws = [raw for path in files for raw in import_file(path).records]
    raws = raws + raws[:5]  # the same bytes twice are stored once
    upfront, here = Store(f"sqlite:///{tmp_path / 'upfront.sqlite'}"), Store(f"sqlite:///{tmp_path / 'here.sqlite'}")
    try:
        added_upfront = upfront.add_raw(raws)
        monkeypatch.setattr(pipeline, "PARSE_BATCH", 37)
        setup = pipeline.ParseSetup(here.dialect, None, store_raw=True)
        for expected_new in (added_upfront, 0):
            with Shares(ShareJob(raws=raws, context={"parse": setup}), 2) as shares, \
                    here.background_writer() as writer:
                pipeline.parse_raw(writer, shares, pipeline._Silent())
            assert writer.added_by(pipeline.RAW_TAG) == expected_new
        assert added_upfront == len(raws) - 5
        assert sorted(here.raw_by_sha(r.sha256 for r in raws).items()) == \
            sorted(upfront.raw_by_sha(r.sha256 for r in raws).items())
        assert here.count("raw_record") == upfront.count("raw_record")
    finally:
        upfront.close()
        here.close()


def test_parallel_parsing_into_postgresql_writes_from_every_worker(monkeypatch: pytest.MonkeyPatch,
                                                                    postgres_url: str, tmp_path) -> None:
    """On PostgreSQL the parse workers write their own rows: the same rows as one process writes."""
    import auditor.pipeline as pipeline
    from auditor.store import BulkWriter, Store

    files, _ = discover([FIXTURES / "labelled", FIXTURES / "demo"])
    raws = [raw for path in files for raw in import_file(path).records]
    one_store, pg = Store(f"sqlite:///{tmp_path / 'one.sqlite'}"), Store(postgres_url)
    try:
        one, one_records = _parse_in_shares(one_store, raws, 1)
        monkeypatch.setattr(pipeline, "PARSE_BATCH", 37)
        written_here = []  # what this process's bulk writes carried (forked workers append to their own copy)
        real_write = BulkWriter.write
        monkeypatch.setattr(BulkWriter, "write", lambda self, rows: written_here.append(len(rows)) or real_write(self, rows))
        two, two_records = _parse_in_shares(pg, raws, 2)
        assert [(r.sha256, o) for r, o in two] == [(r.sha256, o) for r, o in one] and two_records == one_records
        assert set(written_here) == {0}  # this process wrote nothing: the workers did
        for table in ("parse_result", "registration"):
            assert pg.count(table) == one_store.count(table) > 0
        key = lambda pair: (pair[0].raw_sha256, pair[0].parser)  # noqa: E731 - ids differ, rows do not
        assert sorted(pg.registrations(), key=key) == sorted(one_store.registrations(), key=key)
        again, _ = _parse_in_shares(pg, raws, 2)  # idempotent with concurrent writers too
        assert len(again) == len(two) and pg.count("registration") == one_store.count("registration")
    finally:
        one_store.close()
        pg.close()


def test_each_grouping_gives_the_keys_of_the_facts_extract_yields(tmp_path) -> None:
    """Workers use `Grouping.keys` instead of extracting facts: for every record it must give exactly
    the group keys of the facts `extract` yields, in order (labelled records and a synthetic zone)."""
    from auditor.synthetic import write_bulk_export

    write_bulk_export(tmp_path / "zone.csv", 3000)
    records = labelled_records() + [o for raw in import_file(tmp_path / "zone.csv").records
                                    if isinstance(o := parse(raw), RegistrationRecord)]
    grouped = [r for r in select() if r.grouping is not None]
    assert {r.id for r in grouped} == {"PAT001", "PAT002", "PAT003"}
    profile = engine.PublicationProfile(records)
    for r in grouped:
        ctx = engine._contexts([r], Verifier(None), NOW, {}, profile)[r.id]
        keyed = 0
        for record in records:
            expected = [r.grouping.key(fact) for fact in r.extract(record, ctx)]
            assert list(r.grouping.keys(record, ctx)) == expected, (r.id, record.domain)
            keyed += bool(expected)
        assert keyed > 0, r.id


def test_a_whole_audit_over_worker_shares_writes_what_one_process_writes(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path) -> None:
    """Shares own the input in file order while the audit ranks records by domain: findings, grades
    (dataset rules' records graded again), summary and report must not depend on who held what."""
    import json
    import re

    import auditor.pipeline as pipeline

    inputs = [FIXTURES / "labelled", FIXTURES / "demo"]

    def audit(workers: int) -> dict[str, object]:
        out = tmp_path / f"out{workers}"
        options = pipeline.AuditOptions(dns=False, workers=workers, now=NOW)
        result = pipeline.run_audit(inputs, out, f"sqlite:///{tmp_path / f'{workers}.sqlite'}", options)
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        for key in ("run_id", "started_at", "finished_at", "timings_seconds"):
            summary.pop(key)
        report = (out / "report.html").read_text("utf-8").replace(result.run_id, "RUN")
        return {"findings": (out / "findings.jsonl").read_text("utf-8"), "grades": (out / "grades.jsonl").read_text("utf-8"),
                "summary": summary, "contact_keys": list(summary["contacts"]),  # summary.json's order too
                "report": re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "TIME", report),
                "records": [r.domain for r in result.records]}

    one = audit(1)
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 10)
    forks = _spy_on_forks(monkeypatch)
    two = audit(2)
    assert forks == ["fork"]
    assert "PAT0" in one["findings"]  # dataset rules fired, so some records were graded twice
    assert two == one


def test_an_audit_runs_without_the_cyclic_collector_and_turns_it_back_on(tmp_path) -> None:
    """The collector's passes over millions of short-lived objects found nothing and cost time; the
    audit turns it off while it runs (workers fork inside) and gives it back to the caller."""
    import gc

    import auditor.pipeline as pipeline

    seen: list[bool] = []

    class Watch:
        def stage(self, name: str, total: int | None) -> None:
            seen.append(gc.isenabled())

        def advance(self, n: int = 1) -> None:
            pass

    assert gc.isenabled()
    pipeline.run_audit([FIXTURES / "demo"], tmp_path / "out", f"sqlite:///{tmp_path / 'a.sqlite'}",
                       pipeline.AuditOptions(dns=False, now=NOW), Watch())
    assert seen and not any(seen)
    assert gc.isenabled()
