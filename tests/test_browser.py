"""The pages people open, in a real browser: headless Chromium (Debian's package) driven by Playwright.

No console errors, no script from registration data runs (a registrant named
`<img src=x onerror=alert(1)>` must not open a dialog), and the charts render.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor.store import Store
from reports.pack import PackOptions, build_packs
from reports.stats import build_statistics, write_statistics
from tests.test_reports import HOSTILE, audit_files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("browser")
    files = {f"d{i}.zz.txt": HOSTILE.format(domain=f"d{i}.zz", registrar="Alpha", name="<img src=x onerror=alert(1)>")
             for i in range(12)}
    db, result = audit_files(tmp, files)
    store = Store(db)
    try:
        pack = build_packs(store, None, tmp / "packs", PackOptions(scope="registrar", pdf=False))[0]
        write_statistics(build_statistics(store, None, k=1), tmp / "stats")
    finally:
        store.close()
    return {"pack": pack.directory / "index.html", "rules": pack.directory / "rules.html",
            "stats": tmp / "stats" / "statistics.html", "report": result.out_dir / "report.html"}


def open_page(path: Path) -> tuple[list[str], list[str], int, str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            problems: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            bars = page.locator("svg rect, svg polyline").count()
            text = page.inner_text("body")
        finally:
            browser.close()
    return problems, dialogs, bars, text


@pytest.mark.parametrize("name", ["pack", "rules", "stats", "report"])
def test_page_opens_cleanly_and_no_injected_script_runs(pages: dict[str, Path], name: str) -> None:
    problems, dialogs, bars, text = open_page(pages[name])
    assert problems == []
    assert dialogs == []
    if name == "pack":
        assert "<img src=x onerror=alert(1)>" in text  # shown as text, not run
    if name in ("stats", "report"):
        assert bars > 0, "charts render"
