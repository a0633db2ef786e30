"""Without a key, the library and the command say what to set and how to try it offline."""

from __future__ import annotations

import pytest

from roleplay.cli import main
from roleplay.errors import MissingAPIKeyError
from roleplay.llm.openai import OpenAIChatModel


def test_the_library_names_the_variables_and_the_offline_stand_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError) as info:
        OpenAIChatModel("gpt-4o-mini")
    message = str(info.value)
    for needed in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROLEPLAY_MODEL", "api_key=",
                   "python -m roleplay.testing"):
        assert needed in message
    # Code calling the library has no command-line flags to pass.
    assert "--api-key" not in message and "--model" not in message


def test_the_command_names_its_flags_and_the_offline_stand_in(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    code = main(["simulate", "--persona", "terse-vp-final", "--candidate", "beggar"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    for needed in ("OPENAI_API_KEY", "--api-key", "--model", "python -m roleplay.testing"):
        assert needed in err
