"""The leak check: hidden facts told before the candidate asked."""

from __future__ import annotations

from roleplay.importing import parse_plain_text
from roleplay.leaks import Leak, find_leaks
from roleplay.persona import (
    Company,
    HiddenFact,
    HiddenFacts,
    Interviewer,
    Persona,
    QuestionBank,
    Role,
    Style,
)
from roleplay.transcript import Transcript


def hidden(fact: str, *markers: str) -> HiddenFact:
    return HiddenFact(fact=fact, markers=list(markers))


PERSONA = Persona(
    id="leaky",
    interviewer=Interviewer(name="Rafael Montoya", title="Engineering Manager"),
    company=Company(name="Parcelwise", what_it_does="Online postage."),
    role=Role(title="Backend Engineer", must_haves=["Python"], team_problems=["Latency"]),
    stage="hiring_manager",
    style=Style(warmth=2, verbosity=2, scepticism=5, pace="steady"),
    questions=QuestionBank(behavioural=["Tell me about an incident."]),
    hidden_facts=HiddenFacts(
        next_steps=hidden("A system design session with two staff engineers.",
                          "system design session", "two staff engineers"),
        timeline=hidden("Decision by November 8th.", "November 8th", "code freeze"),
        decision_maker=hidden("Lena Basu can veto any hire.", "Lena Basu", "veto"),
        contact=hidden("Email jonah.pike@parcelwise.example or call +1 416 555 0173.",
                       "jonah.pike@parcelwise.example", "416 555 0173"),
        other={"salary_range": hidden("CA$150,000 to CA$170,000.", "150,000", "170,000")},
    ),
)


def transcript(text: str) -> Transcript:
    return parse_plain_text(text)


def test_a_volunteered_fact_is_a_leak() -> None:
    leaks = find_leaks(transcript(
        "Interviewer: Hi. Tell me about an incident.\n"
        "Candidate: Our checkout went down for three hours.\n"
        "Interviewer: Thanks. We'll decide by November 8th, and the next step is a SYSTEM "
        "DESIGN   session. Goodbye.\n"
        "Candidate: Thank you.\n"
    ), PERSONA)
    assert leaks == [
        Leak(topic="next_steps", turn=3, marker="system design session",
             excerpt="Thanks. We'll decide by November 8th, and the next step is a SYSTEM "
                     "DESIGN session. Goodbye."),
        Leak(topic="timeline", turn=3, marker="November 8th",
             excerpt="Thanks. We'll decide by November 8th, and the next step is a SYSTEM "
                     "DESIGN session. Goodbye."),
    ]


def test_a_fact_told_after_the_candidate_asked_is_fine() -> None:
    leaks = find_leaks(transcript(
        "Interviewer: Any questions for me?\n"
        "Candidate: What are the next steps, and when can I expect to hear back?\n"
        "Interviewer: A system design session with two staff engineers; decision by November "
        "8th.\n"
    ), PERSONA)
    assert leaks == []


def test_asking_about_one_topic_does_not_license_another() -> None:
    leaks = find_leaks(transcript(
        "Interviewer: Any questions?\n"
        "Candidate: Who should I contact if I have questions later?\n"
        "Interviewer: Email jonah.pike@parcelwise.example. Lena Basu will have the final say.\n"
    ), PERSONA)
    assert [(leak.topic, leak.marker) for leak in leaks] == [("decision_maker", "Lena Basu")]


def test_markers_match_whole_words_only() -> None:
    leaks = find_leaks(transcript(
        "Interviewer: Has a manager ever vetoed your design? We love two staff engineers-ish "
        "teams.\n"
        "Candidate: Yes.\n"
        "Interviewer: Our budget was 1,150,0000 this year.\n"
    ), PERSONA)
    assert [(leak.turn, leak.marker) for leak in leaks] == [(1, "two staff engineers")]


def test_excerpts_are_cut_at_word_boundaries() -> None:
    filler = "We spent a long time talking about the weather and other things today. "
    (leak,) = find_leaks(transcript(
        f"Interviewer: {filler * 2}Lena Basu approves. {filler * 2}\nCandidate: OK.\n"), PERSONA)
    assert leak.excerpt.startswith("...") and leak.excerpt.endswith("...")
    words = set((filler * 2).split()) | {"Lena", "Basu", "approves."}
    assert set(leak.excerpt.strip(".").split()) <= words


def test_the_first_marker_in_the_turn_is_reported_once_per_topic() -> None:
    leaks = find_leaks(transcript(
        "Interviewer: Call 416 555 0173 or email jonah.pike@parcelwise.example.\n"
        "Candidate: OK.\n"
    ), PERSONA)
    assert [(leak.topic, leak.marker) for leak in leaks] == [("contact", "416 555 0173")]


def test_other_topics_are_asked_about_by_their_words_and_synonyms() -> None:
    told = "Interviewer: The range is 150,000 to 170,000.\n"
    asked_pay = "Interviewer: Questions?\nCandidate: What's the compensation like?\n" + told
    not_asked = "Interviewer: Questions?\nCandidate: How big is the team?\n" + told
    assert find_leaks(transcript(asked_pay), PERSONA) == []
    assert [leak.topic for leak in find_leaks(transcript(not_asked), PERSONA)] == ["salary_range"]


def test_candidate_words_never_count_as_leaks() -> None:
    assert find_leaks(transcript(
        "Interviewer: Hello.\n"
        "Candidate: I heard Lena Basu decides by November 8th after a system design session.\n"
    ), PERSONA) == []


def test_timeline_questions_are_recognised_in_many_forms() -> None:
    for question in ("What's the timeline?", "When will I hear from you?",
                     "How soon do you expect to decide?", "When is the decision?"):
        leaks = find_leaks(transcript(
            f"Interviewer: Questions?\nCandidate: {question}\n"
            "Interviewer: Before the code freeze, so by November 8th.\n"), PERSONA)
        assert leaks == [], question
