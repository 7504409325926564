"""Contact details hidden in free text: what the Lead Board does to a description, and what a
chat does to its messages until the client picks the business.

A client who types their number into a description, or a pro who writes "call me on 052…" in
a chat before the award, would otherwise route around the platform's one rule: the client's
details go to the business the client chose, and that reveal is logged. Phone numbers are found
with `phonenumbers` (Israeli formats and international ones), e-mail addresses and links by
pattern, and any other long run of digits is hidden as well (a number written with odd spacing
is still a number).
"""

from __future__ import annotations

import re

import phonenumbers

from ofair_app.domain import identity

HIDDEN = "•••"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A scheme, "www.", or a bare domain under a common top-level domain ("wa.me/…", "site.co.il").
_LINK = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://\S+|www\.\S+"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|me|ly|link|app|co|il)"
    r"(?:/\S*)?)")
_DIGITS = re.compile(r"\+?\d[\d\s-]{6,}\d")


def hide_contacts(text: str, *, links: bool = False) -> str:
    """`text` with every phone number and e-mail address (and, with `links`, every link)
    replaced by `HIDDEN`."""
    text = _EMAIL.sub(HIDDEN, text)
    if links:
        text = _LINK.sub(HIDDEN, text)
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, identity.DEFAULT_REGION))):
        text = text[:match.start] + HIDDEN + text[match.end:]
    return _DIGITS.sub(HIDDEN, text)
