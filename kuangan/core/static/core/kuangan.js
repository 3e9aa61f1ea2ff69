// Behaviour every page shares, kept out of the templates: the Content-Security-Policy allows no inline script.
// <form data-confirm="..."> asks before it is sent (e.g. a deletion).
document.addEventListener("submit", function (e) {
  var message = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) e.preventDefault();
});
