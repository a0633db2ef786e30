r"""Text from transcripts and servers made safe to print on a terminal.

A transcript (or a judge reply, or a server's error body) can hold terminal escape sequences:
``ESC ] 0 ; title BEL`` retitles the window, ``ESC [ 31 m`` recolours everything after it, and
bidirectional overrides (U+202E) make text read differently from what it is. `terminal_safe`
shows each such character as a visible escape (``\x1b``, ``\u202e``) instead of sending it, so
the terminal prints what the text contains and does nothing else. Only displays use it: saved
transcripts and JSON keep the text exactly as it was.
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069). Carriage return is included: it moves the cursor
# back and lets later text overwrite what came before on the same line.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    r"""``text`` with control characters and bidi overrides shown as visible escapes.

    Newlines and tabs are kept.

    Example:
        >>> terminal_safe("hi\x1b]0;owned\x07 there")
        'hi\\x1b]0;owned\\x07 there'
    """
    return _UNSAFE.sub(_visible, text)
