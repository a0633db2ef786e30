"""``roleplay serve``: practise an interview in the browser, read the report, browse eval runs.

The app is also the reference for integrating `roleplay` into a web server, and is kept short:

* `app` -- the routes (Starlette), `create_app`;
* `sessions` -- one `Interview.arun` task per person, fed answers by a `WebCandidate`, saved
  after every turn and resumed from disk; `Evaluator.aevaluate` at the end;
* `views` -- HTML as escaped Python string templates; ``static/app.js`` follows the
  server-sent events and adds text with ``textContent`` only;
* `voice` -- spoken answers transcribed through the endpoint, questions read aloud, turn times
  on the session's clock (``static/voice.js`` records with MediaRecorder);
* `runs` -- eval run folders (agreement, flips, verdicts per case);
* `demo` -- the scripted interviewer used when no key is configured.

Needs the ``web`` extra: ``pip install "roleplay-interviews[web]"``.
"""

from roleplay.web._serve import server_options
from roleplay.web.app import create_app
from roleplay.web.sessions import Limits
from roleplay.web.voice import VoiceEndpoint

__all__ = ["Limits", "VoiceEndpoint", "create_app", "server_options"]
