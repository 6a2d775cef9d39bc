"""Proof that nothing in a pack was altered: MANIFEST.sha256 (checkable with `sha256sum -c`), manifest.json,
and an optional Ed25519 signature of manifest.json (`manifest.json.sig`, with `cryptography`).

`verify_pack` re-hashes every file and reports what changed, what is missing and what was added.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "MANIFEST.sha256"
MANIFEST_JSON = "manifest.json"
SIGNATURE = "manifest.json.sig"
#: Files the manifest describes but cannot list (it would have to contain its own hash).
SELF = frozenset({MANIFEST, MANIFEST_JSON, SIGNATURE})


def file_sha256(path: Path) -> str:
    """Lower-case hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pack_files(root: Path) -> dict[str, str]:
    """relative POSIX path -> SHA-256 of every file in the pack except the manifests themselves."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in SELF:
            out[rel] = file_sha256(path)
    return out


def write_manifest(root: Path, meta: dict[str, Any], signing_key: Path | None = None) -> dict[str, Any]:
    """Write MANIFEST.sha256 and manifest.json (and the signature when a key is given)."""
    files = pack_files(root)
    (root / MANIFEST).write_text("".join(f"{sha}  {rel}\n" for rel, sha in files.items()), encoding="utf-8")
    manifest = {**meta, "files": files}
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (root / MANIFEST_JSON).write_text(data, encoding="utf-8")
    if signing_key is not None:
        key = load_private_key(signing_key)
        (root / SIGNATURE).write_text(base64.b64encode(key.sign(data.encode("utf-8"))).decode() + "\n", encoding="ascii")
    return manifest


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key in PEM (PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def generate_keypair(directory: Path) -> tuple[Path, Path]:
    """Write signing-key.pem (keep it secret) and signing-key.pub.pem (give it to recipients)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = directory / "signing-key.pem"
    public = directory / "signing-key.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@dataclass
class Verification:
    """What `verify_pack` found."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature: str = "not checked"  # "valid", "invalid", "absent", "not checked"
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added or self.errors) and self.signature in ("valid", "not checked")


def verify_pack(root: Path, public_key: Path | None = None) -> Verification:
    """Re-hash the pack against MANIFEST.sha256 and manifest.json; check the signature when a key is given."""
    result = Verification()
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        result.errors.append(f"{MANIFEST} is missing")
        return result
    listed: dict[str, str] = {}
    for line in manifest_path.read_text(encoding="utf-8").splitlines():
        sha, _, rel = line.partition("  ")
        if len(sha) != 64 or not rel:
            result.errors.append(f"malformed {MANIFEST} line: {line[:80]!r}")
            continue
        listed[rel] = sha
    try:
        manifest_json = json.loads((root / MANIFEST_JSON).read_text(encoding="utf-8"))
        if manifest_json.get("files") != listed:
            result.errors.append(f"{MANIFEST_JSON} and {MANIFEST} disagree")
    except (OSError, json.JSONDecodeError) as exc:
        result.errors.append(f"{MANIFEST_JSON} unreadable: {exc}")
    actual = pack_files(root)
    for rel, sha in listed.items():
        if rel not in actual:
            result.missing.append(rel)
        elif actual[rel] != sha:
            result.changed.append(rel)
    result.added = sorted(set(actual) - set(listed))
    if public_key is not None:
        sig_path = root / SIGNATURE
        if not sig_path.is_file():
            result.signature = "absent"
            result.errors.append("the pack is not signed")
        else:
            try:
                load_public_key(public_key).verify(base64.b64decode(sig_path.read_text().strip()),
                                                   (root / MANIFEST_JSON).read_bytes())
                result.signature = "valid"
            except (InvalidSignature, ValueError) as exc:
                result.signature = "invalid"
                result.errors.append(f"signature does not verify: {type(exc).__name__}")
    return result
