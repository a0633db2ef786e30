"""Shared pieces of the benchmarks: results and their output, scripted replies, the fake judge.

Everything here talks only to `roleplay.testing.OpenAICompatServer` on 127.0.0.1: every model
is built with the server's ``base_url`` and a placeholder key, never from the environment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import statistics
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from roleplay.evals import EvalSuite, load_suite
from roleplay.evaluate import Evaluator
from roleplay.llm.base import ChatRequest
from roleplay.llm.openai import AsyncOpenAIChatModel
from roleplay.rubric import Criterion, Rubric
from roleplay.transcript import Transcript, Turn

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (the benchmarks run from a checkout)."""
GOLD = ROOT / "evals" / "gold"
"""The labelled gold suite."""
MODEL = "gpt-4o-mini"
"""The model name sent to the local server (it picks the tokenizer the server counts with)."""
API_KEY = "sk-benchmark-local-only"
"""Placeholder key: the local server accepts anything."""
PERSONA = "sceptical-eng-manager"
"""The interviewer persona of the interview benchmarks (no fixed opening line)."""


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    """One benchmark's outcome: a table for people and one JSON object for machines."""

    name: str
    """The benchmark name (the ``benchmark`` key of the JSON line)."""
    title: str
    """The table title."""
    columns: Sequence[str]
    """Table column headers."""
    rows: Sequence[Sequence[str]]
    """Table rows, already formatted."""
    data: dict[str, Any]
    """The JSON line's fields besides ``benchmark`` (must include ``ratio``)."""
    notes: list[str] = field(default_factory=list)
    """Lines printed under the table."""

    def json_line(self) -> str:
        """The one-line JSON summary, ``benchmark`` first."""
        return json.dumps({"benchmark": self.name, **self.data}, separators=(", ", ": "))


def print_result(result: Result, out: TextIO, *, json_only: bool = False) -> None:
    """Print the table (unless ``json_only``), then the JSON line."""
    if not json_only:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=out, width=110, highlight=False)
        table = Table(title=result.title, title_justify="left")
        for i, column in enumerate(result.columns):
            table.add_column(column, justify="left" if i == 0 else "right")
        for row in result.rows:
            table.add_row(*row)
        console.print(table)
        for note in result.notes:
            console.print(note, soft_wrap=True)
    out.write(result.json_line() + "\n")
    out.flush()


def median_ms(samples: Sequence[float]) -> float:
    """The median of durations in seconds, in milliseconds."""
    return statistics.median(samples) * 1000.0


def r4(value: float) -> float:
    """``value`` rounded to 4 decimals (JSON output)."""
    return round(value, 4)


# ---------------------------------------------------------------------------------------------
# Interviews: a scripted interviewer (server side) and a scripted candidate

_QUESTIONS = (
    "Tell me about a time you had to debug a production incident under pressure. What did you "
    "personally do, and what was the outcome?",
    "You mentioned working across teams. Walk me through a disagreement with another team "
    "about priorities and how it was resolved.",
    "How do you decide when a piece of code is good enough to ship? Give me a concrete example "
    "from the last year.",
    "Describe a project that failed or slipped badly. What would you do differently now, and "
    "what did you change afterwards?",
    "Our ingestion pipeline misses its morning deadline a few times a month. How would you "
    "approach that in your first few weeks here?",
    "Tell me about a time you mentored someone. What changed for them, and how do you know?",
)


def interviewer_move(body: Mapping[str, Any]) -> dict[str, Any]:
    """A valid `InterviewerMove` reply chosen from the request's last message.

    The choice depends only on the last message (the candidate's latest words), so identical
    requests get identical replies, and a trimmed request gets the same reply as the untrimmed
    one: benchmarks that compare the two then differ only in what they measure.
    """
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    question = _QUESTIONS[zlib.crc32(last.encode("utf-8")) % len(_QUESTIONS)]
    return {"utterance": f"Thanks, that's helpful. {question}",
            "phase": "interviewer_questions", "end_interview": False}


_ANSWERS = (
    "Sure. At my current company I own the ingestion workers for the claims platform: about "
    "three hundred partners send files every night, and the adjudication run starts at five. "
    "Last spring the nightly run started failing two or three times a month because one "
    "partner changed their file format without notice, and each failure meant a manual rerun "
    "and angry calls from the clinics the next morning. I wrote a schema check that runs as "
    "soon as a file lands, quarantined bad files instead of failing the whole batch, and set "
    "up an alert that goes straight to the partner's technical contact with the exact field "
    "that broke. I also added a dashboard so support could see quarantined files themselves. "
    "Within a month the failed runs went from three a month to zero, and the support team "
    "stopped getting early-morning calls. The lesson I took was to fail small and loudly.",
    "The clearest example was with the payments team, who wanted us to freeze our schema for a "
    "whole quarter while they migrated their ledger. That would have blocked two features we "
    "had promised to customers. I booked an hour with their lead, and instead of arguing about "
    "priorities we went through which fields they actually read: it turned out to be eleven "
    "out of about ninety. We agreed to version only those eleven fields, and I wrote the "
    "compatibility layer myself over two sprints, with contract tests that ran in both teams' "
    "pipelines. They finished their migration on time, we kept shipping, and both managers "
    "later used the contract tests as the model for other cross-team changes. What I would "
    "repeat is starting from the data rather than from the positions people arrive with.",
    "For me code is good enough to ship when its failure modes are known and observable, not "
    "when it is perfect. Last year I shipped a deduplication job with a known edge case around "
    "late-arriving records. Fixing it properly would have taken another three weeks, and the "
    "edge case affected maybe one record in fifty thousand. So before shipping I added a "
    "metric that counted those records, an alert when the count crossed a threshold, and a "
    "runbook describing the manual fix. The edge case did fire twice in production that year, "
    "and both times the on-call engineer fixed it in minutes from the runbook rather than "
    "paging me at night. Meanwhile the job removed about four percent of duplicate claims, "
    "which saved the adjudication team roughly a day of manual review every week.",
    "We tried to replace our old scheduler with a new orchestration tool in one big switch, "
    "and it slipped by two months. The root cause was that nobody had inventoried the implicit "
    "dependencies between jobs: some jobs relied on files another job happened to write first. "
    "On cutover night half of the downstream reports were empty. I led the recovery. I wrote a "
    "script that extracted the real dependency graph from six months of logs, we rolled back, "
    "and then we migrated in five slices instead, each with a rollback plan and a week of "
    "running both systems side by side. The last slice went live without an incident. What I "
    "changed afterwards is that every migration I run now starts with an inventory of what "
    "depends on what, and nothing moves without a tested way back.",
    "I would start by measuring before changing anything: which stage eats the time, on which "
    "nights, and for which partners. In my current role a similar investigation showed that "
    "two partners' files accounted for most of the runtime, because they were parsed row by "
    "row with a validation step that called a remote service for every record. We batched "
    "those calls, parallelised just those two partners, and brought the run from seven hours "
    "to ninety minutes without touching the other jobs. I would expect something similar here: "
    "usually a few sources cause most of the delay. In the first weeks I would want to pair "
    "with whoever owns the pipeline today, read the last few incident reports, and agree on "
    "one measurable target with you before proposing any larger change like the migration.",
    "I mentored a junior engineer who was nervous about going on call; she had joined from a "
    "data analysis background and had never debugged a production system. We agreed on a "
    "plan: she paired with me on the first three incidents, then she led while I shadowed, and "
    "after each incident we wrote down what she had learned as a runbook entry, in her words. "
    "I also set up a weekly half hour where we replayed an old incident from the logs. After "
    "two months she was running incidents on her own, and her runbook entries turned out to "
    "be the clearest ones we had. She later took over the runbook for the whole team. I know "
    "it worked because she now mentors the next hire the same way, and our time to resolve "
    "incidents dropped by about a third over those six months.",
)


def candidate_lines(count: int) -> list[str]:
    """``count`` realistic candidate answers (130-150 words each), cycling the set."""
    return [_ANSWERS[i % len(_ANSWERS)] for i in range(count)]


class BodyRecorder:
    """A responder wrapper that keeps the last request body (sequential use only)."""

    def __init__(self, responder: Callable[[Mapping[str, Any]], Any]) -> None:
        self._responder = responder
        self.last: dict[str, Any] | None = None

    def __call__(self, body: dict[str, Any]) -> Any:
        self.last = body
        return self._responder(body)


# ---------------------------------------------------------------------------------------------
# The fake judge: a verdict built from the transcript's signals, so quotes verify

_TAG = re.compile(r"<(transcript-[0-9a-f]+)>")
_LINE = re.compile(r"^\[T(\d+)\]\[(INTERVIEWER|CANDIDATE)\](?: (.*))?$")


def parse_rendered(block: str) -> Transcript:
    """Rebuild a transcript from the judge's rendering (``[T12][CANDIDATE] text`` lines).

    Raises:
        ValueError: a line has no turn marker.
    """
    texts: dict[int, list[str]] = {}
    speakers: dict[int, str] = {}
    for line in block.split("\n"):
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"not a rendered transcript line: {line[:60]!r}")
        index = int(match.group(1))
        speakers[index] = match.group(2).lower()
        texts.setdefault(index, []).append(match.group(3) or "")
    turns = tuple(
        Turn(index=i, speaker="candidate" if speakers[i] == "candidate" else "interviewer",
             text="\n".join(texts[i]))
        for i in sorted(texts)
    )
    return Transcript(turns=turns)


class SignalsJudge:
    """A judge for the local server: a valid verdict for every rubric criterion.

    It reads the transcript out of the judge request, scores it with the library's
    signals-only verdicts, and cites quotes the signals took from candidate turns (or, where
    the signals cannot decide, the opening words of the longest candidate turn, with a 3), so
    every quote verifies. Verdicts are memoised by transcript, so a primed judge costs the
    server almost nothing per request. Thread-safe.
    """

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self._signals = Evaluator(rubric, signals_only=True)
        self._memo: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, body: Mapping[str, Any]) -> dict[str, Any]:
        messages = body["messages"]
        # The transcript is in the first user message; a re-ask appends more messages.
        user = next(str(m["content"]) for m in messages if m["role"] == "user")
        match = _TAG.search(user)
        if match is None:
            raise ValueError("the request holds no delimited transcript")
        tag = match.group(1)
        start = user.index(f"<{tag}>") + len(tag) + 2
        block = user[start:user.index(f"</{tag}>")].strip("\n")
        key = hashlib.sha256(block.encode("utf-8")).hexdigest()
        with self._lock:
            cached = self._memo.get(key)
        if cached is not None:
            return cached
        verdict = self.verdict(parse_rendered(block))
        with self._lock:
            self._memo[key] = verdict
        return verdict

    def prime(self, requests: Iterable[ChatRequest]) -> None:
        """Compute the verdicts for these judge requests now (outside any timed region)."""
        for request in requests:
            self({"messages": [m.model_dump() for m in request.messages]})

    def verdict(self, transcript: Transcript) -> dict[str, Any]:
        """The reply object for ``transcript``."""
        evaluation = self._signals.evaluate(transcript)
        longest = max(transcript.candidate_turns(), key=lambda t: len(t.text))
        fallback = {"turn": longest.index, "quote": " ".join(longest.text.split()[:10])}
        out: dict[str, Any] = {}
        for criterion in self.rubric.criteria:
            result = evaluation.criterion(criterion.id)
            part: dict[str, Any] = {}
            if criterion.checklist:
                part["checklist"] = {item.id: result.status == "scored"
                                     for item in criterion.checklist}
            if result.status == "not_applicable":
                part.update(evidence=[], reason=result.reason[:400], applicable=False,
                            score=None)
            else:
                quotes = [{"turn": e.turn, "quote": e.quote}
                          for e in result.evidence if e.verified][:3]
                score = result.score if result.status == "scored" else 3
                part.update(evidence=quotes or [fallback], reason=result.reason[:400],
                            applicable=True, score=score)
            out[criterion.id] = part
        return out


# ---------------------------------------------------------------------------------------------
# Rubric and transcript as plain text (the token floors)


def plain_transcript(transcript: Transcript) -> str:
    """The transcript as ``Interviewer: ...`` / ``Candidate: ...`` lines."""
    return "\n".join(f"{t.speaker.capitalize()}: {t.text}" for t in transcript.turns)


def criterion_text(criterion: Criterion) -> str:
    """Everything a judge reads about one criterion, as plain text (no post-processing)."""
    lines = [f"{criterion.id}: {criterion.title}", criterion.description.strip()]
    lines += [f"{level}: {anchor.strip()}" for level, anchor in sorted(criterion.levels.items())]
    if criterion.exemplar:
        lines.append(f"Example: {criterion.exemplar.strip()}")
    if criterion.not_applicable is not None:
        lines.append(f"N/A: {criterion.not_applicable.rule.strip()}")
    lines += [f"- {item.question}" for item in criterion.checklist]
    return "\n".join(lines)


def rubric_text(rubric: Rubric) -> str:
    """The rubric as a judge reads it: description and every criterion's text."""
    parts = [f"{rubric.id}: {rubric.description.strip()}"]
    parts += [criterion_text(c) for c in rubric.criteria]
    return "\n\n".join(parts)


def async_resolver(base_url: str) -> Callable[[str], AsyncOpenAIChatModel]:
    """A `roleplay.evals.ModelResolver` bound to the local server."""

    def resolve(name: str) -> AsyncOpenAIChatModel:
        return AsyncOpenAIChatModel(name, base_url=base_url, api_key=API_KEY)

    return resolve


def load_gold(cases: int | None = None) -> EvalSuite:
    """The gold suite, or its first ``cases`` cases (quick runs)."""
    suite = load_suite(GOLD)
    if cases is not None:
        suite = dataclasses.replace(suite, cases=suite.cases[:cases])
    return suite
