"""Delivery measured in time: figures per answer, the facts, the report section, CSV columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.evaluate import Evaluator
from roleplay.evaluate._delivery import count_fillers
from roleplay.evaluate.signals import compute_signals
from roleplay.importing import load_transcript, parse_transcript
from roleplay.report import render
from roleplay.rubric import load_rubric
from roleplay.transcript import Transcript, Turn
from tests.test_audio import VTT

SRT = """1
00:00:00,000 --> 00:00:04,000
Dana: Thanks for coming in. Tell me about a project you led?

2
00:00:05,500 --> 00:00:35,500
Sam: Um, sure. So last year I led the migration of our billing system, you know, to a new \
platform. I planned the rollout, like, in three phases and we cut costs by twenty percent.

3
00:00:36,000 --> 00:00:40,000
Dana: How did you handle the risks in that?

4
00:00:41,000 --> 00:01:01,000
Sam: I wrote a rollback plan and we tested it twice before each phase. It went well, but \
uh one phase slipped a week.
"""


@pytest.mark.parametrize(("text", "n"), [
    ("Um, so, uh, I think erm it went well.", 3),
    ("It was, you know, hard.", 1),
    ("Do you know the team? You know what I mean? I know you know how it works.", 0),
    ("Like, we shipped it. It was, like, fine.", 2),
    ("I like the team and would like to join; it felt like a family, like the last one.", 0),
    ("Uh-huh. Umbrella. Humor.", 0),
])
def test_fillers_count_filler_uses_only(text: str, n: int) -> None:
    assert count_fillers(text) == n


def test_vtt_and_srt_cue_times_give_the_same_delivery(tmp_path: Path) -> None:
    vtt = parse_transcript(VTT)
    srt = parse_transcript(SRT)
    assert [(t.offset, t.end) for t in srt.turns] == [(t.offset, t.end) for t in vtt.turns] == [
        (0.0, 4.0), (5.5, 35.5), (36.0, 40.0), (41.0, 61.0)]
    assert compute_signals(vtt).delivery == compute_signals(srt).delivery


def test_a_transcript_without_times_has_no_delivery_and_unchanged_facts() -> None:
    plain = parse_transcript("Interviewer: Tell me about a project you led?\n"
                             "Candidate: I led a billing migration and we cut costs 20%.\n")
    signals = compute_signals(plain)
    assert signals.delivery is None
    assert "Delivery" not in signals.facts()


def test_starts_only_timestamps_measure_turns_to_the_next_start_and_no_pauses() -> None:
    text = ("[00:00:00] Dana: Tell me about a project you led?\n"
            "[00:00:05] Sam: I led the billing migration and we cut costs by twenty percent.\n"
            "[00:00:35] Dana: Thanks.\n")
    delivery = compute_signals(parse_transcript(text, candidate="Sam")).delivery
    assert delivery is not None and delivery.timing == "starts_only"
    answer = delivery.answers[0]
    assert answer.seconds == 30.0 and answer.pause is None
    assert delivery.fillers_kept is False and answer.fillers is None


def test_facts_for_the_judge_hold_times_and_turns_but_no_candidate_text() -> None:
    facts = compute_signals(parse_transcript(VTT)).facts()
    lines = [line for line in facts.splitlines() if "elivery" in line]
    assert lines == [
        "- Delivery (from the turn start and end times): the candidate spoke 50 s and the "
        "interviewer 8 s; talk-time share 86%.",
        "- Answer delivery (speaking time, words per minute, pause before answering, fillers "
        "per minute): T2 30 s, 68 wpm, pause 1.5 s, 6.0 fillers/min; T4 20 s, 69 wpm, "
        "pause 1.0 s, 3.0 fillers/min.",
    ]
    assert "billing" not in "\n".join(lines)


def test_silence_dropped_fillers_are_not_reported_as_zero() -> None:
    turns = (Turn(index=1, speaker="interviewer", text="Tell me about a project you led?",
                  offset=0.0, end=3.0),
             Turn(index=2, speaker="candidate", text="I led the billing migration last year.",
                  offset=4.0, end=10.0))
    delivery = compute_signals(Transcript(turns=turns)).delivery
    assert delivery is not None and delivery.answers[0].fillers_per_minute is None
    assert "fillers are not counted" in "\n".join(delivery.facts())


def test_every_report_format_has_a_delivery_section_with_its_turns() -> None:
    transcript = parse_transcript(VTT)
    evaluation = Evaluator(load_rubric(), signals_only=True).evaluate(transcript)
    md = render(evaluation, "md", transcript=transcript)
    assert "## Delivery" in md and "| T4 | T3 | 0:20 | 69 | 1.0 s | 3.0 |" in md
    html = render(evaluation, "html", transcript=transcript)
    assert '<h2 id="delivery">Delivery</h2>' in html and '<a href="#t2">T2</a>' in html
    text = render(evaluation, "text", transcript=transcript)
    assert "Delivery" in text and "Words/min" in text and "talk-time share 86%" in text
    data = json.loads(render(evaluation, "json", transcript=transcript))
    assert data["delivery"]["answers"][1]["turns"] == [4]
    assert data["delivery"]["talk_time_share"] == pytest.approx(0.8621, abs=1e-4)
    plain = parse_transcript("Interviewer: Why?\nCandidate: Because I like it.\n")
    untimed = Evaluator(load_rubric(), signals_only=True).evaluate(plain)
    assert "Delivery" not in render(untimed, "md", transcript=plain)
    assert "delivery" not in json.loads(render(untimed, "json"))


def test_bulk_csv_has_delivery_columns_when_a_transcript_has_times(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "call.vtt").write_text(VTT, encoding="utf-8")
    (folder / "notes.txt").write_text("Interviewer: Why?\nCandidate: Because I like it.\n",
                                      encoding="utf-8")
    out = tmp_path / "v.csv"
    assert main(["evaluate", str(folder), "--signals-only", "--out", str(out)]) == 0
    rows = {Path(r["file"]).name: r
            for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    timed, untimed = rows["call.vtt"], rows["notes.txt"]
    assert timed["talk_time_share"] == "0.8621" and timed["mean_pause_seconds"] == "1.25"
    assert timed["words_per_minute"] == "68.4" and timed["fillers_per_minute"] == "4.8"
    assert timed["answer_delivery"].startswith("T2 30s 68wpm pause 1.5s 6.0f/min; T4 20s")
    assert untimed["talk_time_share"] == "" and untimed["answer_delivery"] == ""


def test_loaded_vtt_file_keeps_cue_end_times(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    saved = tmp_path / "t.json"
    load_transcript(path).save(saved)
    again = Transcript.load(saved)
    assert [t.end for t in again.turns] == [4.0, 35.5, 40.0, 61.0]
    # Transcripts written before turns had an end still load.
    old = json.loads(saved.read_text(encoding="utf-8"))
    for turn in old["turns"]:
        del turn["end"]
    assert Transcript.model_validate(old).turns[1].end is None
