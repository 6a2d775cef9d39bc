"""Regenerate `whois-servers.json` from the two MIT-licensed peer maps (run by hand, not at import).

    python auditor/data/derive_whois_servers.py ../shared/peer-fixtures/whois-servers > auditor/data/whois-servers.json

weppos/whois (2025-10-15) is the base: one host per zone, or why there is none (`none`: no public
port-43 service, `web`: a web form only). io-developer/php-whois (2023-01-25) adds the hosts it
lists beside the first and the query formats. `CORRECTIONS` holds the few facts both maps miss;
each says why. The output is data: a change of server is an edit of the JSON, never of code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: Servers that need more than the bare domain (the peers write "%s", the crawler "{domain}").
THIN_ADAPTERS = {"verisign", "afilias"}

#: Facts newer than the peer maps, with the reason.
CORRECTIONS: dict[str, dict[str, Any]] = {
    # DK Hostmaster became Punktum dk in 2023; the old name still answers, the new one comes first.
    "dk": {"servers": ["whois.punktum.dk", "whois.dk-hostmaster.dk"]},
}
SERVER_CORRECTIONS: dict[str, dict[str, Any]] = {
    "whois.punktum.dk": {"query": "--show-handles {domain}"},
}


def derive(folder: Path) -> dict[str, Any]:
    """The merged map: zones (TLD or second-level zone -> servers) and per-server query formats."""
    weppos = json.loads((folder / "weppos-whois-tld.json").read_text("utf-8"))
    php = json.loads((folder / "php-whois-module.tld.servers.json").read_text("utf-8"))
    zones: dict[str, dict[str, Any]] = {}
    servers: dict[str, dict[str, Any]] = {}
    for zone, spec in sorted(weppos.items()):
        if zone == "_":
            continue
        adapter = spec.get("adapter", "standard")
        entry: dict[str, Any] = {"servers": [spec["host"]] if spec.get("host") else []}
        if adapter == "none":
            entry["note"] = "no public port-43 WHOIS"
        elif adapter == "web":
            entry["note"] = f"web form only: {spec.get('url', '')}".strip()
        if adapter in THIN_ADAPTERS:
            entry["thin"] = True  # the registry refers to the registrar's server
        if spec.get("format") and spec.get("host"):
            servers.setdefault(spec["host"], {})["query"] = spec["format"].replace("%s", "{domain}")
        zones[zone] = entry
    for item in php:
        zone = item["zone"].lstrip(".")
        host = item.get("host")
        if not zone or not host:
            continue
        entry = zones.setdefault(zone, {"servers": []})
        if host not in entry["servers"] and "note" not in entry:
            entry["servers"].append(host)
        if item.get("queryFormat"):
            servers.setdefault(host, {}).setdefault("query", item["queryFormat"].replace("\r\n", "").replace("%s", "{domain}"))
    for zone, fix in CORRECTIONS.items():
        zones.setdefault(zone, {}).update(fix)
    for host, fix in SERVER_CORRECTIONS.items():
        servers.setdefault(host, {}).update(fix)
    return {
        "_": {
            "about": "TLD (or zone) -> port-43 WHOIS servers, current first; per-server query formats.",
            "sources": [
                "weppos/whois data/tld.json @ ef2ff3948a4c9dce9ef6155afc4779dab6b8e802 (2025-10-15), MIT, "
                "Copyright (c) 2009-2024 Simone Carletti",
                "io-developer/php-whois src/Iodev/Whois/Configs/module.tld.servers.json @ "
                "ea4cf52832fe8ff56fc4937138467819aa2829c1 (2023-01-25), MIT, Copyright (c) 2017 Sergey Sedyshev and other contributors",
            ],
            "licence": "MIT (both sources); see whois-servers.NOTICE.md",
            "derived_by": "auditor/data/derive_whois_servers.py",
        },
        "zones": dict(sorted(zones.items())),
        "servers": dict(sorted(servers.items())),
    }


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    json.dump(derive(Path(sys.argv[1])), sys.stdout, indent=1, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")
