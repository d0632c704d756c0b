// Live updates without full reloads. A record page polls its state with If-None-Match on the
// record's version (304 while nothing changed) and shows who changed it; a queue polls its
// change stamp and, when it moves, refreshes its table through htmx, keeping the filters (the
// URL) and the ticked rows. Polls pause while the tab is hidden.
(() => {
  // The browser journeys shorten the waits (window.LIVE_POLL_MS).
  const RECORD_EVERY = window.LIVE_POLL_MS || 5000;
  const QUEUE_EVERY = window.LIVE_POLL_MS || 10000;

  function every(ms, poll) {
    let timer = null;
    const run = async () => {
      if (!document.hidden) {
        try { await poll(); } catch (error) { /* offline for a moment: try again later */ }
      }
      timer = window.setTimeout(run, ms);
    };
    timer = window.setTimeout(run, ms);
    return () => window.clearTimeout(timer);
  }

  function watchRecord(box) {
    let etag = box.dataset.etag;
    const url = new URL(box.dataset.liveRecord, window.location.href);
    url.searchParams.set("since", box.dataset.since);
    every(RECORD_EVERY, async () => {
      const response = await fetch(url, {
        headers: { "If-None-Match": etag, Accept: "text/html" }, cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status !== 200) return;
      etag = response.headers.get("ETag") || etag;
      box.innerHTML = await response.text();
    });
  }

  function watchQueue(table) {
    let etag = null;
    every(QUEUE_EVERY, async () => {
      const url = new URL(table.dataset.liveQueue, window.location.href);
      const group = new URLSearchParams(window.location.search).get("support_group");
      if (group) url.searchParams.set("support_group", group);
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      if (response.status === 304) return;
      const fresh = response.headers.get("ETag");
      const changed = etag !== null && fresh !== etag;
      etag = fresh;
      if (!changed || !window.htmx) return;
      const ticked = [...table.querySelectorAll("input[type=checkbox][name]:checked")]
        .map((box) => box.value);
      await window.htmx.ajax("GET", window.location.pathname + window.location.search, {
        target: table, swap: "innerHTML",
      });
      ticked.forEach((value) => {
        const box = table.querySelector(`input[type=checkbox][name][value="${CSS.escape(value)}"]`);
        if (box) box.checked = true;
      });
      table.dataset.liveRefreshed = String(Number(table.dataset.liveRefreshed || 0) + 1);
    });
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-live-reload]")) {
      event.preventDefault();
      window.location.reload();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-live-record]").forEach(watchRecord);
    document.querySelectorAll("[data-live-queue]").forEach(watchQueue);
  });
})();
