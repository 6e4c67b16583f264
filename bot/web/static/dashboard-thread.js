// The request page's thread with the citizen, kept current while the page is open.
// Every 20 s while the tab is visible, and at once when it becomes visible again, it asks the server for
// the messages after the last one shown (/dashboard/requests/<id>/thread?after=<id>) and adds them as
// plain text. No library and no CDN: a cheap phone on a slow line pays a few hundred bytes per ask.
(function () {
  "use strict";
  var list = document.getElementById("thread-list");
  if (!list || !window.fetch) { return; }
  var EVERY_MS = 20000;
  var busy = false;

  function add(message) {
    var item = document.createElement("li");
    item.className = "msg " + (message.outgoing ? "out" : "in");
    var meta = document.createElement("div");
    meta.className = "msg-meta";
    meta.textContent = message.author + " · " + message.when;
    var text = document.createElement("div");
    text.className = "prose";
    text.textContent = message.text;
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
    list.setAttribute("data-after", String(message.id));
  }

  function poll() {
    if (busy || document.visibilityState === "hidden") { return; }
    busy = true;
    var url = list.getAttribute("data-poll") + "?after=" + encodeURIComponent(list.getAttribute("data-after") || "0");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : { messages: [] }; })
      .then(function (data) {
        data.messages.forEach(add);
        var none = document.getElementById("thread-none");
        if (none && data.messages.length) { none.hidden = true; }
      })
      .catch(function () { /* offline for a moment: the next ask catches up */ })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, EVERY_MS);
  document.addEventListener("visibilitychange", poll);
}());
