// Small behaviours shared by every page. Everything works without JavaScript too.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
  const all = event.target.closest("[data-check-all]");
  if (all) {
    all.closest("form").querySelectorAll('input[type=checkbox][name="incidents"]')
      .forEach((box) => { box.checked = all.checked; });
  }
});

// Dialogs: links with data-open-dialog open a <dialog>; data-close-dialog closes it.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (dialog && dialog.showModal) {
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("select, textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog").close();
});

// A dialog rendered open after a refused submit becomes modal so Escape and focus work.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("dialog[data-open]").forEach((dialog) => {
    dialog.close();
    dialog.showModal();
  });
});

// Keyboard shortcuts: "/" focuses search, single letters follow [data-shortcut] links/buttons.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable], dialog")) return;
  const focus = document.querySelector(`[data-shortcut-focus="${event.key}"]`);
  if (focus) {
    event.preventDefault();
    focus.focus();
    return;
  }
  const action = document.querySelector(`[data-shortcut="${event.key}"]`);
  if (action) {
    event.preventDefault();
    action.click();
  }
});

// Progress bars carry their share in data-fill; the style is set here because the
// Content-Security-Policy allows no inline style attributes.
function fillBars(root) {
  root.querySelectorAll("[data-fill]").forEach((bar) => {
    bar.style.inlineSize = `${Math.max(0, Math.min(100, Number(bar.dataset.fill) || 0))}%`;
  });
}
document.addEventListener("DOMContentLoaded", () => fillBars(document));
document.addEventListener("htmx:afterSwap", (event) => fillBars(event.target));

// Disclosures marked data-narrow-closed (the queues' filters) are rendered open; on a phone-sized
// screen they start closed, and they open again when the screen grows past the breakpoint, where
// their summary is hidden.
(() => {
  const narrow = window.matchMedia("(max-width: 720px)");
  const fold = () => {
    document.querySelectorAll("details[data-narrow-closed]").forEach((details) => {
      details.open = !narrow.matches;
    });
  };
  document.addEventListener("DOMContentLoaded", fold);
  narrow.addEventListener("change", fold);
})();

// An assignee menu refilled for a newly chosen group (htmx, [data-assignees-follow]): when the
// person chosen before is not in the group, the menu's value changed; a change event says so,
// so a filter bar that reloads on change shows what the menus now say.
document.addEventListener("htmx:beforeSwap", (event) => {
  const menu = event.detail.target;
  if (menu.matches && menu.matches("select[name='assignee']")) menu.dataset.previous = menu.value;
});
document.addEventListener("htmx:afterSwap", (event) => {
  const menu = event.detail.target;
  if (!menu.matches || !menu.matches("select[name='assignee']")) return;
  if (menu.dataset.previous !== menu.value) {
    menu.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
