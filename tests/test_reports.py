"""Evidence packs, statistics, sampling and re-audit comparison."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.pipeline import AuditOptions, AuditResult, run_audit
from auditor.sampling import allocate, draw, sample_size, stratified_estimate
from auditor.store import Store
from reports.actions import deadline_for
from reports.exports import neutralise
from reports.manifest import generate_keypair, verify_pack
from reports.pack import PackOptions, build_packs
from reports.stats import build_statistics, write_statistics
from tests.conftest import FIXTURES

HOSTILE = """\
Domain Name: {domain}
Creation Date: 2020-01-01T00:00:00Z
Registrar: {registrar}
Registrant Name: {name}
Registrant Email: noemail@gmail.com
Registrant Phone: +49.3012345678
Registrant Country: DE
Admin Email: admin@{domain}
Admin Phone: +49.3012345679
"""


def audit_files(tmp: Path, files: dict[str, str], name: str = "run") -> tuple[str, AuditResult]:
    inputs = tmp / f"in-{name}"
    inputs.mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        (inputs / fname).write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp / 'a.sqlite'}"
    return db, run_audit([inputs], tmp / f"out-{name}", db, AuditOptions(dns=False))


@pytest.fixture
def hostile_run(tmp_path: Path) -> tuple[str, AuditResult]:
    return audit_files(tmp_path, {
        "xss.zz.txt": HOSTILE.format(domain="xss.zz", registrar="../../evil <b>R</b>", name="<img src=x onerror=alert(1)>"),
        "formula.zz.txt": HOSTILE.format(domain="formula.zz", registrar="Alpha", name='=HYPERLINK("http://x.zz","y")'),
        "plain.be.txt": HOSTILE.format(domain="plain.be", registrar="Alpha", name="Test Test"),
    })


def test_pack_contents_and_manifest(hostile_run: tuple[str, AuditResult], tmp_path: Path) -> None:
    db, _result = hostile_run
    store = Store(db)
    try:
        packs = build_packs(store, None, tmp_path / "packs", PackOptions(scope="registrar", pdf=False))
    finally:
        store.close()
    assert len(packs) == 2
    for pack in packs:
        d = pack.directory
        # never a path built from registration data
        assert d.parent == tmp_path / "packs" / "registrar" and d.name.startswith("registrar-")
        for name in ("index.html", "rules.html", "findings.csv", "findings.json", "PERSONAL-DATA.txt",
                     "MANIFEST.sha256", "manifest.json"):
            assert (d / name).is_file(), name
        raws = list((d / "raw").iterdir())
        assert raws and all(len(p.stem) == 64 for p in raws)
        assert "personal data" in (d / "index.html").read_text().lower()
        data = json.loads((d / "findings.json").read_text())
        assert data["format_version"] == 1 and data["findings"]
        for f in data["findings"]:
            assert f["requested_action"] and f["deadline"] and f["policies"] and f["raw_sha256"] and f["fetched_at"]
        check = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=d, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert verify_pack(d).ok
    evil = next(p for p in packs if "evil" in p.key)
    html = (evil.directory / "index.html").read_text()
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>R</b>" not in html
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()


def test_csv_formulas_are_neutralised(hostile_run: tuple[str, AuditResult], tmp_path: Path) -> None:
    db, _ = hostile_run
    store = Store(db)
    try:
        packs = build_packs(store, None, tmp_path / "p", PackOptions(scope="domain", pdf=False))
    finally:
        store.close()
    pack = next(p for p in packs if p.key == "formula.zz")
    text = (pack.directory / "findings.csv").read_text()
    assert "'=HYPERLINK" in text and ',=HYPERLINK' not in text and '"=HYPERLINK' not in text
    assert neutralise("=1+1") == "'=1+1" and neutralise("+49.30") == "'+49.30" and neutralise("Anna") == "Anna"


def test_verify_reports_changed_missing_added_and_signature(hostile_run: tuple[str, AuditResult], tmp_path: Path) -> None:
    db, _ = hostile_run
    private, public = generate_keypair(tmp_path / "keys")
    store = Store(db)
    try:
        pack = build_packs(store, None, tmp_path / "p", PackOptions(scope="rule", pdf=False, signing_key=private))[0]
    finally:
        store.close()
    d = pack.directory
    assert verify_pack(d, public).signature == "valid"
    assert main(["verify", str(d), "--public-key", str(public)]) == 0
    tampered = tmp_path / "tampered"
    shutil.copytree(d, tampered)
    html = tampered / "index.html"
    html.write_bytes(html.read_bytes().replace(b"Summary", b"Summarx", 1))
    (tampered / "findings.csv").unlink()
    (tampered / "extra.txt").write_text("added later")
    result = verify_pack(tampered, public)
    assert result.changed == ["index.html"] and result.missing == ["findings.csv"] and result.added == ["extra.txt"]
    assert not result.ok and main(["verify", str(tampered)]) == 1
    forged = tmp_path / "forged"
    shutil.copytree(d, forged)
    manifest = json.loads((forged / "manifest.json").read_text())
    manifest["run_id"] = "someone-else"
    (forged / "manifest.json").write_text(json.dumps(manifest))
    assert verify_pack(forged, public).signature == "invalid"


def test_failed_pack_write_leaves_nothing_half_written(hostile_run: tuple[str, AuditResult], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = hostile_run
    out = tmp_path / "p"
    store = Store(db)
    try:
        first = build_packs(store, None, out, PackOptions(scope="registrar", pdf=False))
        before = {p.directory: (p.directory / "manifest.json").read_text() for p in first}
        import reports.pack as pack_module

        original = pack_module.render

        def failing(template: str, **context: object) -> str:
            if template == "pack_rules.html":
                raise OSError("disk full")
            return original(template, **context)

        monkeypatch.setattr(pack_module, "render", failing)
        with pytest.raises(OSError, match="disk full"):
            build_packs(store, None, out, PackOptions(scope="registrar", pdf=False))
    finally:
        store.close()
    for directory, manifest in before.items():
        assert (directory / "manifest.json").read_text() == manifest  # the previous pack is intact
    leftovers = [p for p in (out / "registrar").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_pdf_is_written(tmp_path: Path) -> None:
    db, _ = audit_files(tmp_path, {"one.zz.txt": HOSTILE.format(domain="one.zz", registrar="Alpha", name="N/A")})
    store = Store(db)
    try:
        pack = build_packs(store, None, tmp_path / "p", PackOptions(scope="registrar", pdf=True))[0]
    finally:
        store.close()
    assert (pack.directory / "index.pdf").read_bytes().startswith(b"%PDF")
    assert verify_pack(pack.directory).ok


def test_deadlines_follow_policy() -> None:
    assert deadline_for("x.be").days == 14
    assert deadline_for("x.co.uk").days == 30
    assert deadline_for("x.com").days == 15
    nl = deadline_for("x.nl")
    assert nl.days == 3 and nl.working_days
    assert deadline_for("x.zz").days == 30
    assert deadline_for("x.zz", {"zz": 7}).days == 7


def _contact_values(result: AuditResult) -> set[str]:
    """Every contact value (and domain) of the input; registrar names are businesses and may be shown."""
    registrars = {r.registrar for r in result.records}
    values = set()
    for record in result.records:
        for c in record.contacts:
            for v in (c.name, c.organization, c.email, c.phone, c.fax, c.city, *c.street):
                if v and len(v) >= 5 and v not in registrars:
                    values.add(v)
        values.add(record.domain)
    return values


def test_statistics_hold_no_personal_data(demo_run: AuditResult, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{demo_run.out_dir / 'auditor.sqlite'}")
    try:
        stats = build_statistics(store, demo_run.run_id, k=1)  # nothing suppressed: the worst case
    finally:
        store.close()
    paths = write_statistics(stats, tmp_path / "stats")
    text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    leaked = [v for v in _contact_values(demo_run) if v in text]
    assert leaked == []
    assert stats["records_audited"] == demo_run.summary["records_audited"]


def test_small_cells_are_suppressed(demo_run: AuditResult) -> None:
    store = Store(f"sqlite:///{demo_run.out_dir / 'auditor.sqlite'}")
    try:
        stats = build_statistics(store, demo_run.run_id, k=10)
    finally:
        store.close()
    for section in ("by_category", "by_rule", "by_registrar", "by_registrant_country", "norc"):
        for row in stats[section]:
            if not row.get("suppressed"):
                assert row["total"] >= 10 and (row["count"] == 0 or row["count"] >= 10), (section, row)
                low, high = row["ci95"]
                assert low <= row["rate"] <= high
    assert any(r.get("suppressed") for r in stats["by_rule"])
    hidden = [r for r in stats["norc"][:-1] if r.get("suppressed")]
    assert len(hidden) != 1  # never one hidden cell that subtraction would reveal


def test_sample_size_and_allocation() -> None:
    assert sample_size(10**9, 0.01, 0.95) == 9604
    assert sample_size(20000, 0.01, 0.95) == 6489
    assert sample_size(50, 0.01, 0.95) == 50
    alloc = allocate({"a": 700, "b": 200, "c": 100, "d": 3}, 100)
    assert sum(alloc.values()) == 100 and alloc["a"] > alloc["b"] > alloc["c"] >= 1 and alloc["d"] >= 1


def test_sample_is_reproducible_and_stratified() -> None:
    units = [(f"d{i}.zz", "big" if i % 4 else "small") for i in range(2000)]
    a = draw(units, 0.05, 0.95, seed=3, stratify="registrar")
    b = draw(units, 0.05, 0.95, seed=3, stratify="registrar")
    c = draw(units, 0.05, 0.95, seed=4, stratify="registrar")
    assert a.domains == b.domains and a.domains != c.domains
    strata = a.design["strata"]
    assert strata["big"]["population"] == 1500 and strata["small"]["population"] == 500
    assert abs(strata["big"]["sample"] / strata["small"]["sample"] - 3) < 0.1


def test_stratified_estimate_weights_strata() -> None:
    design = {"population": 1000, "strata": {"a": {"population": 900, "sample": 100}, "b": {"population": 100, "sample": 100}}}
    est = stratified_estimate({"a": {"hits": 10, "audited": 100}, "b": {"hits": 50, "audited": 100}}, design)
    assert est is not None and est["estimate"] == pytest.approx(0.9 * 0.1 + 0.1 * 0.5)
    assert est["ci"][0] < est["estimate"] < est["ci"][1]


def test_cli_sample_then_weighted_statistics(tmp_path: Path) -> None:
    labelled = FIXTURES / "labelled"
    assert main(["sample", str(labelled / "export"), "--out", str(tmp_path / "s"), "--margin", "0.1",
                 "--stratify", "registrar", "--seed", "9"]) == 0
    design = json.loads((tmp_path / "s" / "design.json").read_text())
    assert design["sample_size"] == len((tmp_path / "s" / "domains.txt").read_text().split())
    assert main(["audit", str(labelled / "export"), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "a.sqlite"),
                 "--no-dns", "--quiet", "--domains", str(tmp_path / "s" / "domains.txt"),
                 "--sample-design", str(tmp_path / "s" / "design.json")]) == 0
    assert main(["stats", "--db", str(tmp_path / "a.sqlite"), "--out", str(tmp_path / "st")]) == 0
    stats = json.loads((tmp_path / "st" / "statistics.json").read_text())
    assert stats["records_audited"] == design["sample_size"]
    assert "sample" in stats and "Estimated from" in stats["sample"]["statement"]
    assert "Estimated from" in (tmp_path / "st" / "statistics.html").read_text()


def test_compare_runs_lists_fixed_new_persisting(tmp_path: Path) -> None:
    before = {
        "a.zz.txt": HOSTILE.format(domain="a.zz", registrar="Alpha", name="N/A"),
        "b.zz.txt": HOSTILE.format(domain="b.zz", registrar="Alpha", name="John Doe"),
        "c.zz.txt": HOSTILE.format(domain="c.zz", registrar="Beta", name="Anna Schmidt"),
    }
    after = {
        "a.zz.txt": HOSTILE.format(domain="a.zz", registrar="Alpha", name="Anna Schmidt").replace("noemail@gmail.com", "anna@a.zz"),
        "b.zz.txt": HOSTILE.format(domain="b.zz", registrar="Alpha", name="John Doe"),
        "c.zz.txt": HOSTILE.format(domain="c.zz", registrar="Beta", name="xxx"),
    }
    db, old = audit_files(tmp_path, before, "old")
    _db, new = audit_files(tmp_path, after, "new")
    assert main(["compare", old.run_id, new.run_id, "--db", db, "--out", str(tmp_path / "cmp")]) == 0
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    states = {(f["domain"], f["rule"], f["state"]) for f in result["findings"]}
    assert ("a.zz", "FAL001", "fixed") in states and ("a.zz", "FAL002", "fixed") in states
    assert ("b.zz", "FAL001", "persisting") in states
    assert ("c.zz", "FAL001", "new") in states
    assert result["per_registrar"]["Alpha"]["fixed"] == 2 and result["per_registrar"]["Beta"]["new"] == 1
