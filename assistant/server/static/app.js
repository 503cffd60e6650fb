// The voice assistant's web page: the microphone to the server's WebSocket, the reply's audio
// back to the speaker, and what was said on screen. Nothing here talks to any other host.
"use strict";

const INPUT_RATE = 16000;
const TOKEN_KEY = "voice-assistant-token";

const $ = (id) => document.getElementById(id);
const ui = {
  start: $("start"), interrupt: $("interrupt"), conn: $("conn"), connText: $("conn-text"),
  state: $("state"), level: $("level"), v2v: $("v2v"), error: $("error"), live: $("live"),
  transcript: $("transcript"), empty: $("empty"), ask: $("ask"), question: $("question"),
  tokenBox: $("token-box"), token: $("token"),
};

// What happened, for people reading the code and for tests (tests/test_api_browser.py).
const vaState = (window.vaState = {
  connected: false,     // authenticated and the audio format received
  state: "",            // the assistant's last status: listening, hearing, thinking, speaking...
  transcripts: [],      // the final user text of each turn
  partial: "",          // the live partial transcript
  replies: [],          // the reply text of each finished turn
  turns: [],            // the `turn` messages as they came
  sampleRate: null,     // the reply audio's rate (audio_format)
  audioSamplesReceived: 0, // reply audio from the server (samples at its rate)
  audioSamplesPlayed: 0,   // ... of it played by the playback worklet
  micSamplesSent: 0,    // 16 kHz samples sent
  lastV2v: null,        // the last turn's voice-to-voice latency, ms
  closeCode: null,
  error: "",
  micError: "",
  events: [],           // the type of every JSON message, in order
  discarded: [],        // the generations of speculative replies thrown away (never shown)
  shownChunks: [],      // every reply_chunk the page showed: {turn_id, generation, text}
});

let ws = null;
let ctx = null;
let capture = null;   // {stream, source, node}
let playback = null;  // AudioWorkletNode
let running = false;  // between Start and Stop
let closingTimer = 0;
// turn_id -> {li, user, reply, chunks: Map, meta, generation: the reply shown, or null}
const turns = new Map();
let typed = "";          // a typed question, shown with the next turn (it has no `final`)
let pendingText = "";    // typed before the conversation was open: sent once it is

// --- the token --------------------------------------------------------------------------------

function tokenFromHash() {
  // `#token=...` (the address voice-assistant serve prints): remembered, then taken out of
  // the address bar so that it is not in the history or on a screenshot
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!fromHash) return "";
  try { localStorage.setItem(TOKEN_KEY, fromHash); } catch (_) { /* private mode */ }
  history.replaceState(null, "", location.pathname + location.search);
  return fromHash;
}

function storedToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ""; } catch (_) { return ""; }
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  ui.token.dispatchEvent(new Event("change"));
  if (!running) start();
});

ui.token.addEventListener("change", () => {
  try { localStorage.setItem(TOKEN_KEY, ui.token.value.trim()); } catch (_) { /* ignore */ }
});

// --- what is shown ----------------------------------------------------------------------------

function showError(text) {
  vaState.error = text || "";
  ui.error.textContent = text || "";
  ui.error.hidden = !text;
}

function setConnection(kind, text) {
  ui.conn.dataset.kind = kind; // off, connecting, on, error
  ui.connText.textContent = text;
}

function setState(state) {
  vaState.state = state;
  ui.state.textContent = state ? state[0].toUpperCase() + state.slice(1) : "";
  ui.state.dataset.state = state;
}

function setRunning(on) {
  running = on;
  ui.start.textContent = on ? "Stop" : "Start";
  ui.start.classList.toggle("stop", on);
  ui.start.setAttribute("aria-pressed", String(on));
  ui.interrupt.disabled = !on;
  if (!on) { ui.level.style.transform = "scaleX(0)"; setLive(""); }
}

function setLive(text) {
  vaState.partial = text;
  ui.live.textContent = text;
  ui.live.classList.toggle("shown", Boolean(text));
}

function turnEntry(id) {
  const key = id == null ? "current" : String(id);
  let t = turns.get(key);
  if (!t) {
    const li = document.createElement("li");
    li.className = "turn";
    li.innerHTML = '<p class="user"></p><p class="reply"></p><p class="meta"></p>';
    t = { li, user: li.querySelector(".user"), reply: li.querySelector(".reply"),
          meta: li.querySelector(".meta"), chunks: new Map(), generation: null };
    if (typed) { t.user.textContent = typed; typed = ""; }
    turns.set(key, t);
    ui.transcript.append(li);
    ui.empty.hidden = true;
  }
  return t;
}

// The reply a turn shows: one that was not speculative from its reply_opened, a speculative
// one from its reply_committed (the server sends a speculative reply's chunks only after that,
// and none of a discarded one). Chunks of any other generation are not this turn's answer.
function beginReply(m) {
  const t = turnEntry(m.turn_id);
  t.generation = m.generation;
  t.chunks.clear();
  t.reply.textContent = "";
}

function scrollDown() {
  ui.transcript.lastElementChild?.scrollIntoView({ block: "end", behavior: "smooth" });
}

// --- the WebSocket ----------------------------------------------------------------------------

const CLOSE_REASONS = {
  4401: "The access token was refused: paste the one “voice-assistant serve” printed, then Start.",
  1013: "Another conversation is already using the assistant; close it, then Start again.",
  1009: "A message was too big for the server.",
  1008: "The server refused this page (policy). Open the address “voice-assistant serve” printed.",
  1011: "The server hit an error and ended the conversation.",
};

function connect(token) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/conversation`;
  setConnection("connecting", "Connecting…");
  vaState.closeCode = null;
  turns.clear(); // turn ids are the conversation's own: a new one starts new entries
  typed = "";
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token }));
  ws.onmessage = (e) => {
    if (typeof e.data === "string") onMessage(JSON.parse(e.data));
    else onAudio(e.data);
  };
  ws.onclose = (e) => onClose(e);
  ws.onerror = () => { /* onclose follows with the code */ };
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function onMessage(m) {
  vaState.events.push(m.type);
  if (vaState.events.length > 1000) vaState.events.splice(0, 500);
  switch (m.type) {
    case "audio_format":
      vaState.connected = true;
      vaState.sampleRate = m.sample_rate;
      setConnection("on", "Connected");
      if (pendingText) { send({ type: "text", text: pendingText }); typed = pendingText; pendingText = ""; }
      playback?.port.postMessage({ rate: m.sample_rate });
      if (m.input_sample_rate && m.input_sample_rate !== INPUT_RATE) {
        showError(`The server wants ${m.input_sample_rate} Hz audio; this page sends ${INPUT_RATE} Hz.`);
      }
      break;
    case "status":
      setState(m.state);
      break;
    case "speech_started":
      setLive("…");
      break;
    case "partial":
      setLive(m.text || m.stable_text || "…");
      break;
    case "final": {
      setLive("");
      if (m.text) {
        turnEntry(m.turn_id).user.textContent = m.text;
        vaState.transcripts.push(m.text);
        scrollDown();
      }
      break;
    }
    case "reply_opened":
      if (!m.speculative) beginReply(m);
      break;
    case "reply_committed":
      beginReply(m);
      break;
    case "reply_discarded": {
      vaState.discarded.push(m.generation);
      const t = turns.get(String(m.turn_id));
      if (t && t.generation === m.generation) beginReply({ turn_id: m.turn_id, generation: null });
      break;
    }
    case "reply_chunk": {
      const t = turnEntry(m.turn_id);
      if (t.generation !== m.generation) break; // not the reply this turn shows
      vaState.shownChunks.push({ turn_id: m.turn_id, generation: m.generation, text: m.text });
      t.chunks.set(m.index, m.text);
      t.reply.textContent = [...t.chunks.entries()].sort((a, b) => a[0] - b[0])
        .map((c) => c[1]).join(" ");
      scrollDown();
      break;
    }
    case "barge_in":
      playback?.port.postMessage("flush"); // the user talks over the reply: silence it now
      break;
    case "turn": {
      const t = turnEntry(m.turn_id);
      if (m.user_text) t.user.textContent = m.user_text;
      if (m.reply_text) t.reply.textContent = m.reply_text;
      t.li.classList.toggle("interrupted", Boolean(m.interrupted));
      const v2v = m.metrics ? m.metrics.v2v_ms : null;
      const bits = [];
      if (m.interrupted) bits.push("interrupted");
      if (typeof v2v === "number") {
        vaState.lastV2v = v2v;
        ui.v2v.textContent = `${Math.round(v2v)} ms`;
        bits.push(`${Math.round(v2v)} ms voice to voice`);
      }
      t.meta.textContent = bits.join(" · ");
      vaState.turns.push(m);
      vaState.replies.push(m.reply_text || "");
      scrollDown();
      break;
    }
    case "timer_ringing": {
      const t = turnEntry(m.turn_id);
      t.user.textContent = m.text || "Timer";
      t.li.classList.add("ringing");
      break;
    }
    case "notice":
      if (m.level === "error" || m.level === "warning") showError(m.message);
      break;
    case "error":
      showError(m.message);
      break;
    case "end":
      if (ws) ws.close(1000);
      break;
    default:
      break;
  }
}

function onAudio(buffer) {
  if (!playback || buffer.byteLength < 2) return;
  const pcm = buffer.byteLength % 2 ? buffer.slice(0, buffer.byteLength - 1) : buffer;
  vaState.audioSamplesReceived += pcm.byteLength / 2;
  playback.port.postMessage({ pcm }, [pcm]);
}

function onClose(e) {
  vaState.connected = false;
  vaState.closeCode = e.code;
  clearTimeout(closingTimer);
  ws = null;
  const why = CLOSE_REASONS[e.code];
  if (why) {
    showError(why);
    setConnection("error", e.code === 4401 ? "Not authorised" : "Disconnected");
    if (e.code === 4401) ui.tokenBox.open = true;
  } else if (running && e.code !== 1000) {
    showError(e.code === 1006 ? "Lost the connection to the assistant (is “voice-assistant serve” running?)."
                              : `The conversation ended (${e.code}${e.reason ? ": " + e.reason : ""}).`);
    setConnection("error", "Disconnected");
  } else {
    setConnection("off", "Not connected");
  }
  setState("");
  stopAudio();
  setRunning(false);
}

// --- audio ------------------------------------------------------------------------------------

async function startAudio() {
  ctx = new AudioContext({ latencyHint: "interactive" });
  await Promise.all([
    ctx.audioWorklet.addModule("/static/capture-worklet.js"),
    ctx.audioWorklet.addModule("/static/playback-worklet.js"),
  ]);
  playback = new AudioWorkletNode(ctx, "playback-processor",
    { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
  const before = vaState.audioSamplesPlayed; // counted across conversations on this page
  playback.port.onmessage = (e) => { vaState.audioSamplesPlayed = before + e.data.played; };
  playback.connect(ctx.destination);
  await ctx.resume();
}

async function startMic() {
  vaState.micError = "";
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (err) {
    if (!running) return; // the conversation already ended (a wrong token, say): that is the news
    const refused = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    vaState.micError = refused
      ? "Microphone access was refused: allow it for this page, or type a question below."
      : `No microphone (${err && err.name ? err.name : err}): you can still type a question below.`;
    showError(vaState.micError);
    return;
  }
  if (!running || !ctx) { stream.getTracks().forEach((t) => t.stop()); return; }
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, "capture-processor",
    { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
  node.port.onmessage = (e) => {
    const { pcm, peak } = e.data;
    ui.level.style.transform = `scaleX(${Math.min(1, Math.sqrt(peak) * 1.2).toFixed(3)})`;
    if (vaState.connected && ws && ws.readyState === WebSocket.OPEN) {
      ws.send(pcm);
      vaState.micSamplesSent += pcm.byteLength / 2;
    }
  };
  source.connect(node);
  node.connect(ctx.destination); // it outputs silence; connected so that it is always pulled
  capture = { stream, source, node };
}

function stopAudio() {
  if (capture) {
    capture.node.port.postMessage("stop");
    capture.stream.getTracks().forEach((t) => t.stop());
    capture.source.disconnect();
    capture.node.disconnect();
    capture = null;
  }
  if (playback) { playback.port.postMessage("flush"); playback.disconnect(); playback = null; }
  if (ctx) { ctx.close().catch(() => {}); ctx = null; }
}

// --- the controls -----------------------------------------------------------------------------

async function start() {
  const token = tokenFromHash() || ui.token.value.trim() || storedToken();
  if (!token) {
    showError("No access token: paste the one “voice-assistant serve” printed.");
    ui.tokenBox.open = true;
    ui.token.focus();
    return;
  }
  ui.token.value = token;
  showError("");
  setRunning(true);
  try {
    await startAudio();
  } catch (err) {
    showError(`This browser cannot play the reply (${err && err.message ? err.message : err}).`);
    stopAudio();
    setRunning(false);
    return;
  }
  connect(token);
  await startMic();
}

function stop() {
  // everything said so far stops; the server says `end` and the page closes
  playback?.port.postMessage("flush");
  send({ type: "interrupt" });
  send({ type: "end" });
  if (capture) { capture.stream.getTracks().forEach((t) => t.stop()); }
  setConnection("connecting", "Closing…");
  const closing = ws;
  closingTimer = setTimeout(() => { if (closing && ws === closing) closing.close(1000); }, 3000);
  if (!closing) { stopAudio(); setRunning(false); setConnection("off", "Not connected"); }
}

ui.start.addEventListener("click", () => (running ? stop() : start()));

ui.interrupt.addEventListener("click", () => {
  playback?.port.postMessage("flush");
  send({ type: "interrupt" });
});

ui.ask.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = ui.question.value.trim();
  if (!text) return;
  if (!vaState.connected) {  // typing is a way to start: the question goes once connected
    pendingText = text;
    ui.question.value = "";
    if (!running) start();
    return;
  }
  playback?.port.postMessage("flush");
  send({ type: "text", text });
  typed = text;
  ui.question.value = "";
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && running) ui.interrupt.click();
});

// the first view
ui.token.value = tokenFromHash() || storedToken();
if (!ui.token.value) ui.tokenBox.open = true;
window.addEventListener("hashchange", () => { const t = tokenFromHash(); if (t) ui.token.value = t; });
setRunning(false);
setConnection("off", "Not connected");
