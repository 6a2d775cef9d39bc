"""WHOIS label vocabulary as data: which label means which field of which role.

Labels are folded (lower case, punctuation to spaces, single spaces) before look-up. A label is
resolved in three steps, first hit wins:

1. the registry's own table (`auditor.parse.registry`), for labels that mean something special there;
2. `RECORD_LABELS`, domain-level fields (dates, registrar, status, name servers);
3. composition: an optional role word (`ROLE_WORDS`) followed by a field word (`FIELD_WORDS`),
   so "Registrant Phone", "Tech E-mail", "Holder Postal Code" and "admin c" need no entry each.

>>> resolve_label("Registrant E-mail")
('registrant', 'email')
>>> resolve_label("Creation Date")
('record', 'created_at')
>>> resolve_label("Tech Contact Phone Number")
('technical', 'phone')
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD_RE = re.compile(r"[^0-9a-z\u00c0-\uffff]+")
_PAREN_RE = re.compile(r"\([^)]*\)")
_COUNTER_RE = re.compile(r"\s?\d{1,2}$")


@lru_cache(maxsize=16384)
def fold_label(label: str) -> str:
    """Canonical label key: 'Registrant E-Mail......' -> 'registrant e mail'; '(dd/mm/yyyy)' notes dropped."""
    if "(" in label:
        label = _PAREN_RE.sub(" ", label)
    if not label.isascii():  # 'Data de expiração' = 'data de expiracao'
        label = "".join(ch for ch in unicodedata.normalize("NFKD", label) if not unicodedata.combining(ch))
    return " ".join(_FOLD_RE.sub(" ", label.lower()).split())


def label_variants(label: str) -> tuple[str, ...]:
    """A bilingual label 'Nome de domínio / Domain Name' is tried as a whole, then part by part (last first)."""
    if "/" not in label or "://" in label:
        return (label,)
    parts = [p for p in _PAREN_RE.sub(" ", label).split("/") if p.strip()]
    return (label, *reversed(parts)) if len(parts) > 1 else (label,)


#: Domain-level labels -> record field.
RECORD_LABELS: dict[str, str] = {
    # domain name
    "domain name": "domain", "domain": "domain", "domainname": "domain", "domain name ascii": "domain",
    "domain name punycode": "domain", "domain information domain name": "domain", "dominio": "domain",
    "nome dominio": "domain", "query": "domain", "ace": "domain", "domain ace": "domain",
    "nom de domaine": "domain", "nombre de dominio": "domain", "nome de dominio": "domain", "domeinnaam": "domain",
    "domenenavn": "domain", "complete domain name": "domain", "domaine": "domain", "dominio registrado": "domain", "domain name u label": "ignore",
    # registrar
    "registrar": "registrar", "sponsoring registrar": "registrar", "registrar name": "registrar",
    "registrar organization": "registrar", "registrar organisation": "registrar", "reseller": "reseller",
    "registration service provider": "registrar", "registrar handle": "registrar_handle",
    "sponsoring registrar organization": "registrar", "registrar of record": "registrar",
    "registrar company": "registrar", "authorized agency": "registrar", "provider": "registrar",
    "registrar iana id": "registrar_iana_id", "sponsoring registrar iana id": "registrar_iana_id",
    "registrar url": "registrar_url", "registrar whois server": "referral", "whois server": "referral",
    "referralserver": "referral", "referral url": "registrar_url",
    # dates
    "creation date": "created_at", "created": "created_at", "created on": "created_at",
    "created date": "created_at", "registered": "created_at", "registered on": "created_at",
    "registration date": "created_at", "registration time": "created_at", "domain registered": "created_at",
    "domain record activated": "created_at", "record created": "created_at", "registered date": "created_at",
    "domain create date": "created_at", "create date": "created_at", "activated": "created_at",
    "registration": "created_at", "registrado": "created_at", "data registrazione": "created_at",
    "fecha de registro": "created_at", "fecha de creacion": "created_at", "first registration date": "created_at",
    "domain registration date": "created_at", "created at": "created_at", "commencement date": "created_at",
    "creation": "created_at", "domain created": "created_at", "date created": "created_at",
    "registration date time": "created_at", "registrant date": "created_at", "owner since": "created_at",
    "updated date": "updated_at", "last updated": "updated_at", "changed": "updated_at",
    "last modified": "updated_at", "modified": "updated_at", "last update": "updated_at",
    "updated": "updated_at", "last updated on": "updated_at", "updated on": "updated_at",
    "domain last updated": "updated_at", "record last updated": "updated_at", "last updated date": "updated_at",
    "domain record last updated": "updated_at", "last modification date": "updated_at",
    "modified date": "updated_at", "ultima modifica": "updated_at", "update date": "updated_at",
    "last changed": "updated_at", "modification date": "updated_at", "domain updated date": "updated_at",
    "expiry date": "expires_at", "expiration date": "expires_at", "registry expiry date": "expires_at",
    "expires": "expires_at", "expires on": "expires_at", "paid till": "expires_at",
    "renewal date": "expires_at", "registrar registration expiration date": "expires_at",
    "expire date": "expires_at", "expiration time": "expires_at", "domain expiration date": "expires_at",
    "record expires on": "expires_at", "valid until": "expires_at", "expire": "expires_at",
    "domain expires": "expires_at", "expiry": "expires_at", "scadenza": "expires_at",
    "fecha de vencimiento": "expires_at", "expired": "expires_at", "validity": "expires_at",
    "domain expiry date": "expires_at", "expires at": "expires_at", "registry expiration date": "expires_at",
    "exp date": "expires_at", "date of expiry": "expires_at", "expiration": "expires_at",
    "date registered": "created_at", "entry created": "created_at", "entry updated": "updated_at",
    "dateregistered": "created_at", "registration date and time": "created_at",
    "free date": "free_at", "datecreated": "created_at",
    "datelastmodified": "updated_at", "datebilleduntil": "expires_at",
    "record will expire on": "expires_at", "will expire on": "expires_at", "activation": "created_at",
    "renewal": "expires_at", "expiration date time": "expires_at", "paid until": "expires_at",
    "date of registration": "created_at", "date of creation": "created_at", "date of last change": "updated_at",
    "last modified date": "updated_at", "registration expiration date": "expires_at", "record expires": "expires_at",
    "data de registo": "created_at", "data de expiracao": "expires_at", "data de criacao": "created_at",
    "fecha de expiracion": "expires_at", "fecha de actualizacion": "updated_at",
    "ultima actualizacion": "updated_at", "created date time": "created_at", "changed date": "updated_at",
    "date d expiration": "expires_at", "date de creation": "created_at", "derniere modification": "updated_at",
    "current registar": "registrar", "current registrar": "registrar",  # KazNIC (sic)
    "registar created": "ignore",
    "record created on": "created_at", "record changed on": "updated_at", "record changed": "updated_at",
    "currently expires": "expires_at", "registrar registration date": "created_at", "date de mise a jour": "updated_at", "data de alteracao": "updated_at",
    "vencimiento": "expires_at", "alta": "created_at",
    "last update of whois database": "ignore", "query datetime": "ignore", "whois lookup made on": "ignore",
    "name server handle": "ignore", "nsstat": "ignore", "nslastaa": "ignore",
    # status
    "status": "statuses", "domain status": "statuses", "state": "statuses", "registration status": "statuses",
    "domain state": "statuses", "stato": "statuses", "estado": "statuses", "registry status": "statuses",
    "eppstatus": "statuses", "epp status": "statuses", "flags": "statuses",
    "statut": "statuses", "estatus": "statuses", "estatus del dominio": "statuses", "estado del dominio": "statuses",
    "domaintype": "statuses",  # DNS-LU: "domaintype: ACTIVE"
    # name servers
    "name server": "nameservers", "nameserver": "nameservers", "nserver": "nameservers",
    "nameservers": "nameservers", "name servers": "nameservers", "dns": "nameservers",
    "name servers information": "nameservers", "hostname": "nameservers", "ns": "nameservers",
    "nameserver information": "nameservers", "dns servers": "nameservers", "primary server": "nameservers",
    "secondary server": "nameservers", "servidor dns": "nameservers", "name server hostname": "nameservers",
    "current nameservers": "nameservers", "current name servers": "nameservers",  # .ws
    "domain name servers listed in order": "nameservers", "name servers listed in order": "nameservers",
    "nameservers listed in order": "nameservers", "nameserver in listed order": "nameservers",
    **{f"{nth} server {what}": "nameservers" for nth in ("primary", "secondary", "third", "fourth", "fifth", "sixth")
       for what in ("hostname", "host name", "name")},
    "domain nameservers": "nameservers", "host name": "nameservers", "dns server": "nameservers",
    "dns1": "nameservers", "dns2": "nameservers", "ns1": "nameservers", "ns2": "nameservers",
    "name server 1": "nameservers", "name server 2": "nameservers", "nameserver 1": "nameservers",
    "nameserver 2": "nameservers", "ns name": "nameservers", "name server information": "nameservers",
    "name servers in listed order": "nameservers", "servidores de nombre": "nameservers", "domain servers": "nameservers",
    "nameservers information": "nameservers", "server name": "nameservers", "nserver name": "nameservers",
}

#: Words that name a role (including RIPE-style handle references such as "admin-c").
ROLE_WORDS: dict[str, str] = {
    "registrant": "registrant", "holder": "registrant", "owner": "registrant", "domain holder": "registrant",
    "domain owner": "registrant", "domain registrant": "registrant", "titular": "registrant", "titulaire": "registrant", "org": "registrant",
    "registrant contact": "registrant", "holder c": "registrant", "owner c": "registrant",
    "registrant c": "registrant", "registrant contact information": "registrant", "licensee": "registrant",
    "organisation": "registrant", "organization": "registrant",
    "organization using domain name": "registrant",  # KazNIC (.kz)
    "admin": "administrative", "administrative": "administrative", "admin c": "administrative",
    "administrative contact": "administrative", "admin contact": "administrative",
    "administrative contact information": "administrative", "ac": "administrative",
    "administrative contact agent": "administrative",  # KazNIC's "Administrative Contact/Agent"
    "adm": "administrative", "tec": "technical",  # DNS-LU's "adm-name", "tec-email"
    "tech": "technical", "technical": "technical", "tech c": "technical", "technical contact": "technical",
    "tech contact": "technical", "technical contact information": "technical", "tc": "technical",
    "zone c": "technical",
    "billing": "billing", "bill": "billing", "billing c": "billing", "billing contact": "billing",
    "billing contact information": "billing",
}

#: Words that name a contact field.
FIELD_WORDS: dict[str, str] = {
    "name": "name", "contact name": "name", "person": "name", "contact": "name", "full name": "name",
    "nombre": "name", "nom": "name", "personname": "name", "person name": "name", "contact person": "name", "name surname": "name",
    # a name in two parts (HKIRC, ATI): joined into the name when no whole name is given
    "given name": "first_name", "first name": "first_name", "firstname": "first_name", "forename": "first_name",
    "family name": "last_name", "last name": "last_name", "lastname": "last_name", "surname": "last_name",
    "organization": "organization", "organisation": "organization", "org": "organization",
    "company": "organization", "company name": "organization", "organization name": "organization",
    "organisation name": "organization", "org name": "organization", "organizacion": "organization",
    "company english name": "organization",  # HKIRC
    "email": "email", "e mail": "email", "mail": "email", "email address": "email", "e mail address": "email",
    "contact email": "email", "correo": "email", "courriel": "email",
    "phone": "phone", "telephone": "phone", "tel": "phone", "phone number": "phone", "voice": "phone",
    "telephone number": "phone", "phone no": "phone", "telefono": "phone", "telefon": "phone",
    "fax": "fax", "fax number": "fax", "facsimile": "fax", "fax no": "fax", "fax tel": "fax",
    "street": "street", "address": "street", "street address": "street", "address line": "street",
    "addr": "street", "street1": "street", "street2": "street", "street3": "street", "direccion": "street",
    "address 1": "street", "address 2": "street", "address 3": "street", "postal address": "street",
    "city": "city", "town": "city", "locality": "city", "ciudad": "city", "ville": "city", "post town": "city",
    "state": "region", "province": "region", "state province": "region", "region": "region",
    "county": "region", "prefecture": "region", "stateprovince": "region", "estado": "region",
    "postal code": "postcode", "postcode": "postcode", "zip": "postcode", "zip code": "postcode",
    "post code": "postcode", "postalcode": "postcode", "zipcode": "postcode", "codigo postal": "postcode",
    "country": "country", "country code": "country", "cc": "country", "pais": "country", "pays": "country",
    "country name": "country", "countrycode": "country", "country region": "country",
    "id": "handle", "handle": "handle", "nic hdl": "handle", "contact id": "handle", "nic handle": "handle",
    "registry id": "handle",
    "type": "kind", "registrant type": "kind", "contact type": "kind",
    "company number": "identifier", "registration number": "identifier", "vat": "identifier",
    "vat number": "identifier", "org number": "identifier", "organization number": "identifier",
    "company registration number": "identifier", "id number": "identifier",
}

#: Role headers that carry the handle as their value ("admin-c: ABC-123").
HANDLE_REFERENCE_LABELS: dict[str, str] = {
    "holder c": "registrant", "registrant c": "registrant", "owner c": "registrant",
    "admin c": "administrative", "tech c": "technical", "billing c": "billing", "zone c": "technical",
    "registrant": "registrant", "holder": "registrant", "admin": "administrative",
    "administrative contact": "administrative", "technical contact": "technical", "tech": "technical",
    "billing": "billing", "owner": "registrant", "billing contact": "billing", "registrant id": "registrant",
    "admin id": "administrative", "tech id": "technical", "billing id": "billing",
    "registrant contact id": "registrant", "admin contact id": "administrative",
    "tech contact id": "technical", "billing contact id": "billing",
    # ICANN's RDDS format (2013 RAA, RDAP-era WHOIS): the registry's id of each contact object
    "registry registrant id": "registrant", "registry admin id": "administrative", "registry tech id": "technical",
    "registry billing id": "billing",
}

#: Labels that open a handle-keyed contact object (RIPE-style blocks).
HANDLE_OBJECT_LABELS = frozenset({"nic hdl", "contact", "nic handle", "handle", "contact id", "id",
                                  "nic hdl br"})  # Registro.br

_FIELD_SUFFIXES = sorted(FIELD_WORDS, key=len, reverse=True)
_ROLE_PREFIXES = sorted(ROLE_WORDS, key=len, reverse=True)


@lru_cache(maxsize=16384)
def resolve_label(label: str) -> tuple[str, str] | None:
    """Map a label to ("record", field) or (role, field); None when unknown."""
    for variant in label_variants(label):
        found = _resolve_one(variant)
        if found is not None:
            return found
    return None


def _resolve_one(label: str) -> tuple[str, str] | None:
    key = fold_label(label)
    if not key:
        return None
    if key.endswith(" loc") and key != "loc":
        # Hostmaster.ua writes each value twice: "person" (Latin script) and "person-loc" (as registered)
        return _resolve_one(key[: -len(" loc")])
    if key in RECORD_LABELS:
        return ("record", RECORD_LABELS[key])
    # "Domain Name Commencement Date", "Domain Nameservers", "ns_name_01", "NS 1": the record word after
    # a "domain"/"record" prefix or before a counter
    for prefix in ("domain name ", "domain ", "record ", "registry "):
        if key.startswith(prefix) and key[len(prefix) :] in RECORD_LABELS:
            return ("record", RECORD_LABELS[key[len(prefix) :]])
    stem = _COUNTER_RE.sub("", key)
    if stem != key and stem in RECORD_LABELS:
        return ("record", RECORD_LABELS[stem])
    for prefix in _ROLE_PREFIXES:
        if key.startswith(prefix + " "):
            rest = key[len(prefix) + 1 :]
            rest = rest.removeprefix("contact ").removeprefix("s ")
            rest = _COUNTER_RE.sub("", rest) if rest not in FIELD_WORDS else rest  # "address1" (.nz)
            if rest in FIELD_WORDS:
                return (ROLE_WORDS[prefix], FIELD_WORDS[rest])
            for suffix in _FIELD_SUFFIXES:
                if rest.endswith(" " + suffix) or rest == suffix:
                    return (ROLE_WORDS[prefix], FIELD_WORDS[suffix])
    if key in FIELD_WORDS:
        return ("", FIELD_WORDS[key])  # a bare field word: the role comes from the section
    return None


@lru_cache(maxsize=16384)
def role_of_header(label: str) -> str | None:
    """Role named by a section header such as 'Registrant Contact Information' or '[Holder]'."""
    for variant in label_variants(label):
        found = _role_of_one(variant)
        if found is not None:
            return found
    return None


def _role_of_one(label: str) -> str | None:
    key = fold_label(label)
    key = key.removesuffix(" information").removesuffix(" details").removesuffix(" data")
    key = key.removesuffix(" info").removesuffix("s")
    if key in ROLE_WORDS:
        return ROLE_WORDS[key]
    key = key.removesuffix(" contact")
    return ROLE_WORDS.get(key)
