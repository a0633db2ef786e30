"""Paste a job posting, review the drafted interviewer, then practise with it.

=====================================  =====================================================
``GET  /draft``                        the form: paste a posting, pick stage and style
``POST /draft``                        draft a persona with the interviewer model; shows it
                                       as YAML in a textarea to review and edit
``POST /draft/start``                  validate the (edited) YAML like a persona file; on
                                       success save it and start the interview (303 to it),
                                       otherwise show the errors beside the YAML
=====================================  =====================================================

The posting and the YAML are the person's text: sizes are capped before reading, every value
shown is escaped, posts must come from this origin, and the YAML is read with the same safe
loader and checks as a persona file. A saved draft lives in the sessions folder under a random
``draft-...`` id, so a reload or a restart resumes its interview.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final, cast, get_args

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from roleplay.cv import MAX_CV_CHARS, check_cv
from roleplay.drafting import (
    MAX_POSTING_CHARS,
    STYLE_PRESETS,
    adraft_persona,
    persona_problems,
    persona_yaml,
)
from roleplay.errors import ConfigError, RoleplayError
from roleplay.llm.base import AsyncChatModel
from roleplay.persona import Persona, Stage, load_persona
from roleplay.web.views import esc, page

__all__ = ["DRAFT_PREFIX", "drafts_dir", "routes"]

DRAFT_PREFIX: Final = "draft-"
"""The id prefix of personas drafted in the web app (saved under the sessions folder)."""
_MAX_YAML: Final = 40_000
_MAX_FORM: Final = 3 * MAX_POSTING_CHARS + 2000  # URL-encoding can triple the size


def drafts_dir(sessions_dir: Path) -> Path:
    """Where the web app keeps drafted personas."""
    return sessions_dir / "drafts"


def _stage_options(chosen: str) -> str:
    options = [("", "let the draft choose")] + [(s, s.replace("_", " ")) for s in get_args(Stage)]
    return "".join(f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}'
                   "</option>" for v, t in options)


def _style_options(chosen: str) -> str:
    options = [("", "let the draft choose")] + [(s, s) for s in STYLE_PRESETS]
    return "".join(f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}'
                   "</option>" for v, t in options)


def _cv_field(cv: str) -> str:
    # The CV is the candidate's own text: data for the interviewer, never instructions.
    return ('<label for="cv">Your CV (optional: the interviewer asks about it)</label>'
            f'<textarea id="cv" name="cv" rows="10" maxlength="{MAX_CV_CHARS}">{esc(cv)}'
            "</textarea>")


def posting_page(*, demo: bool, posting: str = "", stage: str = "", style: str = "",
                 error: str | None = None, cv: str = "") -> str:
    """The form to paste a posting into."""
    body = ("<h1>Practise for a real job ad</h1>"
            "<p>Paste the job posting (text, Markdown or the page's HTML). An interviewer is "
            "drafted from it; you can read and change the draft before the interview starts."
            "</p>"
            + (f'<p class="error" role="alert">{esc(error)}</p>' if error else "")
            + '<form method="post" action="/draft">'
            '<label for="posting">Job posting</label>'
            f'<textarea id="posting" name="posting" rows="16" maxlength="{MAX_POSTING_CHARS}" '
            f'required>{esc(posting)}</textarea>'
            f'<label for="stage">Stage</label><select id="stage" name="stage">'
            f"{_stage_options(stage)}</select> "
            f'<label for="style">Style</label><select id="style" name="style">'
            f"{_style_options(style)}</select>"
            + _cv_field(cv)
            + '<p><button type="submit">Draft the interviewer</button></p></form>')
    return page("Practise for a job ad", body, demo=demo)


def review_page(text: str, *, demo: bool, drafted: Sequence[str],
                errors: Sequence[str] = (), cv: str = "") -> str:
    """The drafted persona as editable YAML, with the practice facts and any errors listed."""
    practice = ("<p>Not in the posting, invented for practice (marked <code>PRACTICE FACT</code>"
                " below; they are not the employer's real process): "
                + ", ".join(f"<code>{esc(d)}</code>" for d in drafted) + ".</p>"
                ) if drafted else ""
    problems = ("<div class=\"error\" role=\"alert\"><p>The persona is not valid yet:</p><ul>"
                + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul></div>") if errors else ""
    body = ("<h1>Review the interviewer</h1>"
            "<p>This is the drafted persona. Change anything you like (the format is in the "
            "README's <em>Persona format</em>), then start the interview.</p>"
            + practice + problems
            + '<form method="post" action="/draft/start">'
            '<label for="persona-yaml">Persona (YAML)</label>'
            f'<textarea id="persona-yaml" name="yaml" rows="30" maxlength="{_MAX_YAML}" '
            f'spellcheck="false" required>{esc(text)}</textarea>'
            + _cv_field(cv)
            + '<p><button type="submit">Start the interview</button> '
            '<a href="/draft">Start over</a></p></form>')
    return page("Review the interviewer", body, demo=demo)


def routes(
    model: AsyncChatModel,
    sessions_dir: Path,
    *,
    demo: bool,
    headers: dict[str, str],
    same_origin: Callable[[Request], bool],
    read_form: Callable[[Request, int], Awaitable[dict[str, list[str]] | None]],
    start: Callable[[Persona, str | None], str],
) -> list[Route]:
    """The ``/draft`` routes.

    Args:
        model: Drafts the persona (the interviewer model).
        sessions_dir: Drafted personas are saved in its ``drafts`` folder.
        demo: Demo mode (scripted drafter), for the banner.
        headers: Security headers for every response.
        same_origin: Whether a POST comes from this site.
        read_form: The form of a request, or None when it is larger than the limit.
        start: Starts an interview with a persona (and the candidate's CV, if given) and
            returns its page's URL.
    """

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=headers)

    def refused() -> HTMLResponse:
        return html(page("Refused", "<h1>Refused</h1><p>Cross-site request refused.</p>",
                         demo=demo), 403)

    async def form(request: Request) -> Response:  # noqa: ARG001 - Starlette's signature
        return html(posting_page(demo=demo))

    async def draft(request: Request) -> Response:
        if not same_origin(request):
            return refused()
        fields = await read_form(request, _MAX_FORM)
        if fields is None:
            return html(posting_page(demo=demo, error=f"The posting is too long: at most "
                                     f"{MAX_POSTING_CHARS} characters."), 413)
        posting = fields.get("posting", [""])[0]
        cv = fields.get("cv", [""])[0]
        stage = fields.get("stage", [""])[0]
        style = fields.get("style", [""])[0]
        if stage not in ("", *get_args(Stage)) or style not in ("", *STYLE_PRESETS):
            return html(posting_page(demo=demo, posting=posting,
                                     error="Choose a stage and a style from the lists."), 422)
        try:
            persona = await adraft_persona(posting, model, stage=cast(Stage, stage) or None,
                                           style=style or None, source="The pasted posting")
        except ConfigError as exc:
            return html(posting_page(demo=demo, posting=posting, stage=stage, style=style,
                                     error=str(exc)), 422)
        except RoleplayError:
            return html(posting_page(demo=demo, posting=posting, stage=stage, style=style,
                                     error="The model could not draft a valid interviewer "
                                     "from this posting; try again, or paste less of the "
                                     "page."), 502)
        text = persona_yaml(persona, source="pasted posting")
        return html(review_page(text, demo=demo, drafted=persona.drafted, cv=cv))

    async def begin(request: Request) -> Response:
        if not same_origin(request):
            return refused()
        fields = await read_form(request, 3 * (_MAX_YAML + MAX_CV_CHARS) + 200)
        text = fields.get("yaml", [""])[0] if fields is not None else ""
        given_cv = fields.get("cv", [""])[0] if fields is not None else ""
        if fields is None or len(text) > _MAX_YAML:
            return html(review_page(text[:_MAX_YAML], demo=demo, drafted=[], errors=[
                f"The persona is too long: at most {_MAX_YAML} characters."]), 413)
        try:
            cv = check_cv(given_cv) if given_cv.strip() else None
        except ValueError as exc:
            return html(review_page(text, demo=demo, drafted=[], cv=given_cv[:MAX_CV_CHARS],
                                    errors=[f"Your CV: {exc}."]), 422)
        folder = drafts_dir(sessions_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{DRAFT_PREFIX}{secrets.token_hex(8)}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            persona = load_persona(path)
            errors = persona_problems(persona)
        except ConfigError as exc:
            # The message names our file; the person only knows "the persona".
            errors = [str(exc).replace(f"{path}: ", "", 1)]
            persona = None
        if errors or persona is None:
            path.unlink(missing_ok=True)
            return html(review_page(text, demo=demo, drafted=[], errors=errors, cv=given_cv),
                        422)
        return RedirectResponse(start(persona, cv), status_code=303, headers=headers)

    return [
        Route("/draft", form, methods=["GET"]),
        Route("/draft", draft, methods=["POST"]),
        Route("/draft/start", begin, methods=["POST"]),
    ]
