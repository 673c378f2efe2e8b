"""Phone numbers as E.164, the one form every channel and the database agree on."""

import phonenumbers

__all__ = ["mask_phone", "to_e164"]


def to_e164(raw: str, region: str = "ID") -> str | None:
    """Normalise `0812-3456-7890`, `62812...`, `+62 812 ...`, `whatsapp:+62...` to E.164.

    Returns None when the text is not a possible phone number.
    """
    text = raw.strip().removeprefix("whatsapp:").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return None
    if not text.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Hide the middle of a number for logs: `+6281234567890` -> `+6281****7890`."""
    if len(e164) <= 8:
        return "****"
    return e164[:5] + "****" + e164[-4:]
