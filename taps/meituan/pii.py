"""Receiver masks for food-delivery payloads (Meituan, Ele.me).

Neither platform sends a ready-made mask (Douyin does): the order carries the receiver's name and a
phone number (often a privacy relay number, ``13800001111_1234`` or ``13800001111,1234``). The taps
derive the mask (``138****1111``, ``张*``) *before* the PII policy nulls or hashes the plaintext, so
the canonical ``receiver_phone_masked`` / ``receiver_name_masked`` columns can be filled without a
plaintext value ever leaving the tap. (Used by tap-meituan and tap-eleme; a candidate for
``orderlayer.taps.common``.)
"""

from __future__ import annotations

import re

_EXTENSION = re.compile(r"[_,#\-\s转]+")


def mask_phone(value: object) -> str | None:
    """``13800001111`` → ``138****1111``; a privacy number keeps only its masked main part.

    A value that already contains ``*`` is a platform mask and is returned unchanged; anything
    too short to mask safely becomes ``****``.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if "*" in text:
        return text
    main = _EXTENSION.split(text, maxsplit=1)[0]
    digits = re.sub(r"\D", "", main)
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(value: object) -> str | None:
    """``张三丰`` → ``张**``: the first character, one ``*`` per further character (at least one)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if "*" in text:
        return text
    return text[0] + "*" * max(1, len(text) - 1)
