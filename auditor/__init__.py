"""Registration-data auditor: find false, incomplete and unverifiable WHOIS / RDAP data, with evidence."""

from __future__ import annotations

__version__ = "0.1.0"

from auditor.records import (  # noqa: E402 - the version must exist before submodules import it
    Contact,
    Evidence,
    Finding,
    RawRecord,
    RegistrationRecord,
)

__all__ = ["Contact", "Evidence", "Finding", "RawRecord", "RegistrationRecord", "__version__", "audit"]


def audit(inputs, out_dir, db_url="auditor.sqlite", **options):  # type: ignore[no-untyped-def]
    """Run the main job (import, parse, score, write files); see auditor.pipeline.run_audit."""
    from auditor.pipeline import AuditOptions, run_audit

    return run_audit(inputs, out_dir, db_url, AuditOptions(**options))
