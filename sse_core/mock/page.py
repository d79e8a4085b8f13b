"""``GET /``: a page that shows both streams live through the browser's own ``EventSource``.

Self-contained: inline style and script, nothing loaded from elsewhere.
``EventSource`` can only GET, so the token demo reads
``GET /v1/chat/completions/stream?prompt=...``. Query parameters start a
stream on load: ``?prompt=TEXT`` the token stream, ``?events=QUERY`` the
``/events`` stream with that query (e.g. ``count=5&close_after=2``). Each
observation is also logged to the console as ``sse_core KIND {json}``,
for people with developer tools open and for headless browsers in tests.
"""

__all__ = ["PAGE_HTML"]

PAGE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sse_core mock server</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  section { border: 1px solid #ccc; border-radius: 6px; padding: 0 1rem 1rem; margin: 1rem 0; }
  pre { white-space: pre-wrap; background: #f6f6f6; padding: .75rem; min-height: 3rem; border-radius: 4px; }
  code { background: #f0f0f0; padding: 0 .25rem; }
  .status { color: #555; font-size: .9rem; }
  input[type=number] { width: 5rem; }
  ol { max-height: 16rem; overflow: auto; font-family: monospace; }
</style>
</head>
<body>
<h1>sse_core mock server</h1>
<p>An OpenAI-compatible mock: <code>POST /v1/chat/completions</code>, <code>GET /v1/models</code> and
<code>GET /events</code>. This page reads the streams with the browser's own <code>EventSource</code>.</p>

<section>
<h2>Token stream</h2>
<form id="chat-form">
  <input id="prompt" size="40" value="Why stream tokens?"> <button>Stream</button>
</form>
<pre id="answer"></pre>
<p class="status" id="chat-status">GET /v1/chat/completions/stream?prompt=&hellip;</p>
</section>

<section>
<h2>Numbered events</h2>
<form id="events-form">
  count <input type="number" id="count" value="10" min="0">
  interval_ms <input type="number" id="interval_ms" value="500" min="0">
  close_after <input type="number" id="close_after" value="4" min="1">
  retry <input type="number" id="retry" value="1000" min="0">
  <button>Connect</button>
</form>
<p class="status" id="events-status">GET /events?&hellip; reconnects with Last-Event-ID until the server answers 204</p>
<ol id="events"></ol>
</section>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
function report(kind, detail) { console.log("sse_core " + kind + " " + JSON.stringify(detail)); }
let chat = null;
let events = null;

function startChat(prompt) {
  if (chat) chat.close();
  const answer = $("answer");
  const status = $("chat-status");
  answer.textContent = "";
  status.textContent = "waiting for the first token";
  const started = performance.now();
  let first = null;
  let tokens = 0;
  const source = chat = new EventSource("/v1/chat/completions/stream?prompt=" + encodeURIComponent(prompt));
  function end(how) {
    source.close();
    const wait = first === null ? "no token" : "first token " + Math.round(first - started) + " ms";
    status.textContent = wait + " \\u00b7 " + tokens + " tokens \\u00b7 ended: " + how;
    report("chat", {ended: how, tokens: tokens, text: answer.textContent});
  }
  source.onmessage = (e) => {
    if (e.data === "[DONE]") return end("[DONE]");
    for (const choice of JSON.parse(e.data).choices) {
      const text = choice.delta.content;
      if (text) {
        if (first === null) first = performance.now();
        tokens += 1;
        answer.textContent += text;
      }
    }
  };
  source.addEventListener("error", (e) => {
    if (e.data !== undefined) {  // an "event: error" from the server, not a lost connection
      let message = e.data;
      try { message = JSON.parse(e.data).error.message; } catch (_) { /* not JSON: show it whole */ }
      return end("error event: " + message);
    }
    // EventSource would reconnect and the reply start over: stop instead.
    end("connection lost before [DONE]");
  });
}

function startEvents(query) {
  if (events) events.close();
  const list = $("events");
  const status = $("events-status");
  list.textContent = "";
  let connections = 0;
  let received = 0;
  let lastEventId = "none";
  const source = events = new EventSource("/events?" + query);
  const show = (state) => {
    status.textContent = state + " \\u00b7 connections " + connections + " \\u00b7 events " + received +
      " \\u00b7 lastEventId " + lastEventId;
  };
  source.onopen = () => {
    connections += 1;
    report("events-open", {connection: connections});
    show("open");
  };
  source.onmessage = (e) => {
    received += 1;
    lastEventId = e.lastEventId;
    const item = document.createElement("li");
    item.textContent = "id " + e.lastEventId + ": " + e.data;
    list.appendChild(item);
    report("event", {id: e.lastEventId, data: e.data});
    show("open");
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      show("closed");
      report("events-closed", {connections: connections, events: received});
    } else {
      show("reconnecting");
    }
  };
}

$("chat-form").addEventListener("submit", (e) => { e.preventDefault(); startChat($("prompt").value); });
$("events-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const query = new URLSearchParams();
  for (const name of ["count", "interval_ms", "close_after", "retry"]) {
    if ($(name).value !== "") query.set(name, $(name).value);
  }
  startEvents(query.toString());
});
const params = new URLSearchParams(location.search);
if (params.has("prompt")) {
  $("prompt").value = params.get("prompt");
  startChat(params.get("prompt"));
}
if (params.has("events")) startEvents(params.get("events"));
</script>
</body>
</html>
"""
