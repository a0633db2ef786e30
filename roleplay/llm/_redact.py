"""Keys out of sight: mask credentials in URLs and in text that quotes them.

Some gateways take the key in the base URL, as a password (``http://user:KEY@host/v1``) or a
query parameter (``?api-key=KEY``, ``?key=``, ``?token=`` ...). That URL then shows up in the
HTTP client's debug log, and servers echo it in error bodies ("Unknown path
/v1/?api-key=KEY..."). `mask_url` is the one way a URL is shown; `redact` applies it to every
URL in a text and masks known secret values wherever they appear; `install_log_redaction` puts
a filter on the HTTP libraries' loggers so their debug lines pass through `redact` too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

__all__ = ["MASK", "install_log_redaction", "mask_url", "redact", "remember_secrets",
           "url_secrets"]

MASK = "***"
"""What a masked value reads as."""

# Query parameters that carry credentials (compared lower-case, with "-" and "_" removed).
_SENSITIVE = frozenset({
    "key", "apikey", "apitoken", "token", "accesstoken", "authtoken", "auth", "authorization",
    "secret", "clientsecret", "password", "pwd", "sig", "signature", "subscriptionkey",
    "ocpapimsubscriptionkey", "xapikey", "sessiontoken", "credential", "credentials", "jwt",
    "bearer",
})
# A sensitive name followed by = and its value, anywhere in text (query strings, echoed paths).
_PARAM = re.compile(r"(?i)(?<![A-Za-z0-9])([A-Za-z0-9_.-]+)=([^&\s\"'<>#;,)]+)")
# scheme://userinfo@ : the userinfo part is a credential (user:password, or a bare token).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s@\"'<>]+)@")
_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "openai._base_client",
            "urllib3.connectionpool")
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def _is_sensitive(name: str) -> bool:
    return name.lower().replace("-", "").replace("_", "") in _SENSITIVE


def url_secrets(url: str) -> set[str]:
    """The credential values inside ``url``: its userinfo and its sensitive query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found: set[str] = set()
    # user:password masks the password; a bare userinfo (http://TOKEN@host) is the token.
    secret = parts.password if parts.password is not None else parts.username
    if secret:
        found.add(secret)
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if _is_sensitive(name) and value:
            found.add(value)
    return {s for s in found if len(s) >= 4}  # masking "a" everywhere would mangle text


def remember_secrets(values: Iterable[str]) -> None:
    """Mask these values in every later `redact` (e.g. the secrets of a configured base URL)."""
    with _lock:
        _secrets.update(v for v in values if len(v) >= 4)


def _mask_params(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={MASK}" if _is_sensitive(name) else match.group(0)

    return _PARAM.sub(one, text)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, sep, _password = match.group(2).partition(":")
    return f"{match.group(1)}{user}:{MASK}@" if sep else f"{match.group(1)}{MASK}@"


def mask_url(url: str) -> str:
    """``url`` as it may be shown: password (or bare userinfo) and sensitive query values masked.

    Example:
        >>> mask_url("https://user:sk-123@gw.example/v1?api-key=sk-123&api-version=2024")
        'https://user:***@gw.example/v1?api-key=***&api-version=2024'
    """
    return _mask_params(_USERINFO.sub(_mask_userinfo, url))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL masked (`mask_url`) and every known secret value replaced."""
    with _lock:
        known = set(_secrets)
    known.update(s for s in secrets if len(s) >= 4)
    # Longest first, so a secret containing another is masked whole.
    for value in sorted(known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return mask_url(text)


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) through `redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the handler's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction() -> None:
    """Filter the HTTP client and SDK loggers through `redact` (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    redacting = _RedactingFilter()
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(redacting)
