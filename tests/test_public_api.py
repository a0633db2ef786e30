"""The public surface: each package's ``__all__`` is pinned, and ``import roleplay`` stays light.

A name added to or removed from a package's ``__all__`` must be added to or removed from
`PUBLIC` below on purpose (as httpx pins its exported members).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

PUBLIC = {
    "roleplay": """
        Action AskCandidate AskInterviewer AsyncCandidate AsyncChatModel AsyncOpenAIChatModel
        BudgetExceededError Candidate CandidateProfile CandidateReply CandidateView ChatModel
        ChatRequest ChatResponse ConfigError ContentFilterError CriterionResult Evaluation
        Evaluator Evidence Finished HumanCandidate Interview InterviewState InterviewerMove
        JudgeCache JudgeOutputError LLMCandidate Leak Message MissingAPIKeyError ModelAPIError
        ModelConnectionError ModelOutputError ModelSettings ModelTimeoutError OpenAIChatModel
        OutputTruncatedError Persona QuotaExceededError RateLimitError RefusalError
        ResponseFormat RoleplayError Rubric Scenario ScriptedCandidate Signals SpokenTimes
        StructuredOutputError StructuredResult Transcript TranscriptError Turn
        UnsupportedFeatureError Usage __version__ acomplete_structured adraft_persona
        complete_structured compute_signals count_messages count_text draft_persona estimate_cost
        find_leaks list_candidates list_personas load_candidate load_persona load_rubric
        load_transcript parse_plain_text print_report render
    """,
    "roleplay.cli": """
        main
    """,
    "roleplay.evals": """
        Agreement AgreementStats Baseline BaselineVerdict BatchOptions CaseEstimate CaseFile
        CaseLabel CaseRecord Comparison EvalCase EvalReport EvalSuite Flip Item ItemResult
        JudgeConfig ManyResult Mode ModelResolver ReportFormat RunEstimate RunInfo RunOptions
        RunStore StatChange SuiteConfig SuiteError SuiteResult ThresholdConfig ThresholdMiss
        Thresholds Tolerance aevaluate_many arun_suite build_report case_json_schema
        check_thresholds compare default_model_resolver estimate_suite evaluate_many
        load_baseline load_suite make_baseline measure_agreement render_estimate render_report
        run_suite save_baseline suite_json_schema
    """,
    "roleplay.evaluate": """
        CheckAnswer CriterionResult DEFAULT_MAX_PROMPT_TOKENS Evaluation Evaluator Evidence
        Firing JUDGE_TEMPLATE JUDGE_TEMPLATE_VERSION JudgeCache RULES Signals Status
        build_judge_request compute_signals render_rules render_transcript reply_model
        verify_quote
    """,
    "roleplay.importing": """
        FORMATS InputFormat MAX_TRANSCRIPT_BYTES detect_format label_key load_transcript
        parse_plain_text
        parse_transcript render_srt render_text render_vtt role_of
    """,
    "roleplay.llm": """
        AdaptiveLimiter AsyncChatModel AsyncOpenAIChatModel AsyncSleepFunction ChatModel
        ChatRequest ChatResponse DEFAULT_BASE_URL DEFAULT_MAX_CONCURRENCY DEFAULT_MODEL
        DEFAULT_START_CONCURRENCY DeltaCallback Message ModelConfig ModelSettings
        OpenAIChatModel ResponseFormat RetryPolicy SleepFunction StructuredResult Usage
        WrapperModel acomplete_structured attach build_model complete_structured read_config
        unwrap
    """,
    "roleplay.testing": """
        BatchScript CharacterBreak FakeClock Fault FaultSchedule FunctionChatModel
        OpenAICompatServer PassK RecordedRequest Reply Responder ScriptedChatModel ServerReply
        VerdictAssertionError VerdictMismatch as_chat_function asimulate assert_in_character
        assert_no_leaks assert_verdicts candidate_responder character_breaks draft_responder
        interviewer_responder judge_responder pass_k request_body simulate simulation_responder
    """,
    "roleplay.web": """
        Limits VoiceEndpoint create_app server_options
    """,
    "roleplay.drafting": """
        DRAFT_SYSTEM_PROMPT MAX_POSTING_CHARS PRACTICE_NOTE PersonaDraft STYLE_PRESETS
        adraft_persona build_draft_request clean_posting draft_persona html_to_text
        persona_problems
        persona_yaml posting_tag read_posting unstated_fields write_persona
    """,
}
# Packages whose ``__init__`` only re-exports: nothing public in their namespace is missing from
# ``__all__`` (``roleplay.importing`` and ``roleplay.cli`` still hold their implementation).
REEXPORT_ONLY = ("roleplay", "roleplay.drafting", "roleplay.evals", "roleplay.evaluate",
                 "roleplay.llm", "roleplay.testing", "roleplay.web")


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC[package].split()
    assert len(set(module.__all__)) == len(module.__all__)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing


@pytest.mark.parametrize("package", REEXPORT_ONLY)
def test_every_public_name_of_a_package_is_in_all(package: str) -> None:
    module = importlib.import_module(package)
    public = {name for name, value in vars(module).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public <= set(module.__all__), sorted(public - set(module.__all__))


def test_names_public_functions_take_are_exported() -> None:
    import roleplay
    import roleplay.evals
    import roleplay.llm
    from roleplay.evals.batch import BatchOptions
    from roleplay.llm._limiter import AdaptiveLimiter
    from roleplay.prompts import InterviewerMove
    from roleplay.session import Finished

    assert roleplay.llm.AdaptiveLimiter is AdaptiveLimiter  # run_suite(limiter=...)
    assert roleplay.evals.BatchOptions is BatchOptions  # run_suite(batch=...)
    assert roleplay.InterviewerMove is InterviewerMove  # InterviewState.record_interviewer
    assert roleplay.Finished is Finished  # InterviewState.next_action


def _fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    return result.stdout.strip()


def test_importing_roleplay_does_not_import_the_openai_sdk() -> None:
    out = _fresh("import sys, roleplay, roleplay.llm, roleplay.evaluate\n"
                 "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openai'))")
    assert out == "[]"


def test_the_adapters_still_load_from_the_package_on_first_use() -> None:
    out = _fresh("import sys, roleplay\n"
                 "from roleplay import OpenAIChatModel\n"
                 "from roleplay.llm import AsyncOpenAIChatModel\n"
                 "import roleplay.llm.openai as adapter\n"
                 "print(OpenAIChatModel is adapter.OpenAIChatModel, "
                 "AsyncOpenAIChatModel is adapter.AsyncOpenAIChatModel, 'openai' in sys.modules, "
                 "'OpenAIChatModel' in dir(roleplay))")
    assert out == "True True True True"
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchModel'"):
        importlib.import_module("roleplay").NoSuchModel  # noqa: B018
