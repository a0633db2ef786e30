"""Reading a job posting: plain text, Markdown, or HTML pasted from a job board.

HTML is reduced to its visible text with the standard library's ``html.parser`` (scripts,
styles and other invisible parts dropped; block elements become line breaks, list items
``- `` lines). Markdown and plain text pass through with their whitespace tidied. What is left
must look like a job posting: an empty file, a binary file, a tiny snippet or text without any
of a posting's usual words is refused with a message naming the file.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from roleplay.errors import ConfigError

__all__ = ["MAX_POSTING_CHARS", "clean_posting", "html_to_text", "read_posting"]

MAX_POSTING_CHARS: Final = 40_000
"""Characters of posting text kept after markup is stripped (job ads are far shorter)."""
_MAX_RAW_BYTES: Final = 2_000_000
_MIN_WORDS: Final = 25

_LOOKS_LIKE_HTML: Final = re.compile(
    r"<(?:!doctype|html|body|div|p|ul|ol|li|h[1-6]|br|span|section|article|strong|b|table)\b",
    re.IGNORECASE)
_SKIP: Final = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe",
                          "button", "form", "nav", "footer"})
_BLOCK: Final = frozenset({"p", "div", "section", "article", "header", "main", "br", "tr",
                           "table", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
                           "h6", "blockquote", "pre", "hr", "aside"})
# Words nearly every job ad uses; a text with none of them is not a posting.
_POSTING_WORDS: Final = re.compile(
    r"\b(?:role|position|job|vacanc(?:y|ies)|responsibilit(?:y|ies)|requirements?|"
    r"qualifications?|experience|skills?|candidates?|apply|applicants?|salary|hiring|hire|"
    r"team|you will|we are looking|we're looking|join us|duties|shifts?|benefits)\b",
    re.IGNORECASE)
_INVISIBLE: Final = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u0000-\u0008"
                               "\u000b\u000c\u000e-\u001f\u007f]")


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, keeping its block structure."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in _SKIP:
            self._skipping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in _BLOCK:  # <br/>, <hr/>
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK or tag == "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of ``markup``: scripts and styles dropped, blocks on their own lines."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def _tidy(text: str) -> str:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        lines.append(line)
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def clean_posting(text: str, *, source: str = "the posting") -> str:
    """The posting's text, markup stripped, checked to look like a job posting.

    Args:
        text: Plain text, Markdown or HTML.
        source: What to call the input in error messages (a file name, "the pasted posting").

    Raises:
        ConfigError: the input is empty, too short, or has none of a job posting's usual words
            (role, responsibilities, requirements, experience, apply ...); the message names
            ``source``.
    """
    text = _INVISIBLE.sub("", text)
    if _LOOKS_LIKE_HTML.search(text):
        text = html_to_text(text)
    else:
        # Pasted text may still carry entities (&amp;) or a stray tag; drop those only.
        text = html.unescape(re.sub(r"</?[a-zA-Z][^<>]{0,200}>", " ", text))
    text = _tidy(text)
    if not text:
        raise ConfigError("the posting is empty: paste the job ad's text (plain text, Markdown "
                          "or HTML)", path=source)
    words = len(re.findall(r"\w+", text))
    if words < _MIN_WORDS or not _POSTING_WORDS.search(text):
        raise ConfigError(
            f"this does not look like a job posting ({words} words, none of a posting's usual "
            "parts such as the role, responsibilities, requirements or how to apply): paste the "
            "whole job ad", path=source)
    if len(text) > MAX_POSTING_CHARS:
        raise ConfigError(f"the posting is too long ({len(text)} characters of text; at most "
                          f"{MAX_POSTING_CHARS}): paste the job ad only", path=source)
    return text


def read_posting(path: Path) -> str:
    """Read a posting file (``.txt``, ``.md``, ``.html`` ...) and return its cleaned text.

    Raises:
        ConfigError: the file cannot be read, is not UTF-8 text, or is not a job posting; the
            message names the file.
    """
    try:
        if path.stat().st_size > _MAX_RAW_BYTES:
            raise ConfigError(f"the file is too large for a job posting (over "
                              f"{_MAX_RAW_BYTES // 1_000_000} MB)", path=str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the posting: {exc.strerror}", path=str(path)) from exc
    if b"\x00" in raw:
        raise ConfigError("this is a binary file, not a job posting: save the ad as text, "
                          "Markdown or HTML", path=str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("the posting is not UTF-8 text", path=str(path)) from exc
    return clean_posting(text, source=str(path))
