// Ctrl+K (Cmd+K on a Mac) focuses the header's search box from anywhere ("/" stays the page's own
// search, such as the queue's filter).
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "k") return;
  const box = document.querySelector("[data-search-box]");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
