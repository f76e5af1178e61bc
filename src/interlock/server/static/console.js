// Interlock console: small progressive enhancement over server-rendered pages.
// - approvals: refresh the queue when the audit stream says an approval changed
// - audit: live tail (rows built with textContent, never innerHTML of record data)
// - forms with data-confirm: ask before submitting (the kill switch)
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function stream(onRecord, after) {
  if (!window.EventSource) return null;
  const url = "/v1/audit/stream" + (after !== undefined ? "?after=" + encodeURIComponent(after) : "");
  const source = new EventSource(url);
  source.addEventListener("audit", (event) => {
    try { onRecord(JSON.parse(event.data)); } catch (e) { /* ignore a bad event */ }
  });
  return source;
}

function liveQueue() {
  const rows = document.getElementById("queue-rows");
  if (!rows) return;
  const status = document.getElementById("live-status");
  let pending = null;
  const refresh = () => {
    fetch("/console/approvals/rows", { credentials: "same-origin", cache: "no-store" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => { rows.innerHTML = html; })  // server-rendered, escaped by the template
      .catch(() => {});
  };
  const source = stream((record) => {
    if (record.type === "approval_request" || record.type === "approval") {
      clearTimeout(pending);
      pending = setTimeout(refresh, 50);
    }
  });
  if (source && status) {
    source.onopen = () => { status.hidden = false; };
    source.onerror = () => { status.hidden = true; };
  }
  // Polling as a fallback for proxies that buffer event streams.
  setInterval(refresh, 15000);
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) {
    const span = document.createElement("span");
    span.className = "badge " + className;
    span.textContent = text;
    td.appendChild(span);
  } else {
    td.textContent = text;
  }
  return td;
}

function liveTail() {
  const box = document.getElementById("live-tail");
  const rows = document.getElementById("audit-rows");
  if (!box || !rows) return;
  let source = null;
  const params = new URLSearchParams(window.location.search);
  const want = (key, value) => !params.get(key) || params.get(key) === value;
  box.addEventListener("change", () => {
    if (source) { source.close(); source = null; }
    if (!box.checked) return;
    source = stream((r) => {
      if (!want("agent", r.agent) || !want("resource", r.resource) ||
          !want("decision", r.decision) || !want("type", r.type)) return;
      const tr = document.createElement("tr");
      tr.className = "fresh";
      tr.append(cell(String(r.seq)), cell(String(r.ts).slice(0, 19)), cell(r.type), cell(r.agent),
                cell(r.resource), r.decision ? cell(r.decision, r.decision) : cell(""),
                cell(String(r.summary || "")));
      rows.prepend(tr);
      box.dataset.after = String(r.seq);
    }, box.dataset.after);
  });
}

function confirmations() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

function relative(seconds) {
  const ahead = seconds >= 0;
  const n = Math.floor(Math.abs(seconds));
  let text;
  if (n < 60) text = n + " s";
  else if (n < 3600) text = Math.floor(n / 60) + " min " + (n % 60) + " s";
  else if (n < 86400) text = Math.floor(n / 3600) + " h " + Math.floor((n % 3600) / 60) + " min";
  else text = Math.floor(n / 86400) + " d";
  return ahead ? "in " + text : text + " ago";
}

// Countdowns to the agent's timeout and the request's expiry, ticking every second.
function countdowns() {
  const items = document.querySelectorAll(".countdown[data-until]");
  if (!items.length) return;
  const tick = () => {
    const now = Date.now() / 1000;
    items.forEach((el) => {
      const left = Number(el.dataset.until) - now;
      el.textContent = left > 0 ? relative(left) : "now (expired)";
    });
  };
  tick();
  setInterval(tick, 1000);
}

// An irreversible production action: Approve stays disabled until the target is typed.
function typedConfirmation() {
  const input = document.getElementById("confirm");
  const button = document.getElementById("approve");
  if (!input || !button) return;
  const check = () => { button.disabled = input.value.trim() !== input.dataset.expected; };
  input.addEventListener("input", check);
  check();
}

document.addEventListener("DOMContentLoaded", () => {
  confirmations();
  countdowns();
  typedConfirmation();
  if (document.body.dataset.page === "approvals") liveQueue();
  if (document.body.dataset.page === "audit") liveTail();
  window.interlockCsrf = csrfToken;
});
