"""Draft an interviewer persona from a job posting.

`draft_persona` (and its async twin `adraft_persona`) turn a posting pasted from a job board
(text, Markdown or HTML) into a validated `Persona` with one structured call; `write_persona`
saves it as commented YAML in which every practice fact (a value the posting does not state,
listed in the persona's ``drafted`` field) is marked for a recruiter to replace.

Example:
    >>> persona = draft_persona(Path("job.txt").read_text(), model, stage="phone_screen")
    >>> write_persona(persona, Path("personas/acme-backend.yaml"), source="job.txt")
"""

from roleplay.drafting._checks import persona_problems
from roleplay.drafting._draft import adraft_persona, draft_persona, unstated_fields
from roleplay.drafting._posting import (
    MAX_POSTING_CHARS,
    clean_posting,
    html_to_text,
    read_posting,
)
from roleplay.drafting._prompt import DRAFT_SYSTEM_PROMPT, build_draft_request, posting_tag
from roleplay.drafting._schema import STYLE_PRESETS, PersonaDraft
from roleplay.drafting._yaml import PRACTICE_NOTE, persona_yaml, write_persona

__all__ = [
    "DRAFT_SYSTEM_PROMPT",
    "MAX_POSTING_CHARS",
    "PRACTICE_NOTE",
    "STYLE_PRESETS",
    "PersonaDraft",
    "adraft_persona",
    "build_draft_request",
    "clean_posting",
    "draft_persona",
    "html_to_text",
    "persona_problems",
    "persona_yaml",
    "posting_tag",
    "read_posting",
    "unstated_fields",
    "write_persona",
]
