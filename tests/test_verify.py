"""The verification facade: its fast paths agree with the libraries they stand in front of."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.verify import PhoneVerdict, check_email_syntax, check_phone

LOCAL = st.text(alphabet="abcxyz0189._+-", min_size=1, max_size=20)
LABEL = st.text(alphabet="abcz019-", min_size=1, max_size=12)
TLD = st.sampled_from(["com", "zz", "de", "test", "museum", "co.uk", "xn--p1ai", "local", "x"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(local=LOCAL, labels=st.lists(LABEL, min_size=1, max_size=3), tld=TLD)
def test_email_fast_path_agrees_with_email_validator(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join(labels)}.{tld}"
    ours = check_email_syntax(address)
    try:
        theirs = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        assert not ours.valid, address
    else:
        assert ours.valid and ours.domain == theirs.ascii_domain.lower(), address


def test_phone_read_against_the_contact_country() -> None:
    assert check_phone("030 12345678", "DE").verdict is PhoneVerdict.VALID
    assert check_phone("030 12345678", None).verdict is PhoneVerdict.NO_REGION
    assert check_phone("+44 (0)20 7123 4567", "GB").verdict is PhoneVerdict.VALID  # trunk prefix written for locals
    assert check_phone("+39 06941 88 688 (Please include country prefix)", "IT").verdict is PhoneVerdict.VALID
