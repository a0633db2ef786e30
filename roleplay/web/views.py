"""HTML pages as Python string templates.

Every piece of text from a persona, a transcript or a judge goes through `esc`
(``html.escape``); the browser script adds text with ``textContent`` only, so a candidate
who types ``<script>`` sees those characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from roleplay.evaluate import CriterionResult, Evaluation, Evidence
from roleplay.persona import Persona
from roleplay.report import delivery_html, overall_view
from roleplay.transcript import Turn

__all__ = ["esc", "interview_page", "message_page", "page", "personas_page", "report_page",
           "transcript_html"]

_STATUS = {"scored": "scored", "not_applicable": "not applicable",
           "insufficient_evidence": "insufficient evidence", "judge_error": "judge error"}
_COACH_TURN = re.compile(r"\bturn (\d+)")


def esc(text: object) -> str:
    """Escape untrusted text for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str, *, demo: bool, script: bool = False) -> str:
    """The layout every page shares; in demo mode a banner says the interviewer is scripted."""
    banner = ('<p class="demo" role="note"><strong>Demo mode</strong>: the interviewer and the '
              "judge are scripted stand-ins (keyword rules), not an LLM. Set OPENAI_API_KEY "
              "(and OPENAI_BASE_URL / ROLEPLAY_MODEL) for a real model.</p>") if demo else ""
    js = ('<script src="/static/voice.js" defer></script>'
          '<script src="/static/app.js" defer></script>') if script else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)} · roleplay</title>"
            f'<link rel="stylesheet" href="/static/style.css">{js}</head><body>'
            f'<header><a href="/" class="home">roleplay</a> practice</header>{banner}'
            f"<main>{body}</main></body></html>\n")


def message_page(title: str, message: str, *, demo: bool) -> str:
    """A short page for errors and notices."""
    return page(title, f"<h1>{esc(title)}</h1><p>{esc(message)}</p>"
                '<p><a href="/">Back to the interviewers</a></p>', demo=demo)


def _style(p: Persona) -> str:
    s = p.style
    text = f"warmth {s.warmth}/5, chattiness {s.verbosity}/5, scepticism {s.scepticism}/5, {s.pace}"
    return text if p.behaviour.invites_questions else text + ", never invites questions"


def personas_page(personas: Sequence[Persona], *, demo: bool, model: str,
                  runs: bool = False) -> str:
    """Pick an interviewer: one row (interviewer, role, stage, style) and a start button each."""
    rows = "".join(
        f"<tr><td><strong>{esc(p.interviewer.name)}</strong><br>{esc(p.interviewer.title)}, "
        f"{esc(p.company.name)}</td><td>{esc(p.role.title)}</td>"
        f"<td>{esc(p.stage.replace('_', ' '))}</td><td>{esc(_style(p))}</td>"
        '<td><form method="post" action="/interviews">'
        f'<input type="hidden" name="persona" value="{esc(p.id)}">'
        f'<button type="submit">Start</button></form></td></tr>'
        for p in personas
    )
    body = ("<h1>Practise an interview</h1>"
            f"<p>Choose an interviewer. Interviewer model: <code>{esc(model)}</code>.</p>"
            "<table><thead><tr><th>Interviewer</th><th>Role</th><th>Stage</th><th>Style</th>"
            f"<th></th></tr></thead><tbody>{rows}</tbody></table>"
            + '<p><a href="/draft">Practise for a real job ad</a>: paste a posting to draft '
            "an interviewer for it.</p>"
            + ('<p><a href="/runs">Eval runs</a>: agreement, flips and verdicts per case.</p>'
               if runs else ""))
    return page("Practise an interview", body, demo=demo)


def _voice_controls(no_voice: str | None) -> str:
    if no_voice is not None:
        return f'<p id="voice-note" class="notice">{esc(no_voice)}</p>'
    return ('<div id="voice"><button type="button" id="record" class="secondary" disabled>'
            "Record answer</button> "
            '<label><input type="checkbox" id="speak"> Read the questions aloud</label>'
            '<p id="voice-status" class="muted" role="status">Speak your answer: record it, '
            "check the text, then send it. Typing works too.</p></div>")


def interview_page(session_id: str, persona: Persona, *, demo: bool, answer_chars: int,
                   no_voice: str | None = None) -> str:
    """The live interview: the script fills the transcript from the event stream.

    ``no_voice`` says why answers cannot be spoken here; ``None`` shows the voice controls.
    """
    who = persona.interviewer
    body = (f'<section id="interview" data-session="{esc(session_id)}" '
            f'data-interviewer="{esc(who.name)}">'
            f"<h1>{esc(who.name)} <small>{esc(who.title)}, {esc(persona.company.name)}</small>"
            f"</h1><p>{esc(persona.role.title)} · {esc(persona.stage.replace('_', ' '))}</p>"
            "<noscript><p>This page needs JavaScript to follow the interview.</p></noscript>"
            '<ol id="turns" class="transcript" aria-live="polite"></ol>'
            '<p id="status" class="muted">Connecting…</p>'
            f"{_voice_controls(no_voice)}"
            '<form id="answer-form"><label for="answer">Your answer</label>'
            f'<textarea id="answer" name="text" rows="5" maxlength="{answer_chars}" disabled>'
            '</textarea><p id="error" class="error" role="alert"></p>'
            '<button type="submit" id="send" disabled>Send answer</button> '
            '<button type="button" id="end" class="secondary">End interview</button></form>'
            "</section>")
    return page(f"Interview with {who.name}", body, demo=demo, script=True)


# --- the report -------------------------------------------------------------------------------


def _score(c: CriterionResult) -> str:
    if c.status != "scored":
        return "—"
    return f"{c.score}/5 {'met' if c.passed else 'not met'}"


def _mark(text: str, quotes: Iterable[tuple[str, str]]) -> str:
    """``text`` escaped, each quote found in it wrapped in ``<mark>`` (first occurrence)."""
    spans: list[tuple[int, int, str]] = []
    lower = text.lower()
    for quote, label in quotes:
        q = " ".join(quote.split()).strip(" .\"'“”")
        at = lower.find(q.lower()) if q else -1
        if at >= 0 and not any(s < at + len(q) and at < e for s, e, _ in spans):
            spans.append((at, at + len(q), label))
    out, pos = [], 0
    for start, end, label in sorted(spans):
        out.append(esc(text[pos:start]))
        out.append(f'<mark title="{esc(label)}">{esc(text[start:end])}</mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def coaching_turn(coaching: str) -> int | None:
    """The turn a coaching line is anchored to (it names it: "At turn 7, ...")."""
    found = _COACH_TURN.search(coaching)
    return int(found.group(1)) if found else None


def transcript_html(turns: Sequence[Turn], evaluation: Evaluation | None, *,
                    names: dict[str, str]) -> str:
    """The transcript, each cited quote highlighted at its turn, coaching lines beside theirs."""
    evidence: dict[int, list[tuple[Evidence, CriterionResult]]] = {}
    coaching: dict[int, list[CriterionResult]] = {}
    for c in evaluation.criteria if evaluation else ():
        for ev in c.evidence:
            evidence.setdefault(ev.turn, []).append((ev, c))
        anchor = coaching_turn(c.coaching) if c.coaching else None
        if anchor is not None:
            coaching.setdefault(anchor, []).append(c)
    items = []
    for t in turns:
        cited = evidence.get(t.index, [])
        text = _mark(t.text, [(ev.quote, c.title) for ev, c in cited if ev.verified])
        notes = "".join(
            f'<li class="evidence"><a href="#c-{esc(c.id)}">{esc(c.title)}</a>: '
            f"“{esc(ev.quote)}”{'' if ev.verified else ' <em>(unverified)</em>'}</li>"
            for ev, c in cited)
        notes += "".join(f'<li class="coaching"><strong>Coaching</strong> '
                         f'(<a href="#c-{esc(c.id)}">{esc(c.title)}</a>): {esc(c.coaching)}</li>'
                         for c in coaching.get(t.index, []))
        who = t.name or names.get(t.speaker, t.speaker)
        items.append(f'<li id="t{t.index}" class="turn {esc(t.speaker)}">'
                     f'<span class="who">T{t.index} {esc(who)}</span>'
                     f'<p class="text">{text}</p>'
                     + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</li>")
    return f'<ol class="transcript">{"".join(items)}</ol>'


def _criterion(c: CriterionResult) -> str:
    cls = "met" if c.passed else "unmet" if c.passed is False else "muted"
    prov = " (provisional)" if c.provisional else ""
    evidence = "".join(
        f'<li><a href="#t{ev.turn}">T{ev.turn}</a> '
        f"{'verified' if ev.verified else 'unverified'}: “{esc(ev.quote)}”</li>"
        for ev in c.evidence)
    anchor = coaching_turn(c.coaching) if c.coaching else None
    coach = ""
    if c.coaching:
        link = f' <a href="#t{anchor}">go to T{anchor}</a>' if anchor else ""
        coach = f'<p class="coaching"><strong>Coaching:</strong> {esc(c.coaching)}{link}</p>'
    return (f'<article id="c-{esc(c.id)}" class="criterion"><h3>{esc(c.title)} '
            f'<span class="{cls}">{esc(_score(c))}</span></h3>'
            f"<p class=\"muted\">{esc(_STATUS[c.status] + prov)}</p><p>{esc(c.reason)}</p>"
            + (f'<ul class="cited">{evidence}</ul>' if evidence else "") + coach + "</article>")


def mode_note(evaluation: Evaluation, *, demo: bool) -> str:
    """Says plainly who judged: a model, the demo's scripted judge, or signals alone."""
    if evaluation.mode == "signals_only":
        return ("<p class=\"notice\"><strong>Signals only.</strong> No judge model is "
                "configured, so these are provisional verdicts computed by fixed rules from the "
                "transcript (lengths, questions, phrases), not a judge's reading of it.</p>")
    if evaluation.mode == "degenerate":
        return '<p class="notice">No judge call: the answers had no substantive content.</p>'
    who = "the demo's scripted keyword judge" if demo else f"the model {evaluation.judge_model}"
    return f'<p class="muted">Judged by {esc(who)}; every quote is checked against its turn.</p>'


def report_page(evaluation: Evaluation, turns: Sequence[Turn], persona: Persona, *,
                demo: bool) -> str:
    """The evaluation: overall, per criterion status, score, evidence, coaching; the transcript."""
    e = evaluation
    overall = overall_view(e).text
    rows = "".join(f'<tr><td><a href="#c-{esc(c.id)}">{esc(c.title)}</a></td>'
                   f"<td>{esc(_STATUS[c.status])}</td><td>{esc(_score(c))}</td></tr>"
                   for c in e.criteria)
    names = {"interviewer": persona.interviewer.name, "candidate": "You"}
    body = (f'<h1>Your interview report</h1><p>With {esc(persona.interviewer.name)} for '
            f"{esc(persona.role.title)}. Overall: <strong>{esc(overall)}</strong></p>"
            f"{mode_note(e, demo=demo)}"
            "<table><thead><tr><th>Criterion</th><th>Status</th><th>Score</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            + (delivery_html(e.signals.delivery) if e.signals.delivery is not None else "")
            + '<div class="report"><section><h2>Criteria</h2>'
            f"{''.join(_criterion(c) for c in e.criteria)}</section>"
            f"<section><h2>Transcript</h2>{transcript_html(turns, e, names=names)}</section></div>"
            '<p><a href="/">Practise again</a></p>')
    return page("Interview report", body, demo=demo)
