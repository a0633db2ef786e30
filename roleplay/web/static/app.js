// The interview page: follow the server-sent events, post answers, resume after a drop.
// Text from the server is only ever added with textContent, never as HTML.
"use strict";
(function () {
  const root = document.getElementById("interview");
  if (!root) return;
  const base = "/i/" + encodeURIComponent(root.dataset.session);
  const turns = document.getElementById("turns");
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  const form = document.getElementById("answer-form");
  const box = document.getElementById("answer");
  const send = document.getElementById("send");
  const endButton = document.getElementById("end");
  const labels = {
    interviewer: "The interviewer is speaking…",
    candidate: "Your turn.",
    evaluating: "The interview is over. Evaluating…",
  };
  let live = null; // the turn being streamed
  let asked = 0; // the latest interviewer turn
  let myTurn = false;
  const voice = window.roleplayVoice ? window.roleplayVoice(base) : null;

  function item(speaker, index) {
    const li = document.createElement("li");
    li.className = "turn " + speaker;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = speaker === "candidate" ? "You" : root.dataset.interviewer;
    const text = document.createElement("p");
    text.className = "text";
    li.append(who, text);
    if (index) li.id = "t" + index;
    turns.append(li);
    return text;
  }

  function setTurn(on) {
    myTurn = on;
    box.disabled = send.disabled = !on;
    if (voice) voice.turn(on, asked);
    if (on) box.focus();
  }

  function handle(name, data) {
    if (name === "reset") {
      turns.replaceChildren();
      live = null;
    } else if (name === "delta") {
      if (!live) live = item("interviewer", 0);
      live.textContent = (live.textContent + data.text).replace(/^\s+/, "");
    } else if (name === "turn") {
      if (live && data.speaker === "interviewer") {
        live.parentElement.remove();
        live = null;
      }
      item(data.speaker, data.index).textContent = data.text;
      if (data.speaker === "interviewer") asked = data.index;
    } else if (name === "status") {
      setTurn(data.status === "candidate");
      status.textContent = data.status === "error" ? data.message : labels[data.status] || "";
      if (data.status === "finished") window.location.assign(base + "/report");
    }
    window.scrollTo(0, document.body.scrollHeight);
  }

  // The stream ends when it is the person's turn or the interview is over; a dropped
  // connection is simply opened again, and the server replays what was said.
  async function follow() {
    for (let attempt = 0; ; attempt++) {
      let last = null;
      try {
        const response = await fetch(base + "/events", { headers: { Accept: "text/event-stream" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const name = (block.match(/^event: (.*)$/m) || [])[1];
            const data = (block.match(/^data: (.*)$/m) || [])[1];
            if (name) {
              const parsed = JSON.parse(data || "{}");
              handle(name, parsed);
              if (name === "status") last = parsed.status;
            }
          }
        }
        if (last === "candidate" || last === "finished" || last === "error") return;
      } catch (e) {
        status.textContent = "Connection lost; reconnecting…";
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      throw new Error(data.error || "HTTP " + response.status);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const text = box.value.trim();
    if (!text) return;
    setTurn(false);
    try {
      await post("/answer", voice && voice.take ? { text, take: voice.take } : { text });
      box.value = "";
      if (voice) voice.take = null;
      follow();
    } catch (e) {
      error.textContent = e.message;
      setTurn(true);
    }
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  endButton.addEventListener("click", async () => {
    endButton.disabled = true;
    setTurn(false);
    try {
      await post("/end", {});
      follow();
    } catch (e) {
      error.textContent = e.message;
      endButton.disabled = false;
    }
  });

  if (voice) {
    voice.onText = (text) => {
      box.value = text;
      if (myTurn) box.focus();
    };
  }
  follow();
})();
