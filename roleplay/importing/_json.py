"""Our transcript JSON, read leniently where the intent is clear: turns without ``index``.

People write transcript JSON by hand or from another tool as ``{"turns": [{"speaker": ...,
"text": ...}]}``; the order of the list is the order of the turns, so a missing ``index`` is
numbered 1..n instead of being refused. A list that numbers some turns and not others is
ambiguous and is refused with a message that says so.
"""

from __future__ import annotations

import json
from typing import Any

from roleplay.errors import TranscriptError
from roleplay.transcript import Transcript

__all__ = ["parse_json"]


def _numbered(data: Any, path: str | None) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        return data
    turns = data["turns"]
    if not all(isinstance(t, dict) for t in turns):
        return data
    missing = [i for i, t in enumerate(turns) if "index" not in t]
    if not missing:
        return data
    if len(missing) < len(turns):
        raise TranscriptError(
            f"turns.{missing[0]}.index is missing while other turns have one: give every turn "
            "an index (1, 2, 3 ...), or leave them all out to number the turns in list order",
            path=path)
    return {**data, "turns": [{**t, "index": i} for i, t in enumerate(turns, start=1)]}


def parse_json(text: str, *, path: str | None = None,
               transcript_id: str | None = None) -> Transcript:
    """Parse transcript JSON; turns without ``index`` are numbered in list order.

    ``transcript_id`` is the id of a transcript whose JSON has none (default: random).

    Raises:
        TranscriptError: not JSON, or not a valid transcript; names ``path`` and the field.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=path,
                              line=exc.lineno) from None
    except RecursionError:
        raise TranscriptError("not a transcript: its JSON is nested too deeply", path=path,
                              line=1) from None
    if not isinstance(data, dict):
        raise TranscriptError(f"expected a JSON object with \"turns\" (the transcript format), "
                              f"got a JSON {type(data).__name__}; `roleplay import --help` lists "
                              "the formats", path=path)
    if data.get("turns") == []:
        raise TranscriptError("the transcript has no turns", path=path)
    numbered = _numbered(data, path)
    if transcript_id and "id" not in numbered:
        numbered = {**numbered, "id": transcript_id}
    if numbered is data:
        return Transcript.from_json(text, path=path)
    return Transcript.from_json(json.dumps(numbered), path=path)
