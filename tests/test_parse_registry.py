"""The parser registry (servers.toml, profiles.toml): coverage of the ccTLDs, consistency, registry policies."""

from __future__ import annotations

import json
import re

import idna
import pytest

from auditor.parse.registry import profile_for, profiles_by_server, server_for, tld_table
from tests.conftest import PEER_FIXTURES


def _peer_cctlds() -> list[str]:
    readme = PEER_FIXTURES / "README.md"
    if not readme.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    m = re.search(r"before the evaluation share was set aside\): \d+ —\n(.*?)\n", readme.read_text("utf-8"))
    assert m, "the peer README's ccTLD list moved"
    return sorted({t if t.isascii() else idna.encode(t).decode() for t in m.group(1).split()})


def test_every_cctld_recorded_by_a_peer_has_an_entry() -> None:
    tlds = _peer_cctlds()
    assert len(tlds) > 150
    missing = [t for t in tlds if t not in tld_table()]
    assert not missing


def test_each_entry_has_a_server_or_says_why_not() -> None:
    for entry in tld_table().values():
        assert entry.servers or entry.note, entry.tld


def test_current_servers_match_the_peers_maps() -> None:
    maps = PEER_FIXTURES / "whois-servers"
    if not maps.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    weppos = json.loads((maps / "weppos-whois-tld.json").read_text("utf-8"))
    php: dict[str, set[str]] = {}
    for item in json.loads((maps / "php-whois-module.tld.servers.json").read_text("utf-8")):
        php.setdefault(item["zone"].lstrip("."), set()).add(item["host"])
    unknown = [(e.tld, e.servers[0]) for e in tld_table().values() if e.servers
               and e.servers[0] != weppos.get(e.tld, {}).get("host") and e.servers[0] not in php.get(e.tld, set())
               and e.tld != "dk"]  # .dk moved to whois.punktum.dk in 2023, after both maps
    assert not unknown


def test_every_profile_server_belongs_to_a_tld() -> None:
    hosts = {h for e in tld_table().values() for h in e.servers} | {h for e in tld_table().values() for _z, h in e.zones}
    assert set(profiles_by_server()) <= hosts | {"whois.freenom.com"}


@pytest.mark.parametrize(
    ("server", "tld", "name"),
    [("whois.denic.de", None, "denic"), (None, "de", "denic"), ("file", "jp", "jprs"), (None, "tk", "freenom"),
     ("WHOIS.EU", None, "eurid"), (None, "zz", "generic"), ("whois.dk-hostmaster.dk", "dk", "punktum")],
)
def test_profile_lookup_by_server_then_tld(server: str | None, tld: str | None, name: str) -> None:
    assert profile_for(server, tld).name == name


def test_policies_withhold_roles_and_zones() -> None:
    assert set(profile_for("whois.denic.de", None).withheld_roles) >= {"registrant", "administrative"}
    assert profile_for(None, "eu").withheld_roles == ("registrant",)
    assert profile_for(None, "jp").date_offset_hours == 9
    assert profile_for(None, "ml").day_first is False
    assert server_for("de") == "whois.denic.de" and server_for("ao") is None


def test_parser_and_crawler_server_maps_agree() -> None:
    """Two maps, two questions: servers.toml says which profile reads a server's answers (old hosts
    included, for recordings); the crawler's whois-servers.json says whom to ask and how. Where both
    know a ccTLD, the crawler asks the host the parser lists first, or says why it asks none."""
    import json
    import tomllib

    from tests.conftest import ROOT

    parser_map = tomllib.loads((ROOT / "auditor/parse/registries/servers.toml").read_text("utf-8"))
    crawler_zones = json.loads((ROOT / "auditor/data/whois-servers.json").read_text("utf-8"))["zones"]
    disagree = []
    for tld, entry in parser_map.items():
        crawl = crawler_zones.get(tld)
        if crawl is None or not entry.get("servers"):
            continue
        if crawl.get("servers"):
            if crawl["servers"][0] not in entry["servers"]:
                disagree.append((tld, entry["servers"], crawl["servers"]))
        elif not crawl.get("note"):
            disagree.append((tld, entry["servers"], crawl))
    assert disagree == []
