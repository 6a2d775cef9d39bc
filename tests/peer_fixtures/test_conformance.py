"""Agreement with the peers' expected parses must not drop below the committed baseline.

Runs our parser over every peer WHOIS recording (about 1,400 files, a few seconds). The levels in
`baseline.json` were reached by this parser; raise them with ``python -m tests.peer_fixtures
--update-baseline`` after an improvement, and never lower them to make a change pass.
"""

from __future__ import annotations

import json

import pytest

from auditor.records import ResponseStatus
from tests.peer_fixtures import BASELINE
from tests.peer_fixtures.cases import ENV_VAR, all_cases, peer_root
from tests.peer_fixtures.compare import TARGETS, Report, evaluate, outcome_status, run_parser

#: Rounding slack only: one case in a thousand.
TOLERANCE = 0.001

pytestmark = pytest.mark.skipif(
    peer_root() is None, reason=f"peer recordings not found: set {ENV_VAR} or provide ../shared/peer-fixtures"
)


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(all_cases())


def test_parser_never_crashes_on_a_recording(report: Report) -> None:
    assert report.crashes == []


def test_agreement_does_not_drop_below_the_baseline(report: Report) -> None:
    baseline = json.loads(BASELINE.read_text("utf-8"))
    drops = []
    for peer, fields in baseline.items():
        for fname, level in fields.items():
            tally = report.tallies.get((peer, fname))
            rate = tally.rate if tally and tally.total else 0.0
            if rate < level - TOLERANCE:
                drops.append(f"{peer}/{fname}: {100 * rate:.1f}% < baseline {100 * level:.1f}%")
    assert not drops, "agreement dropped:\n" + "\n".join(drops)


def test_issue_targets_over_all_peers(report: Report) -> None:
    below = {f: report.overall(f).rate for f, target in TARGETS.items() if report.overall(f).rate < target}
    assert not below, f"below the issue's targets: {below}"


def test_throttled_and_error_answers_are_never_available_or_registered() -> None:
    wrong = []
    for case in all_cases():
        expected = case.expected.get("status")
        if expected and ResponseStatus.THROTTLED in expected:
            got = outcome_status(run_parser(case))
            if got in (ResponseStatus.AVAILABLE, ResponseStatus.REGISTERED):
                wrong.append(f"{case.name}: {got.value}")
    assert not wrong


def test_registered_responses_are_never_available() -> None:
    wrong = []
    for case in all_cases():
        if case.expected.get("status") == frozenset({ResponseStatus.REGISTERED}):
            if outcome_status(run_parser(case)) is ResponseStatus.AVAILABLE:
                wrong.append(case.name)
    assert not wrong
