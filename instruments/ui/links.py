"""What a link copied from a document or a mail brings along besides its code.

Invitation links (``?t=``) and opt-out links (``?optout=``) carry a code made by
``secrets.token_urlsafe``: letters, digits, "-" and "_" only.  Both pages clean the
values of the address the same way before the store looks the code up.
"""

from __future__ import annotations

import re
from typing import Any

#: What is never part of an invitation or opt-out code (``secrets.token_urlsafe``:
#: letters, digits, "-" and "_").
_NOT_IN_TOKEN = re.compile(r"[^A-Za-z0-9_-]+")


def link_value(value: Any) -> Any:
    """A link's code without the characters a copied link brings along.

    A soft hyphen or a zero-width space a word processor or mail program put in to break
    a long line, the full stop or bracket of the sentence the link ended, a space where
    the link was broken across two lines: a code has none of them, and the link had been
    refused as not valid.  Anything but a string is returned as it is.

    Parameters
    ----------
    value
        One value of the address (``st.query_params.get_all``).

    Returns
    -------
    Any
        The value without those characters.
    """
    return _NOT_IN_TOKEN.sub("", value) if isinstance(value, str) else value
