"""Exceptions with a one-line docstring that doubles as the default message, and a slug for the docs."""

from __future__ import annotations


class AuditorError(Exception):
    """The auditor could not do what was asked."""

    slug = "auditor-error"

    def __init__(self, message: str | None = None, **details: object) -> None:
        super().__init__(message or (self.__doc__ or "").strip())
        self.details = details


class ConfigError(AuditorError):
    """The configuration or a command-line option is invalid."""

    slug = "config-error"


class StoreError(AuditorError):
    """The database could not be opened or written."""

    slug = "store-error"


class InputError(AuditorError):
    """An input file could not be read."""

    slug = "input-error"


class DecodeError(AuditorError):
    """The bytes are not text in any encoding we recognise."""

    slug = "decode-error"
