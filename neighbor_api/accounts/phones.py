"""Phone numbers: every phone the API stores or compares is E.164 (+8613800000001)."""

from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str | None) -> str | None:
    """A mainland China mobile number in E.164 (+8613800000001), or None if it is not one."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) is not phonenumbers.PhoneNumberType.MOBILE
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
