"""Reports of an `Evaluation`: terminal (rich), plain text, Markdown, self-contained HTML, JSON.

Every renderer is pure (evaluation in, text out) except `print_report`, which writes to a rich
console. Transcript text is untrusted: HTML escapes all of it (a candidate line holding
``<script>`` renders as text; the page has no scripts and loads nothing from the network),
Markdown escapes HTML and Markdown syntax, and the terminal report never interprets it as rich
markup.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from roleplay._display import terminal_safe
from roleplay._report_delivery import COLUMNS, delivery_rows, delivery_summary
from roleplay.evaluate import CriterionResult, Evaluation, Evidence
from roleplay.evaluate.policy import rule
from roleplay.evaluate.signals import Delivery
from roleplay.transcript import Transcript, Turn

__all__ = ["Format", "OverallView", "delivery_html", "overall_view", "print_report", "render",
           "to_dict"]

Format = Literal["text", "md", "html", "json"]

_STATUS_LABEL = {
    "scored": "scored",
    "not_applicable": "not applicable",
    "insufficient_evidence": "insufficient evidence",
    "judge_error": "judge error",
}


@dataclass(frozen=True)
class OverallView:
    """The overall score as reports show it: only over most of the applicable criteria.

    A mean of one scored criterion out of eight says little about an interview, and reads as if
    it said much; so an overall is shown only when more than half of the criteria that apply
    (all but ``not_applicable``) were scored, and otherwise the report says how many were.
    """

    score: float | None
    """The overall score, or None when too few criteria were scored to show one."""
    passed: bool | None
    """The rubric's overall verdict, None with ``score``."""
    scored: int
    """Criteria scored."""
    applicable: int
    """Criteria that apply (all but ``not_applicable``)."""

    @property
    def needed(self) -> int:
        """Scored criteria an overall needs: more than half of the applicable ones."""
        return self.applicable // 2 + 1

    @property
    def text(self) -> str:
        """One line: the score and its basis, or why there is none."""
        if self.score is not None:
            verdict = "passed" if self.passed else "not passed"
            return (f"{self.score:.2f} / 5 ({verdict}), over {self.scored} of "
                    f"{self.applicable} criteria")
        if self.scored == 0:
            return "no overall score (nothing scored)"
        return (f"no overall score: {self.scored} of {self.applicable} applicable criteria "
                f"scored, and an overall needs at least {self.needed}")


def overall_view(evaluation: Evaluation) -> OverallView:
    """The overall score to show for ``evaluation`` (see `OverallView`)."""
    applicable = [c for c in evaluation.criteria if c.status != "not_applicable"]
    scored = sum(1 for c in applicable if c.status == "scored")
    enough = evaluation.overall is not None and scored * 2 > len(applicable)
    return OverallView(score=evaluation.overall if enough else None,
                       passed=evaluation.passed if enough else None,
                       scored=scored, applicable=len(applicable))


def to_dict(evaluation: Evaluation) -> dict[str, Any]:
    """The JSON report as a dict: ``rubric``, ``criteria``, ``overall``, ``usage``, ``signals``."""
    e = evaluation
    shown = overall_view(e)
    return {
        "transcript_id": e.transcript_id,
        "rubric": {"id": e.rubric_id, "version": e.rubric_version, "fingerprint": e.fingerprint},
        "mode": e.mode,
        "judge_model": e.judge_model,
        # None unless most applicable criteria were scored (see OverallView).
        "overall": shown.score,
        "passed": shown.passed,
        "overall_basis": {"scored": shown.scored, "applicable": shown.applicable,
                          "needed": shown.needed, "text": shown.text},
        "criteria": [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "score": c.score,
                "passed": c.passed,
                "provisional": c.provisional,
                "reason": c.reason,
                "evidence": [ev.model_dump(mode="json") for ev in c.evidence],
                "coaching": c.coaching,
                "applied_rules": list(c.applied_rules),
                "review_flags": list(c.review_flags),
                "checklist": [a.model_dump(mode="json") for a in c.checklist],
                "sample_scores": list(c.sample_scores),
                "agreement": c.agreement,
                "raw": c.raw,
            }
            for c in e.criteria
        ],
        "usage": {**e.usage.model_dump(mode="json"), "total_tokens": e.usage.total_tokens},
        "cost_usd": e.cost_usd,
        "judge_calls": e.judge_calls,
        "cache_hits": e.cache_hits,
        "cache_versions": list(e.cache_versions),
        "roleplay_version": e.roleplay_version,
        "samples": e.samples,
        "flags": list(e.flags),
        "signals": e.signals.model_dump(mode="json"),
    }


def _score_text(c: CriterionResult) -> str:
    if c.status != "scored":
        return "—"
    verdict = "met" if c.passed else "not met"
    return f"{c.score}/5 ({verdict})"


def _overall_text(e: Evaluation) -> str:
    return overall_view(e).text


def _speakers_note(transcript: Transcript | None) -> str | None:
    # An imported file whose roles were guessed on thin evidence: the whole report may grade
    # the wrong person, so say it at the top.
    info = transcript.imported if transcript is not None else None
    return f"the roles may be wrong: {info.doubt}" if info is not None and info.doubt else None


def _judge_text(e: Evaluation) -> str:
    if e.mode == "signals_only":
        return "signals only (provisional, no judge)"
    if e.mode == "degenerate":
        return "no judge call (degenerate input)"
    cost = "cost unknown" if e.cost_usd is None else f"${e.cost_usd:.4f}"
    samples = f", {e.samples} samples" if e.samples > 1 else ""
    u = e.usage
    tokens = (f"{u.prompt_tokens:,} prompt tokens ({u.cached_tokens:,} cached) + "
              f"{u.completion_tokens:,} completion")
    text = (f"{e.judge_model}{samples}: {e.judge_calls} call(s), {e.cache_hits} cache hit(s), "
            f"{tokens}, {cost}")
    other = [v for v in e.cache_versions if v != e.roleplay_version]
    if other:
        text += (f"; cached replies written by roleplay {', '.join(other)} "
                 f"(this is {e.roleplay_version})")
    return text


def _signal_lines(e: Evaluation) -> list[str]:
    # The same code-made facts the judge saw (turn numbers, counts, labels; no transcript text).
    return [line.removeprefix("- ") for line in e.signals.facts().splitlines()]


def _rule_line(rule_id: str) -> str:
    try:
        return f"{rule_id}: {rule(rule_id).description}"
    except KeyError:
        return rule_id


# --- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~>])")


def _who(turn: Turn) -> str:
    # A panel's interviewers are told apart by name; the role stays visible beside it.
    return f"{turn.name} ({turn.speaker})" if turn.name else turn.speaker


def _md(text: str) -> str:
    """Escape untrusted text for inline Markdown: HTML first, then Markdown syntax."""
    one_line = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def _md_evidence(ev: Evidence) -> str:
    mark = "✓ verified" if ev.verified else "✗ unverified"
    note = f" ({_md(ev.note)})" if ev.note else ""
    return f"- T{ev.turn} {mark}: “{_md(ev.quote)}”{note}"


def _render_md(e: Evaluation, transcript: Transcript | None) -> str:
    out = [f"# Interview evaluation: {_md(e.transcript_id)}", ""]
    out.append(f"- Rubric: **{_md(e.rubric_id)}** version {_md(e.rubric_version)}, fingerprint "
               f"`{e.fingerprint[:16]}`")
    out.append(f"- Judge: {_md(_judge_text(e))}")
    out.append(f"- Overall: **{_overall_text(e)}**")
    if note := _speakers_note(transcript):
        out.append(f"- Speakers: **{_md(note)}**")
    out.append("")
    out.append("| Criterion | Status | Score |")
    out.append("|---|---|---|")
    for c in e.criteria:
        out.append(f"| {_md(c.title)} (`{c.id}`) | {_STATUS_LABEL[c.status]} | {_score_text(c)} |")
    for c in e.criteria:
        out += ["", f"## {_md(c.title)} (`{c.id}`)", ""]
        prov = " (provisional)" if c.provisional else ""
        out.append(f"**Status:** {_STATUS_LABEL[c.status]}{prov} · **Score:** {_score_text(c)}")
        if len(c.sample_scores) > 1:
            scores = ", ".join("—" if s is None else str(s) for s in c.sample_scores)
            agreement = "" if c.agreement is None else f", agreement {c.agreement:.0%}"
            out.append(f"**Samples:** {scores}{agreement}")
        out += ["", f"**Reason:** {_md(c.reason)}"]
        if c.evidence:
            out += ["", "**Evidence:**", *(_md_evidence(ev) for ev in c.evidence)]
        if c.checklist:
            out += ["", "**Checklist:**"]
            out += [f"- {'yes' if a.answer else 'no'}: {_md(a.question)}" for a in c.checklist]
        if c.applied_rules:
            out += ["", "**Rules applied:**", *(f"- {_md(_rule_line(r))}" for r in c.applied_rules)]
        if c.review_flags:
            out += ["", "**Review:**", *(f"- {_md(f)}" for f in c.review_flags)]
        if c.coaching:
            out += ["", f"**Coaching:** {_md(c.coaching)}"]
        if c.raw:
            out += ["", "**Raw judge reply:**", "", "```text", c.raw.replace("```", "'''"), "```"]
    if e.flags:
        out += ["", "## Notes", "", *(f"- {_md(f)}" for f in e.flags)]
    if (d := e.signals.delivery) is not None:
        out += ["", "## Delivery", "", _md(delivery_summary(d))]
        if d.answers:
            out += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
            out += ["| " + " | ".join(row) + " |" for row in delivery_rows(d)]
    out += ["", "## Signals", "", *(f"- {_md(line)}" for line in _signal_lines(e))]
    if transcript is not None:
        out += ["", "## Transcript", ""]
        out += [f"- **T{t.index} {_md(_who(t))}:** {_md(t.text)}" for t in transcript.turns]
    return "\n".join(out) + "\n"


# --- HTML -----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1d1d1f;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.35rem .5rem;
text-align:left}th{background:#f4f4f6}
.met{color:#0a6b2d}.unmet{color:#a4161a}.muted{color:#666}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.85em;
background:#eee}.ok{background:#d8f3dc}.bad{background:#ffd6d6}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #ccc}
.coaching{background:#f0f6ff;padding:.5rem .7rem;border-radius:.3rem}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}
.turn{margin:.2rem 0}.candidate{background:#fafaf0}
"""


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def delivery_html(d: Delivery, *, link: bool = True) -> str:
    """The "Delivery" section as HTML: the summary, then a row per answer.

    With ``link`` each row links to its turn's ``#t<N>`` anchor.
    """
    parts = [f'<h2 id="delivery">Delivery</h2><p>{_h(delivery_summary(d))}</p>']
    if d.answers:
        parts.append("<table><tr>" + "".join(f"<th>{_h(c)}</th>" for c in COLUMNS) + "</tr>")
        for a, row in zip(d.answers, delivery_rows(d), strict=True):
            first = (f'<a href="#t{a.turn}">{_h(row[0])}</a>' if link else _h(row[0]))
            parts.append(f"<tr><td>{first}</td>"
                         + "".join(f"<td>{_h(cell)}</td>" for cell in row[1:]) + "</tr>")
        parts.append("</table>")
    return "".join(parts)


def _html_evidence(ev: Evidence, link: bool) -> str:
    badge = ('<span class="badge ok">verified</span>' if ev.verified
             else '<span class="badge bad">unverified</span>')
    turn = f'<a href="#t{ev.turn}">T{ev.turn}</a>' if link else f"T{ev.turn}"
    note = f' <span class="muted">({_h(ev.note)})</span>' if ev.note else ""
    return f"<li>{turn} {badge}<blockquote>{_h(ev.quote)}</blockquote>{note}</li>"


def _render_html(e: Evaluation, transcript: Transcript | None) -> str:
    link = transcript is not None
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No scripts and nothing fetched: the report is one self-contained file.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        f"<title>Interview evaluation: {_h(e.transcript_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Interview evaluation: {_h(e.transcript_id)}</h1>",
        "<p>",
        f"Rubric <strong>{_h(e.rubric_id)}</strong> version {_h(e.rubric_version)} · "
        f"fingerprint <code>{_h(e.fingerprint[:16])}</code><br>",
        f"Judge: {_h(_judge_text(e))}<br>",
        f"Overall: <strong>{_h(_overall_text(e))}</strong>",
        *([f"<br>Speakers: <strong>{_h(note)}</strong>"]
          if (note := _speakers_note(transcript)) else []),
        "</p>",
        "<table><tr><th>Criterion</th><th>Status</th><th>Score</th></tr>",
    ]
    for c in e.criteria:
        cls = "met" if c.passed else "unmet" if c.passed is False else "muted"
        parts.append(f'<tr><td><a href="#c-{_h(c.id)}">{_h(c.title)}</a></td>'
                     f"<td>{_h(_STATUS_LABEL[c.status])}</td>"
                     f'<td class="{cls}">{_h(_score_text(c))}</td></tr>')
    parts.append("</table>")
    for c in e.criteria:
        prov = " (provisional)" if c.provisional else ""
        parts.append(f'<h2 id="c-{_h(c.id)}">{_h(c.title)} <code>{_h(c.id)}</code></h2>')
        parts.append(f"<p><strong>Status:</strong> {_h(_STATUS_LABEL[c.status] + prov)} · "
                     f"<strong>Score:</strong> {_h(_score_text(c))}</p>")
        if len(c.sample_scores) > 1:
            scores = ", ".join("—" if s is None else str(s) for s in c.sample_scores)
            agreement = "" if c.agreement is None else f", agreement {c.agreement:.0%}"
            parts.append(f"<p><strong>Samples:</strong> {_h(scores + agreement)}</p>")
        parts.append(f"<p><strong>Reason:</strong> {_h(c.reason)}</p>")
        if c.evidence:
            parts.append("<p><strong>Evidence:</strong></p><ul>")
            parts += [_html_evidence(ev, link) for ev in c.evidence]
            parts.append("</ul>")
        if c.checklist:
            parts.append("<p><strong>Checklist:</strong></p><ul>")
            parts += [f"<li>{'yes' if a.answer else 'no'}: {_h(a.question)}</li>"
                      for a in c.checklist]
            parts.append("</ul>")
        if c.applied_rules:
            parts.append("<p><strong>Rules applied:</strong></p><ul>")
            parts += [f"<li>{_h(_rule_line(r))}</li>" for r in c.applied_rules]
            parts.append("</ul>")
        if c.review_flags:
            parts.append("<p><strong>Review:</strong></p><ul>")
            parts += [f"<li>{_h(f)}</li>" for f in c.review_flags]
            parts.append("</ul>")
        if c.coaching:
            parts.append(f'<p class="coaching"><strong>Coaching:</strong> {_h(c.coaching)}</p>')
        if c.raw:
            parts.append(f"<p><strong>Raw judge reply:</strong></p><pre>{_h(c.raw)}</pre>")
    if e.flags:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{_h(f)}</li>" for f in e.flags]
        parts.append("</ul>")
    if (d := e.signals.delivery) is not None:
        parts.append(delivery_html(d, link=link))
    parts.append("<h2>Signals</h2><ul>")
    parts += [f"<li>{_h(line)}</li>" for line in _signal_lines(e)]
    parts.append("</ul>")
    if transcript is not None:
        parts.append("<h2>Transcript</h2>")
        for t in transcript.turns:
            parts.append(f'<p class="turn {_h(t.speaker)}" id="t{t.index}"><strong>T{t.index} '
                         f"{_h(_who(t))}:</strong> {_h(t.text)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- terminal -------------------------------------------------------------------------------


def _renderables(e: Evaluation, transcript: Transcript | None,
                 line_chars: int | None = None) -> list[RenderableType]:
    # Every string from a transcript or a judge goes in as Text, never as markup, and through
    # terminal_safe: an escape sequence in a transcript must not reach the terminal.
    safe = terminal_safe
    header = Text()
    header.append(safe(f"Interview evaluation: {e.transcript_id}\n"), style="bold")
    header.append(safe(f"Rubric {e.rubric_id} v{e.rubric_version}  fingerprint "
                       f"{e.fingerprint[:16]}\n"))
    header.append(safe(f"Judge: {_judge_text(e)}\n"))
    header.append("Overall: ")
    shown = overall_view(e)
    header.append(safe(shown.text), style="bold yellow" if shown.score is None
                  else "bold green" if shown.passed else "bold red")
    if note := _speakers_note(transcript):
        header.append("\nSpeakers: ")
        header.append(safe(note), style="bold yellow")
    table = Table(show_lines=False)
    table.add_column("Criterion")
    table.add_column("Status")
    table.add_column("Score")
    for c in e.criteria:
        style = "green" if c.passed else "red" if c.passed is False else "yellow"
        table.add_row(Text(safe(c.title)), Text(_STATUS_LABEL[c.status]),
                      Text(safe(_score_text(c)), style=style))
    items: list[RenderableType] = [header, table]
    for c in e.criteria:
        body = Text()
        body.append("Reason: ", style="bold")
        body.append(safe(c.reason) + "\n")
        for ev in c.evidence:
            mark, style = ("✓", "green") if ev.verified else ("✗", "red")
            body.append(f"  T{ev.turn} {mark} ", style=style)
            body.append(safe(f"“{' '.join(ev.quote.split())}”"))
            if ev.note:
                body.append(safe(f" ({ev.note})"), style="dim")
            body.append("\n")
        for a in c.checklist:
            body.append(safe(f"  [{'x' if a.answer else ' '}] {a.question}\n"))
        for r in c.applied_rules:
            body.append("Rule: ", style="bold")
            body.append(safe(_rule_line(r)) + "\n")
        for f in c.review_flags:
            body.append("Review: ", style="bold yellow")
            body.append(safe(f) + "\n")
        if c.coaching:
            body.append("Coaching: ", style="bold cyan")
            body.append(safe(c.coaching) + "\n")
        if c.raw:
            body.append("Raw judge reply: ", style="bold")
            body.append(safe(c.raw[:2000]) + "\n")
        title = Text(safe(f"{c.title} — {_STATUS_LABEL[c.status]}, {_score_text(c)}"))
        items.append(Panel(body, title=title, title_align="left"))
    if e.flags:
        notes = Text()
        for f in e.flags:
            notes.append(safe(f"• {f}\n"))
        items.append(Panel(notes, title="Notes", title_align="left"))
    if (d := e.signals.delivery) is not None:
        timing = Table(*COLUMNS, show_lines=False, title=delivery_summary(d), title_justify="left")
        for row in delivery_rows(d):
            timing.add_row(*row)
        items.append(Panel(timing, title="Delivery", title_align="left"))
    facts = Text()
    for line in _signal_lines(e):
        if line_chars is not None and len(line) > line_chars:
            line = line[:line_chars].rstrip() + " [...]"
        facts.append(safe(f"• {line}\n"))
    items.append(Panel(facts, title="Signals", title_align="left"))
    if transcript is not None:
        lines = Text()
        for t in transcript.turns:
            lines.append(safe(f"T{t.index} {_who(t)}: "), style="bold")
            lines.append(safe(t.text) + "\n")
        items.append(Panel(lines, title="Transcript", title_align="left"))
    return items


def print_report(evaluation: Evaluation, console: Console | None = None,
                 transcript: Transcript | None = None, *, line_chars: int | None = None) -> None:
    """Print the terminal report to ``console`` (default: a new stdout console).

    ``line_chars`` cuts each signal fact to that many characters (for long transcripts).
    """
    out = console or Console()
    out.print(Group(*_renderables(evaluation, transcript, line_chars)))


def _render_text(e: Evaluation, transcript: Transcript | None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None, force_terminal=False,
                      legacy_windows=False, highlight=False)
    console.print(Group(*_renderables(e, transcript)))
    return buffer.getvalue()


def render(evaluation: Evaluation, fmt: Format, *, transcript: Transcript | None = None) -> str:
    """Render ``evaluation`` as ``text``, ``md``, ``html`` or ``json``.

    ``transcript`` (optional) adds the transcript itself, with evidence linked to its turns
    (JSON leaves it out), and a warning when an imported file's roles were guessed on weak
    evidence (JSON: ``speakers_note``).

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "json":
        data = to_dict(evaluation)
        if note := _speakers_note(transcript):
            data["speakers_note"] = note
        if (d := evaluation.signals.delivery) is not None:
            data["delivery"] = {"summary": delivery_summary(d), **d.model_dump(mode="json")}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _render_md(evaluation, transcript)
    if fmt == "html":
        return _render_html(evaluation, transcript)
    if fmt == "text":
        return _render_text(evaluation, transcript)
    raise ValueError(f"unknown report format {fmt!r}; use text, md, html or json")
