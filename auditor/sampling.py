"""Reproducible stratified random samples sized for a margin of error, and estimates weighted by stratum.

Studies do not crawl whole zones (NORC audited 1,419 records, ICANN ARS 10,000-12,000 per cycle): they
draw a random sample large enough for the precision they need. The sample size for a proportion at
margin e and confidence c is n0 = z^2 p (1 - p) / e^2 with p = 0.5 (the worst case), corrected for a
finite population of N: n = n0 / (1 + (n0 - 1) / N). Strata (registrars, say) get proportional shares;
the design is written beside the sample so statistics can weight each stratum by N_h / N.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

from auditor.domains import looks_like_domain, normalise_domain
from auditor.errors import InputError
from auditor.records import registrar_label


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile (1.96 for 95 %)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def sample_size(population: int, margin: float, confidence: float, proportion: float = 0.5) -> int:
    """Records needed to estimate a proportion within ±margin, with the finite-population correction."""
    if population <= 0:
        return 0
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1")
    z = z_value(confidence)
    n0 = z * z * proportion * (1 - proportion) / (margin * margin)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def allocate(strata: Mapping[str, int], n: int) -> dict[str, int]:
    """Proportional allocation (largest remainders), at least one per non-empty stratum, never above N_h."""
    total = sum(strata.values())
    if total == 0 or n == 0:
        return {h: 0 for h in strata}
    exact = {h: n * size / total for h, size in strata.items()}
    alloc = {h: min(strata[h], max(1, math.floor(x))) for h, x in exact.items() if strata[h] > 0}
    remainder = n - sum(alloc.values())
    for h in sorted(exact, key=lambda h: (exact[h] - math.floor(exact[h]), h), reverse=True):
        if remainder <= 0:
            break
        if h in alloc and alloc[h] < strata[h]:
            alloc[h] += 1
            remainder -= 1
    return alloc


@dataclass
class Sample:
    """A drawn sample and the design statistics need to weight it."""

    domains: list[str]
    design: dict[str, Any] = field(default_factory=dict)


def draw(units: Sequence[tuple[str, str]], margin: float, confidence: float, seed: int,
         stratify: str | None = None, source: str | None = None) -> Sample:
    """Stratified (or simple) random sample of (domain, stratum) units; the same seed gives the same sample."""
    by_stratum: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for domain, stratum in units:
        if domain not in seen:
            seen.add(domain)
            by_stratum[stratum if stratify else "all"].append(domain)
    population = len(seen)
    n = sample_size(population, margin, confidence)
    sizes = {h: len(v) for h, v in by_stratum.items()}
    alloc = allocate(sizes, n)
    rng = random.Random(seed)
    chosen: list[str] = []
    strata: dict[str, dict[str, int]] = {}
    for h in sorted(by_stratum):
        members = sorted(by_stratum[h])
        picked = sorted(rng.sample(members, alloc.get(h, 0)))
        chosen.extend(picked)
        strata[h] = {"population": len(members), "sample": len(picked)}
    design = {
        "method": "stratified random sample, proportional allocation" if stratify else "simple random sample",
        "population": population, "sample_size": len(chosen), "margin": margin, "confidence": confidence,
        "seed": seed, "stratify": stratify, "strata": strata, "source": source,
    }
    return Sample(sorted(chosen), design)


def _listed_domains(path: Path) -> list[str]:
    """The domains of a plain list (the first word of each line) or of a zone file, compressed or not; none
    when the file is something else (a WHOIS response)."""
    from auditor.compressed import open_input, read_at_most
    from auditor.importers import starts_like_a_zone_file
    from auditor.sources import MAX_SOURCE_BYTES, parse_source, read_domains

    with open_input(path) as handle:
        text = read_at_most(handle, MAX_SOURCE_BYTES).decode("utf-8", errors="replace")
    if starts_like_a_zone_file(text[:65536]):
        return read_domains(parse_source(f"zone:{path}")).domains
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln.split()[0] for ln in lines if ln and not ln.startswith(("#", ";", "%"))]
    return lines if lines and all(looks_like_domain(ln) for ln in lines) else []


def read_units(path: Path, stratify: str | None) -> list[tuple[str, str]]:
    """(domain, stratum) units from a domain list, a CSV export or a directory of responses."""
    if stratify not in (None, "registrar", "tld"):
        raise InputError(f"--stratify {stratify!r}: use registrar or tld")
    from auditor.compressed import format_suffix
    from auditor.importers import TABLE_SUFFIXES, discover, import_file

    if path.is_file() and format_suffix(path) not in (*TABLE_SUFFIXES, ".json", ".jsonl", ".xml"):
        names = _listed_domains(path)
        if names:
            if stratify == "registrar":
                raise InputError("a plain domain list has no registrars; stratify by tld, or sample an export")
            return [(normalise_domain(d), normalise_domain(d).rsplit(".", 1)[-1]) for d in names]
    from auditor.parse import parse
    from auditor.records import RegistrationRecord

    files, missing = discover([path])
    if missing:
        raise InputError(f"{path}: {missing[0].error}")
    units = []
    for file in files:
        for raw in import_file(file).records:
            outcome = parse(raw)
            if isinstance(outcome, RegistrationRecord):
                stratum = registrar_label(outcome.registrar) if stratify == "registrar" else outcome.tld
                units.append((outcome.domain, stratum))
    if not units:
        raise InputError(f"{path}: no domains found")
    return units


def write_sample(sample: Sample, out_dir: Path, source: Path) -> tuple[Path, Path]:
    """domains.txt (for `auditor crawl`) and design.json (for `auditor audit --sample-design`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    domains = out_dir / "domains.txt"
    domains.write_text("".join(f"{d}\n" for d in sample.domains), encoding="utf-8")
    design = dict(sample.design)
    design["source_sha256"] = _sha256_of(source)
    design["domains_sha256"] = hashlib.sha256(domains.read_bytes()).hexdigest()
    design_path = out_dir / "design.json"
    design_path.write_text(json.dumps(design, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return domains, design_path


def _sha256_of(path: Path) -> str | None:
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stratified_estimate(strata: Mapping[str, Mapping[str, int]], design: Mapping[str, Any],
                        confidence: float = 0.95) -> dict[str, Any] | None:
    """Weighted proportion from per-stratum (hits, audited) counts, with a normal-approximation interval.

    p = sum_h W_h p_h with W_h = N_h / N; Var = sum_h W_h^2 (1 - n_h/N_h) p_h (1 - p_h) / (n_h - 1).
    Strata of the design with no audited record are reported as missing, not silently dropped.
    """
    population = design.get("population") or 0
    if not population:
        return None
    estimate, variance, covered = 0.0, 0.0, 0
    missing = []
    for h, info in (design.get("strata") or {}).items():
        n_pop = info["population"]
        counts = strata.get(h)
        if not counts or not counts.get("audited"):
            missing.append(h)
            continue
        n = counts["audited"]
        p = counts["hits"] / n
        weight = n_pop / population
        estimate += weight * p
        if n > 1:
            variance += weight * weight * (1 - min(n, n_pop) / n_pop) * p * (1 - p) / (n - 1)
        covered += n_pop
    if covered == 0:
        return None
    estimate = estimate * population / covered  # re-normalise over the strata actually audited
    half = z_value(confidence) * math.sqrt(variance) * population / covered
    return {"estimate": round(estimate, 4), "ci": [round(max(0.0, estimate - half), 4), round(min(1.0, estimate + half), 4)],
            "strata_missing": sorted(missing), "population_covered": covered}

