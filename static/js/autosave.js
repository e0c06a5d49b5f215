// Autosave of changed questionnaire items. The form works without this script: every
// button is a normal POST. With it, each item is saved shortly after it changes; if the
// server cannot be reached or the session has expired, the typed values are kept in this
// browser (localStorage) and restored on the next visit, so nothing typed is lost.
(function () {
  "use strict";
  const form = document.getElementById("step-form");
  if (!form || form.dataset.readonly) return;
  const url = form.dataset.autosaveUrl;
  const storageKey = form.dataset.storageKey;
  const status = document.getElementById("autosave-status");
  const banner = document.getElementById("save-banner");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  // The messages sit in <template> elements (translated by the server); a template's text
  // lives in its content fragment, not in the element itself.
  const msg = (id) => {
    const el = document.getElementById(id);
    if (!el) return "";
    return ((el.content || el).textContent || "").trim();
  };
  const timers = new Map();

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "{}"); } catch (e) { return {}; }
  }
  function storePending(pending) {
    try {
      if (Object.keys(pending).length) localStorage.setItem(storageKey, JSON.stringify(pending));
      else localStorage.removeItem(storageKey);
    } catch (e) { /* storage full or disabled: the server copy is all we have */ }
  }

  function itemFields(fieldset) {
    const data = {};
    fieldset.querySelectorAll("input, textarea, select").forEach((el) => {
      if (!el.name) return;
      if (el.type === "radio") { if (el.checked) data[el.name] = el.value; else if (!(el.name in data)) data[el.name] = null; }
      else if (el.type === "checkbox") data[el.name] = el.checked ? "on" : null;
      else data[el.name] = el.value;
    });
    return data;
  }

  function applyFields(fieldset, data) {
    Object.entries(data).forEach(([name, value]) => {
      fieldset.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((el) => {
        // The base version travels with the typed value, so a colleague's change made
        // since then is reported as a conflict rather than overwritten.
        if (el.type === "radio") el.checked = el.value === value;
        else if (el.type === "checkbox") el.checked = value === "on";
        else el.value = value === null ? "" : value;
      });
    });
  }

  function showBanner(text) {
    banner.textContent = text;
    banner.classList.toggle("d-none", !text);
  }

  function setStatus(text) { if (status) status.textContent = text; }

  async function save(fieldset) {
    const code = fieldset.dataset.item;
    const data = itemFields(fieldset);
    const pending = loadPending();
    pending[code] = data;
    storePending(pending);
    const body = new URLSearchParams();
    Object.entries(data).forEach(([k, v]) => { if (v !== null) body.append(k, v); });
    setStatus(msg("msg-saving"));
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      });
    } catch (e) {
      showBanner(msg("msg-offline"));
      setStatus("");
      return;
    }
    let payload = {};
    try { payload = await response.json(); } catch (e) { payload = {}; }
    if (response.status === 401 || response.status === 403) { showBanner(msg("msg-login")); setStatus(""); return; }
    const after = loadPending();
    if (response.ok || response.status === 409) {
      delete after[code];
      storePending(after);
    }
    fieldset.classList.remove("has-error");
    if (payload.versions && code in payload.versions) {
      fieldset.querySelector("[data-role=base]").value = payload.versions[code];
    }
    if (payload.status === "saved") {
      showBanner("");
      setStatus(msg("msg-saved"));
      const meta = fieldset.querySelector("[data-role=meta]");
      if (meta && payload.saved && payload.saved.includes(code)) meta.textContent = msg("msg-saved") + " · " + (payload.by || "");
    } else if (payload.status === "conflict" && payload.conflicts && payload.conflicts[code]) {
      const c = payload.conflicts[code];
      const box = fieldset.querySelector("[data-role=conflict]");
      fieldset.querySelector("[data-role=base]").value = c.version;
      fieldset.classList.add("has-conflict");
      box.classList.remove("d-none");
      const div = document.createElement("div");
      div.className = "alert alert-warning small mt-2 mb-0";
      div.textContent = `${msg("msg-conflict")} “${c.theirs}” (${c.by}, ${c.at}). ${msg("msg-conflict-keep")}`;
      box.replaceChildren(div);
      setStatus("");
    } else if (payload.status === "invalid") {
      fieldset.classList.add("has-error");
      setStatus(msg("msg-invalid"));
    } else if (!response.ok) {
      showBanner(payload.message || msg("msg-offline"));
    }
  }

  function schedule(fieldset, delay) {
    const code = fieldset.dataset.item;
    clearTimeout(timers.get(code));
    timers.set(code, setTimeout(() => save(fieldset), delay));
  }

  form.addEventListener("change", (event) => {
    const fieldset = event.target.closest("fieldset[data-item]");
    if (fieldset) schedule(fieldset, 150);
  });
  form.addEventListener("input", (event) => {
    const fieldset = event.target.closest("fieldset[data-item]");
    if (fieldset && event.target.tagName === "TEXTAREA") {
      const pending = loadPending();
      pending[fieldset.dataset.item] = itemFields(fieldset);
      storePending(pending);
      schedule(fieldset, 1500);
    }
  });
  form.addEventListener("submit", () => {
    // A full POST carries every value; its outcome is rendered by the server.
    storePending({});
  });

  // Restore values typed earlier that never reached the server.
  const pending = loadPending();
  let restored = false;
  Object.entries(pending).forEach(([code, data]) => {
    const fieldset = form.querySelector(`fieldset[data-item="${CSS.escape(code)}"]`);
    if (!fieldset) return;
    applyFields(fieldset, data);
    restored = true;
    schedule(fieldset, 300);
  });
  if (restored) showBanner(msg("msg-restored"));
  window.addEventListener("online", () => {
    Object.keys(loadPending()).forEach((code) => {
      const fieldset = form.querySelector(`fieldset[data-item="${CSS.escape(code)}"]`);
      if (fieldset) schedule(fieldset, 100);
    });
  });
})();
