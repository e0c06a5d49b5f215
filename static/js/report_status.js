// Report status without reloading. Without JavaScript the forms post normally and the
// page shows the same status after a refresh.
(function () {
  "use strict";
  const section = document.getElementById("reports");
  const list = document.getElementById("report-status");
  if (!section || !list) return;
  const statusUrl = section.dataset.statusUrl;
  const csrf = (section.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  let timer = null;

  // The request button says "Regenerate" once a report is ready (and then forces a new
  // one), as the page does after a reload.
  function renderButton(r) {
    const form = section.querySelector(`form[data-report-request][data-language="${r.language}"]`);
    if (!form) return;
    const verb = form.querySelector("[data-role=verb]");
    if (verb && r.button) verb.textContent = r.button;
    let force = form.querySelector("input[name=force]");
    if (r.status === "ready" && !force) {
      force = document.createElement("input");
      force.type = "hidden"; force.name = "force"; force.value = "1";
      form.append(force);
    } else if (r.status !== "ready" && force) force.remove();
  }

  function render(payload) {
    (payload.reports || []).forEach((r) => {
      renderButton(r);
      const row = list.querySelector(`[data-language="${r.language}"]`);
      if (!row) return;
      row.dataset.status = r.status;
      row.querySelector("[data-role=label]").textContent = r.label;
      const actions = row.querySelector("[data-role=actions]");
      actions.replaceChildren();
      if (r.download) {
        const a = document.createElement("a");
        a.href = r.download;
        a.className = "ms-2";
        a.textContent = list.dataset.downloadLabel;
        actions.append(a);
      }
      if (r.status === "failed") {
        const err = document.createElement("span");
        err.className = "text-danger small ms-2";
        err.textContent = r.error;
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn-link btn-sm";
        retry.textContent = list.dataset.retryLabel;
        retry.addEventListener("click", () => request(r.language, true));
        actions.append(err, retry);
      }
    });
    if (payload.pending) schedule(); else stop();
  }

  function schedule() { if (!timer) timer = setTimeout(poll, 1500); }
  function stop() { clearTimeout(timer); timer = null; }

  async function poll() {
    timer = null;
    try {
      const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) render(await response.json()); else schedule();
    } catch (e) { schedule(); }
  }

  async function request(language, force) {
    const body = new URLSearchParams({ language });
    if (force) body.append("force", "1");
    try {
      const response = await fetch(section.querySelector("form[data-report-request]").action, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      });
      if (response.ok) { render(await response.json()); schedule(); return; }
    } catch (e) { /* fall back to a normal post below */ }
    window.location.reload();
  }

  section.querySelectorAll("form[data-report-request]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      request(form.querySelector("input[name=language]").value, !!form.querySelector("input[name=force]"));
    });
  });
  if (list.dataset.pending) schedule();
})();
