/* GridAtlas lookup page, batch lookup (users with layers.batch_lookup): upload a table, which
 * the server queues as a background job (202), poll the job for its progress, then offer the
 * result. The job being polled is remembered in sessionStorage, so a reload picks it up again. */
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("batch-strings").textContent);
  const section = document.getElementById("batch");
  const form = document.getElementById("batch-form");
  const file = document.getElementById("batch-file");
  const crs = document.getElementById("batch-crs");
  const bar = document.getElementById("batch-progress");
  const statusEl = document.getElementById("batch-status");
  const result = document.getElementById("batch-result");
  const submit = form.querySelector("button[type=submit]");
  const KEY = "gridatlas.batchJob";
  const POLL_MS = 1000;
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  const say = (text) => { statusEl.textContent = text || ""; };
  const busy = (on) => { submit.disabled = on; file.disabled = on; };

  function show(job) {
    section.dataset.status = job.status;
    const { done, total } = job.progress;
    bar.hidden = job.status === "failed";
    bar.max = total || 1;
    bar.value = job.status === "done" ? bar.max : done;
    if (job.status === "queued") say(T.queued);
    else if (job.status === "running") say(total === null ? T.reading : fmt(T.running, { done, total }));
    else if (job.status === "done") {
      say(fmt(T.done, { matched: job.summary.matched, rows: job.summary.rows }));
      result.href = job.result_url;
      result.hidden = false;
    } else say(fmt(T.failed, { error: job.error }));
  }

  async function poll(statusUrl) {
    busy(true);
    try {
      for (;;) {
        const r = await fetch(statusUrl, { headers: { Accept: "application/json" } });
        const job = await r.json();
        if (!r.ok) throw new Error(job.error || r.statusText);
        show(job);
        if (job.status === "done" || job.status === "failed") break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (err) {
      say(fmt(T.lost, { error: err.message }));
    }
    sessionStorage.removeItem(KEY);
    busy(false);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file.files.length) return;
    const body = new FormData();
    body.append("file", file.files[0]);
    body.append("crs", crs.value);
    result.hidden = true;
    bar.hidden = true;
    section.dataset.status = "uploading";
    say(T.uploading);
    busy(true);
    try {
      const r = await fetch(section.dataset.submitUrl, {
        method: "POST", body, headers: { "X-CSRFToken": section.dataset.csrf, Accept: "application/json" },
      });
      const job = await r.json();
      if (r.status !== 202) throw new Error(job.error || r.statusText);
      sessionStorage.setItem(KEY, job.status_url);
      show(job);
      poll(job.status_url);
    } catch (err) {
      section.dataset.status = "failed";
      say(fmt(T.failed, { error: err.message }));
      busy(false);
    }
  });

  const pending = sessionStorage.getItem(KEY);
  if (pending) poll(pending);
  // The form is live (submit is handled here, not by the browser): tests wait for this.
  section.dataset.ready = "1";
})();
