// The reply box's canned responses: the list comes from the server already filled in for the
// record (replies.views.rendered); text is inserted with .value, never as HTML.
(() => {
  "use strict";

  function setUp(root) {
    const form = root.closest("form");
    const box = form && form.querySelector("textarea[name=body]");
    const opener = root.querySelector("[data-canned-open]");
    const picker = root.querySelector(".canned-picker");
    const search = root.querySelector("[data-canned-search]");
    const list = root.querySelector("[data-canned-list]");
    const empty = root.querySelector("[data-canned-empty]");
    const failed = root.querySelector("[data-canned-failed]");
    if (!box || !picker) return;
    let rows = null;
    let shown = [];
    let active = 0;
    let cursor = null;

    function load() {
      if (rows) return Promise.resolve(rows);
      return fetch(root.dataset.cannedUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((answer) => { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
        .then((data) => { rows = data.responses; return rows; });
    }

    function draw() {
      const words = search.value.trim().toLowerCase();
      shown = (rows || []).filter((row) => !words || (row.name + " " + row.text).toLowerCase().includes(words));
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.replaceChildren(...shown.map((row, index) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = `canned-${row.id}`;
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        const name = document.createElement("strong");
        name.textContent = row.name;
        const preview = document.createElement("span");
        preview.className = "canned-preview";
        preview.textContent = row.text;
        item.append(name, preview);
        item.addEventListener("mousedown", (event) => { event.preventDefault(); insert(row); });
        return item;
      }));
      empty.hidden = shown.length > 0 || rows === null;
      if (shown[active]) search.setAttribute("aria-activedescendant", `canned-${shown[active].id}`);
      else search.removeAttribute("aria-activedescendant");
    }

    function open() {
      cursor = [box.selectionStart, box.selectionEnd];
      picker.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      search.value = "";
      active = 0;
      search.focus();
      load().then(() => { failed.hidden = true; draw(); }).catch(() => { failed.hidden = false; });
    }

    function close() {
      picker.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      box.focus();
      if (cursor) box.setSelectionRange(cursor[0], cursor[0]);
    }

    function insert(row) {
      const [start, end] = cursor || [box.value.length, box.value.length];
      box.value = box.value.slice(0, start) + row.text + box.value.slice(end);
      cursor = [start + row.text.length, start + row.text.length];
      picker.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      box.focus();
      box.setSelectionRange(cursor[0], cursor[0]);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }

    opener.addEventListener("click", open);
    box.addEventListener("keydown", (event) => {
      if (event.altKey && (event.key === "r" || event.key === "R")) { event.preventDefault(); open(); }
    });
    box.addEventListener("input", () => {
      const at = box.selectionStart;
      if (at >= 2 && box.value.slice(at - 2, at) === "::") {
        box.value = box.value.slice(0, at - 2) + box.value.slice(at);
        box.setSelectionRange(at - 2, at - 2);
        open();
      }
    });
    search.addEventListener("input", () => { active = 0; draw(); });
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); active = Math.min(active + 1, shown.length - 1); draw(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); active = Math.max(active - 1, 0); draw(); }
      else if (event.key === "Enter") { event.preventDefault(); if (shown[active]) insert(shown[active]); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
  }

  function start() { document.querySelectorAll("[data-canned]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
