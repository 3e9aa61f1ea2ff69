// A poll answered with something other than the rows (the log-in page after the session ended, the
// password-change page) reloads the whole page instead of nesting that page inside the list.
document.addEventListener("htmx:beforeSwap", function (e) {
  var target = e.detail.target;
  if (target && target.id === "alarm-table" && (e.detail.serverResponse || "").indexOf('id="alarm-table"') === -1) {
    e.detail.shouldSwap = false;
    window.location.reload();
  }
});
