"""Non-UTF-8 WHOIS text is decoded, not mangled; raw bytes stay as they came."""

from __future__ import annotations

import pytest

from auditor.decode import decode, looks_binary
from auditor.errors import DecodeError
from tests.conftest import PEER_FIXTURES


@pytest.mark.parametrize(
    ("text", "encoding", "tld"),
    [
        ("Registrant Name: Jürgen Müller\nRegistrant City: München\n", "latin-1", None),
        ("Registrant Name: Jürgen Müller\nRegistrant Street: Mönckebergstraße 7\n", "cp1252", "de"),
        ("Registrant Name: 山田 太郎\nRegistrant City: 千代田区\n", "shift_jis", "jp"),
        ("Registrant Name: 山田 太郎\nRegistrant City: 千代田区\n", "shift_jis", None),
        ("Registrant Name: 김 민준\nRegistrant City: 서울특별시\n", "euc_kr", "kr"),
        ("Registrant Name: 김 민준\nRegistrant City: 서울특별시\n", "euc_kr", None),
        ("person: Иван Петров\naddress: Москва\n", "koi8_r", "ru"),
        ("Registrant Name: Doğan Şirketi\n", "cp1254", "tr"),
    ],
)
def test_legacy_encodings_round_trip(text: str, encoding: str, tld: str | None) -> None:
    result = decode(text.encode(encoding), tld=tld)
    assert result.text == text
    assert result.encoding  # the guess is recorded


def test_utf8_and_bom() -> None:
    assert decode("Name: Zoë".encode()).encoding == "utf-8"
    assert decode(b"\xef\xbb\xbfName: x").text == "Name: x"


def test_binary_is_refused_with_a_reason() -> None:
    assert looks_binary(bytes(range(256)))
    with pytest.raises(DecodeError, match="binary"):
        decode(bytes(range(256)) * 4)


def test_peer_windows_1252_sample() -> None:
    path = PEER_FIXTURES / "io-developer-php-whois" / "encoding" / "encoding.fin.in.txt"
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    expected = (path.parent / "encoding.fin.out.txt").read_bytes().decode("utf-8")
    assert decode(path.read_bytes(), tld="fi").text.replace("\r\n", "\n") == expected.replace("\r\n", "\n")


@pytest.mark.parametrize(("name", "tld"), [("fin", None), ("ukr", "ua"), ("ukr", None)])
def test_peer_encoding_samples_without_a_tld_hint(name: str, tld: str | None) -> None:
    path = PEER_FIXTURES / "io-developer-php-whois" / "encoding" / f"encoding.{name}.in.txt"
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    expected = (path.parent / f"encoding.{name}.out.txt").read_bytes().decode("utf-8")
    assert decode(path.read_bytes(), tld=tld).text.replace("\r\n", "\n") == expected.replace("\r\n", "\n")


def test_turkish_windows_1254_answer_with_its_tld() -> None:
    path = PEER_FIXTURES / "io-developer-php-whois" / "tld" / ".tr" / "google.com.tr-win1252.txt"
    if not path.exists():
        pytest.skip("../shared/peer-fixtures is not present")
    result = decode(path.read_bytes(), tld="tr")
    assert "Bilişim Yayıncılık Ticaret A.Ş." in result.text and result.encoding == "cp1254"
