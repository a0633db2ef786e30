// Voice practice on the interview page: record an answer, have the server transcribe it, let
// the person correct the text before sending; optionally read the interviewer's turns aloud.
// app.js drives it: turn(on, asked) at every change of turn; onText(text) fills the answer box.
"use strict";
window.roleplayVoice = function (base) {
  const panel = document.getElementById("voice");
  if (!panel) return null; // this server has no audio endpoint; the page says why
  const button = document.getElementById("record");
  const speak = document.getElementById("speak");
  const status = document.getElementById("voice-status");
  const api = { take: null, onText: null, turn };
  let recorder = null;
  let startedAt = 0;
  let mine = false;
  let spoken = 0; // the latest interviewer turn read aloud
  let player = null;
  let unsent = null; // a recording whose transcription failed: it can be sent again

  speak.checked = localStorage.getItem("roleplay.speak") === "1";
  speak.addEventListener("change", () => {
    localStorage.setItem("roleplay.speak", speak.checked ? "1" : "0");
    if (!speak.checked && player) player.pause();
  });

  if (!navigator.mediaDevices || !window.MediaRecorder) {
    button.hidden = true;
    status.textContent = "This browser cannot record audio here (it needs a secure page, " +
      "such as http://127.0.0.1, and MediaRecorder); type your answers.";
  }

  function say(text) {
    status.textContent = text;
  }

  function off(message) {
    button.disabled = true;
    button.hidden = true;
    speak.disabled = true;
    say(message);
  }

  async function readAloud(index) {
    spoken = index;
    if (player) player.pause();
    const response = await fetch(base + "/speech/" + index);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      if (data.voice === false) off(data.error);
      else say(data.error || "The question could not be read aloud; its text is above.");
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    player = new Audio(url);
    player.addEventListener("ended", () => URL.revokeObjectURL(url));
    await player.play().catch(() => say("The browser did not play the question; its text " +
      "is above."));
  }

  function turn(on, asked) {
    mine = on;
    if (!recorder) button.disabled = !on;
    if (on && speak.checked && !speak.disabled && asked > spoken) {
      readAloud(asked).catch(() => say("The question could not be read aloud."));
    }
  }

  async function upload(blob, ms) {
    button.disabled = true;
    say("Transcribing your answer…");
    const response = await fetch(base + "/transcribe?ms=" + Math.round(ms), {
      method: "POST",
      headers: { "Content-Type": blob.type || "audio/webm" },
      body: blob,
    }).catch(() => null);
    button.disabled = !mine;
    if (!response) {
      unsent = [blob, ms];
      say("The recording did not reach the server; press Send recording again.");
      button.textContent = "Send recording again";
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (data.voice === false) return off(data.error);
      unsent = response.status === 502 ? [blob, ms] : null;
      button.textContent = unsent ? "Send recording again" : "Record answer";
      return say(data.error || "HTTP " + response.status);
    }
    unsent = null;
    button.textContent = "Record again";
    api.take = data.take;
    if (api.onText) api.onText(data.text);
    say("Transcribed" + (data.seconds ? " (" + data.seconds + " s of speech)" : "") +
      ": check the text, correct it if needed, then send it.");
  }

  async function start() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      say("No microphone (" + e.name + "); type your answer instead.");
      return;
    }
    const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"]
      .find((t) => MediaRecorder.isTypeSupported(t));
    const chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((t) => t.stop());
      const ms = performance.now() - startedAt;
      const blob = new Blob(chunks, { type: (recorder.mimeType || "audio/webm").split(";")[0] });
      recorder = null;
      button.classList.remove("recording");
      upload(blob, ms);
    });
    if (player) player.pause();
    recorder.start();
    startedAt = performance.now();
    button.classList.add("recording");
    button.textContent = "Stop recording";
    say("Recording… press Stop recording when you have finished your answer.");
  }

  button.addEventListener("click", () => {
    if (recorder) recorder.stop();
    else if (unsent) upload(...unsent);
    else start();
  });

  return api;
};
