"""Phone numbers as E.164, the one form every channel and the database agree on."""

import re

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = ["mask_phone", "read_phone", "to_e164"]

TYPED_NUMBER = re.compile(r"\+?[0-9(][0-9 .\-()/]*")
"""What a person types as a number: digits with spaces, dots, dashes, brackets, slashes."""
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def to_e164(raw: str, region: str = "ID") -> str | None:
    """Normalise `0812-3456-7890`, `62812...`, `+62 812 ...`, `whatsapp:+62...` to E.164.

    For addresses a channel gives (a WhatsApp sender) and lookups. Returns None when the
    text is not a possible phone number; letters are never read as digits (`0812abc` is
    no number, not `+620812222`).
    """
    text = raw.strip().removeprefix("whatsapp:").strip()
    if not TYPED_NUMBER.fullmatch(text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_phone(typed: str, region: str = "ID") -> str | None:
    """A mobile number a person typed (`0812-3456-7890`, `+62 812 ...`) in E.164, or None.

    Stricter than `to_e164`: the number must be a valid mobile number (buyers reach it on
    WhatsApp), checked with `phonenumbers.is_valid_number`; nothing is ever "fixed" by
    dropping or translating characters, so a typo is asked about again instead of stored.
    """
    e164 = to_e164(typed, region)
    if e164 is None:
        return None
    number = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    return e164


def mask_phone(e164: str) -> str:
    """Hide the middle of a number for logs: `+6281234567890` -> `+6281****7890`."""
    if len(e164) <= 8:
        return "****"
    return e164[:5] + "****" + e164[-4:]
