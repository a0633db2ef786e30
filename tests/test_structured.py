"""The structured-output chain (json_schema -> json_object -> text) and its single re-ask."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from roleplay.errors import RefusalError, StructuredOutputError, UnsupportedFeatureError
from roleplay.llm.base import ChatRequest, ChatResponse, Message, Usage
from roleplay.llm.structured import (
    FormatMemory,
    acomplete_structured,
    complete_structured,
    extract_json,
    strict_schema,
)
from roleplay.testing import FunctionChatModel, ScriptedChatModel


class Evidence(BaseModel):
    quote: str
    turn: int


class Verdict(BaseModel):
    reason: str
    score: int = Field(ge=1, le=5)
    evidence: list[Evidence] = []
    note: str | None = None


REQUEST = ChatRequest(messages=(Message(role="system", content="Grade the answer."),
                                Message(role="user", content="I led the migration.")))
GOOD = json.dumps({"reason": "Concrete result.", "score": 4,
                   "evidence": [{"quote": "I led the migration.", "turn": 2}], "note": None})


def unsupported(step: str) -> UnsupportedFeatureError:
    return UnsupportedFeatureError(f"{step} not supported", status_code=400)


def rejecting(*formats: str, reply: str = GOOD):
    """A model that rejects the given response_format types and otherwise answers ``reply``."""

    def answer(request: ChatRequest) -> str:
        fmt = request.response_format.type if request.response_format else "text"
        if fmt in formats:
            raise unsupported(fmt)
        return reply

    return answer


def formats_sent(model: FunctionChatModel | ScriptedChatModel) -> list[str]:
    return [r.response_format.type if r.response_format else "text" for r in model.requests]


def test_json_schema_first_with_the_strict_schema():
    model = ScriptedChatModel([GOOD])
    result = complete_structured(model, REQUEST, Verdict, memory=FormatMemory())

    assert result.format == "json_schema" and result.attempts == 1
    assert result.output.evidence[0].turn == 2
    sent = model.requests[0].response_format
    assert sent is not None and sent.name == "Verdict"
    assert sent.json_schema == strict_schema(Verdict)
    # The schema is enforced by the server here, so the prompt is left alone.
    assert model.requests[0].messages == REQUEST.messages


def test_strict_schema_requires_everything_and_forbids_extras():
    schema = strict_schema(Verdict)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"reason", "score", "evidence", "note"}
    evidence = schema["$defs"]["Evidence"]
    assert evidence["additionalProperties"] is False and set(evidence["required"]) == {"quote",
                                                                                        "turn"}
    assert "default" not in json.dumps(schema)


def test_falls_back_to_json_object_with_the_schema_in_the_prompt_and_remembers():
    memory = FormatMemory()
    model = FunctionChatModel(rejecting("json_schema"), endpoint="http://llama.local/v1")

    first = complete_structured(model, REQUEST, Verdict, memory=memory)
    second = complete_structured(model, REQUEST, Verdict, memory=memory)

    assert first.format == second.format == "json_object"
    assert formats_sent(model) == ["json_schema", "json_object", "json_object"]
    system = model.requests[1].messages[0]
    assert system.role == "system" and system.content.startswith("Grade the answer.")
    assert '"score"' in system.content  # the schema travels in the prompt


def test_memory_is_per_endpoint():
    memory = FormatMemory()
    llama = FunctionChatModel(rejecting("json_schema"), endpoint="http://llama.local/v1")
    openai_like = FunctionChatModel(rejecting(), endpoint="https://api.openai.com/v1")

    complete_structured(llama, REQUEST, Verdict, memory=memory)
    result = complete_structured(openai_like, REQUEST, Verdict, memory=memory)

    assert result.format == "json_schema"
    assert formats_sent(openai_like) == ["json_schema"]
    assert memory.get("http://llama.local/v1", "gpt-4o-mini") == "json_object"


def test_text_step_extracts_fenced_json():
    fenced = f"Sure! Here is my grade:\n```json\n{GOOD}\n```\nHope that helps."
    model = FunctionChatModel(rejecting("json_schema", "json_object", reply=fenced))

    result = complete_structured(model, REQUEST, Verdict, memory=FormatMemory())

    assert result.format == "text" and result.output.score == 4
    assert result.raw == fenced
    assert formats_sent(model) == ["json_schema", "json_object", "text"]


def test_when_every_step_is_rejected_the_last_rejection_is_raised():
    def reject_all(request: ChatRequest) -> str:
        raise unsupported(request.response_format.type if request.response_format else "text")

    with pytest.raises(UnsupportedFeatureError, match="text not supported"):
        complete_structured(FunctionChatModel(reject_all), REQUEST, Verdict,
                            memory=FormatMemory())


def test_reask_with_the_validation_error_then_success_sums_usage():
    first = ChatResponse(text='{"reason": "ok", "score": 9, "evidence": [], "note": null}',
                         model="m", usage=Usage(prompt_tokens=100, completion_tokens=20, calls=1))
    second = ChatResponse(text=GOOD, model="m",
                          usage=Usage(prompt_tokens=150, completion_tokens=30, cached_tokens=64,
                                      calls=1))
    model = ScriptedChatModel([first, second])

    result = complete_structured(model, REQUEST, Verdict, memory=FormatMemory())

    assert result.attempts == 2 and result.output.score == 4
    assert len(result.errors) == 1 and "score" in result.errors[0]
    assert result.usage == Usage(prompt_tokens=250, completion_tokens=50, cached_tokens=64,
                                 calls=2)
    reask = model.requests[1].messages
    assert reask[-2] == Message(role="assistant", content=first.text)
    assert reask[-1].role == "user" and "score" in reask[-1].content
    assert model.requests[1].response_format == model.requests[0].response_format


def test_still_invalid_after_the_reask_raises_with_raw_and_errors():
    model = ScriptedChatModel(["not json at all", '{"reason": "x", "score": 0}'])

    with pytest.raises(StructuredOutputError) as info:
        complete_structured(model, REQUEST, Verdict, memory=FormatMemory())

    err = info.value
    assert err.attempts == 2 and len(err.errors) == 2
    assert err.raw == '{"reason": "x", "score": 0}'
    assert "Verdict" in str(err)
    assert model.remaining == 0


def test_max_reasks_zero_fails_after_one_reply():
    model = ScriptedChatModel(["{}", GOOD])
    with pytest.raises(StructuredOutputError) as info:
        complete_structured(model, REQUEST, Verdict, max_reasks=0, memory=FormatMemory())
    assert info.value.attempts == 1 and model.remaining == 1


def test_other_model_errors_propagate_without_fallback():
    model = ScriptedChatModel([RefusalError("no", raw="")])
    with pytest.raises(RefusalError):
        complete_structured(model, REQUEST, Verdict, memory=FormatMemory())
    assert model.calls == 1


def test_json_mode_reply_wrapped_in_a_fence_still_validates():
    model = ScriptedChatModel([f"```json\n{GOOD}\n```"])
    result = complete_structured(model, REQUEST, Verdict, memory=FormatMemory())
    assert result.attempts == 1 and result.output.score == 4


@pytest.mark.parametrize(("text", "expected"), [
    ('```json\n{"a": 1}\n```', '{"a": 1}'),
    ('```\n{"a": 1}\n```', '{"a": 1}'),
    ('The answer is {"a": {"b": 2}} as requested.', '{"a": {"b": 2}}'),
    ("no json here", "no json here"),
])
def test_extract_json(text, expected):
    assert extract_json(text) == expected


async def test_async_twin_falls_back_and_reasks():
    memory = FormatMemory()
    replies = iter(['{"reason": "x"}', GOOD])

    async def answer(request: ChatRequest) -> str:
        if request.response_format and request.response_format.type == "json_schema":
            raise unsupported("json_schema")
        return next(replies)

    model = FunctionChatModel(answer)
    result = await acomplete_structured(model, REQUEST, Verdict, memory=memory)

    assert result.format == "json_object" and result.attempts == 2
    assert formats_sent(model) == ["json_schema", "json_object", "json_object"]
    assert memory.get(model.endpoint, model.model_name) == "json_object"
