/*
 * Citizen web chat: a thin client of the JSON API in bot/web/webchat_api.py.
 *
 * The server owns the conversation; this script only draws replies, sends what the citizen typed or
 * tapped, and polls for messages that arrive later (follow-ups, counselor messages). The session id is
 * kept in localStorage, so the conversation is still there when the browser is opened again, with what
 * staff wrote meanwhile; "Akhiri dan hapus" ends it on the server and forgets it here (shared phones).
 * All visible strings come from the page's `#texts` JSON block, already in the citizen's language.
 * A photo is uploaded as it is (the server checks, cleans and stores it); one over the size limit is not
 * sent at all, which saves the citizen's data quota, and the page says why.
 *
 * Server text is only ever put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var POLL_INTERVAL_MS = 5000;
  // Cheap phones on 3G can be slow, but a request must not hang the chat for ever.
  var REQUEST_TIMEOUT_MS = 20000;
  var SESSION_KEY = "webchat.session_id";

  var app = document.getElementById("app");
  var texts = JSON.parse(document.getElementById("texts").textContent || "{}");
  var apiBase = (app.getAttribute("data-api-base") || "api/webchat").replace(/\/+$/, "");
  var els = {
    messages: document.getElementById("messages"),
    form: document.getElementById("composer-form"),
    text: document.getElementById("text"),
    send: document.getElementById("send"),
    location: document.getElementById("send-location"),
    photo: document.getElementById("send-photo"),
    photoFile: document.getElementById("photo-file"),
    end: document.getElementById("end-chat"),
  };
  // The server's photo limit (bot/domain/photos.py); unknown, the page sends and the server refuses.
  var maxPhotoBytes = Number(app.getAttribute("data-max-photo-bytes")) || Infinity;

  var state = {
    sessionId: null,
    lastSeq: 0,
    seen: new Set(), // seqs already drawn: a reply may come back from both a send and a poll
    busy: false, // a send is in flight; one at a time keeps the conversation in order
    locationRequested: false, // the latest bot reply asked for a location
    photoRequested: false, // ... or for a photo
    errorBubble: null,
    unsent: null, // {key, id} of the last send that failed: a retry reuses its client_message_id
    pollTimer: null,
    queue: Promise.resolve(),
  };

  /** A UI string; a missing catalog key shows itself so it is noticed, rather than an empty button. */
  function t(key) {
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------

  function ApiError(status) {
    this.status = status; // 0 means the network failed or the request timed out
  }

  /** Run API calls one after another, so a poll and a send never race and draw replies out of order. */
  function serial(task) {
    var run = state.queue.then(task, task);
    state.queue = run.catch(function () {});
    return run;
  }

  /** `body` is sent as JSON, or as it is when it is a file (a photo). */
  function request(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var options = { method: method, cache: "no-store", signal: controller.signal };
    if (body instanceof Blob) {
      options.headers = { "Content-Type": body.type || "application/octet-stream" };
      options.body = body;
    } else if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    return fetch(apiBase + path, options)
      .then(function (response) {
        if (!response.ok) throw new ApiError(response.status);
        return response.status === 204 ? null : response.json();
      })
      .catch(function (error) {
        throw error instanceof ApiError ? error : new ApiError(0);
      })
      .finally(function () { clearTimeout(timer); });
  }

  /** 128 random bits as hex; getRandomValues also works on plain-http pages, unlike randomUUID. */
  function newClientMessageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /**
   * The body to send, with a client_message_id. A failed send may still have reached the server (the
   * answer was lost), so sending the same thing again reuses the id and the server ignores the copy.
   */
  function withClientMessageId(body) {
    return Object.assign({ client_message_id: clientMessageIdFor(JSON.stringify(body)) }, body);
  }

  function clientMessageIdFor(key) {
    if (!state.unsent || state.unsent.key !== key) state.unsent = { key: key, id: newClientMessageId() };
    return state.unsent.id;
  }

  function sessionPath(suffix) {
    return "/sessions/" + encodeURIComponent(state.sessionId) + suffix;
  }

  // ---------------------------------------------------------------------------------------------
  // Session id: localStorage keeps it when the tab or the browser is closed, until the citizen ends
  // the conversation or the server has ended it (then it answers 404). Private modes may refuse
  // storage; the chat then still works until the page is closed.
  // ---------------------------------------------------------------------------------------------

  function loadSessionId() {
    try {
      var id = window.localStorage.getItem(SESSION_KEY);
      // A tab opened before sessions were kept across closing: keep its conversation too.
      var older = window.sessionStorage.getItem(SESSION_KEY);
      if (!id && older) {
        id = older;
        window.localStorage.setItem(SESSION_KEY, id);
      }
      if (older) window.sessionStorage.removeItem(SESSION_KEY);
      return id;
    } catch (e) { return null; }
  }

  function saveSessionId(id) {
    try { window.localStorage.setItem(SESSION_KEY, id); } catch (e) { /* see above */ }
  }

  function forgetSession() {
    try { window.localStorage.removeItem(SESSION_KEY); } catch (e) { /* see above */ }
    state.sessionId = null;
    state.unsent = null;
    state.lastSeq = 0;
    state.seen.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Drawing
  // ---------------------------------------------------------------------------------------------

  function isAtEnd() {
    var list = els.messages;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  }

  /**
   * Scroll so that `node` can be read from its top: to the end when it fits, otherwise with its top at
   * the top of the list. A long answer (a ticket code followed by the menu) is then read from where it
   * starts instead of from its last button.
   */
  function reveal(node) {
    var list = els.messages;
    list.scrollTop = Math.min(list.scrollHeight - list.clientHeight, node.offsetTop - 8);
  }

  function appendBubble(kind, text) {
    var bubble = document.createElement("div");
    bubble.className = "bubble " + kind;
    bubble.textContent = text;
    els.messages.appendChild(bubble);
    reveal(bubble);
    return bubble;
  }

  /** Draw the replies not drawn yet, in seq order, and scroll to the first of them. */
  function renderReplies(replies) {
    var drawn = (replies || [])
      .slice()
      .sort(function (a, b) { return a.seq - b.seq; })
      .filter(function (reply) { return !state.seen.has(reply.seq); })
      .map(renderReply);
    updateControls(); // before scrolling: the location button changes the height of the list
    if (drawn.length) reveal(drawn[0]);
  }

  function renderReply(reply) {
    state.seen.add(reply.seq);
    state.lastSeq = Math.max(state.lastSeq, reply.seq);

    var bubble = document.createElement("div");
    bubble.className = "bubble bot";
    bubble.setAttribute("data-seq", String(reply.seq));
    bubble.textContent = reply.text;
    if (reply.choices && reply.choices.length) {
      // Only the newest question is open: older buttons would answer a step that is over.
      disableChoices();
      bubble.appendChild(renderChoices(reply.choices));
    }
    els.messages.appendChild(bubble);
    state.locationRequested = Boolean(reply.request_location);
    state.photoRequested = Boolean(reply.request_photo);
    return bubble;
  }

  function renderChoices(choices) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    choices.forEach(function (choice) {
      group.appendChild(renderChoiceButton(choice));
    });
    return group;
  }

  function renderChoiceButton(choice) {
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-choice-id", choice.id);
    var label = document.createElement("span");
    label.className = "choice__label";
    label.textContent = choice.label;
    button.appendChild(label);
    if (choice.description) {
      var description = document.createElement("span");
      description.className = "choice__description";
      description.textContent = choice.description;
      button.appendChild(description);
    }
    button.addEventListener("click", function () { onChoice(button, choice); });
    return button;
  }

  /** Disable every open choice button; return them so a failed send can open them again. */
  function disableChoices() {
    var open = Array.prototype.slice.call(els.messages.querySelectorAll(".choices button:not(:disabled)"));
    open.forEach(function (button) { button.disabled = true; });
    return open;
  }

  function enableButtons(buttons) {
    buttons.forEach(function (button) { button.disabled = false; });
  }

  /** A dot animation while we wait for the server; decorative, so screen readers skip it. */
  function showTyping() {
    var bubble = appendBubble("bot typing", "");
    bubble.setAttribute("aria-hidden", "true");
    for (var i = 0; i < 3; i++) bubble.appendChild(document.createElement("span"));
    return bubble;
  }

  /** Show one error bubble at the bottom; a new error replaces the old one instead of piling up. */
  function showError(error, retry) {
    clearError();
    var key = "connection_error";
    if (error.status === 503) key = "try_again";
    else if (error.status === 413 || error.status === 422) key = "message_rejected";
    state.errorBubble = appendBubble("notice error", t(key));
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "notice__retry";
      button.textContent = t("retry");
      button.addEventListener("click", function () { clearError(); retry(); });
      state.errorBubble.appendChild(button);
    }
  }

  function clearError() {
    if (state.errorBubble) state.errorBubble.remove();
    state.errorBubble = null;
  }

  function updateControls() {
    els.send.disabled = state.busy || !state.sessionId;
    els.end.disabled = state.busy || !state.sessionId;
    els.location.hidden = !state.locationRequested || !state.sessionId;
    els.location.disabled = state.busy;
    els.photo.hidden = !state.photoRequested || !state.sessionId;
    els.photo.disabled = state.busy;
  }

  function setBusy(busy) {
    state.busy = busy;
    els.messages.setAttribute("aria-busy", busy ? "true" : "false");
    updateControls();
  }

  // ---------------------------------------------------------------------------------------------
  // Conversation
  // ---------------------------------------------------------------------------------------------

  /** Continue this device's conversation (after a reload, or the browser closed), or begin a new one. */
  function startConversation() {
    var stored = loadSessionId();
    if (!stored) return createSession();
    state.sessionId = stored;
    setBusy(true);
    return serial(function () { return request("GET", sessionPath("/messages?after=0")); })
      .then(function (data) {
        setBusy(false);
        clearError();
        renderReplies(data.replies);
        markNewMessages(data.replies);
        schedulePoll();
      })
      .catch(function (error) {
        setBusy(false);
        if (error.status === 404) {
          forgetSession();
          return createSession();
        }
        showError(error, startConversation);
      });
  }

  function createSession() {
    setBusy(true);
    var typing = showTyping();
    // The conversation starts in the language the page was served in (`/?lang=en`).
    var body = { language: document.documentElement.lang || undefined };
    return serial(function () { return request("POST", "/sessions", body); })
      .then(function (data) {
        state.sessionId = data.session_id;
        saveSessionId(data.session_id);
        clearError();
        renderReplies(data.replies);
        schedulePoll();
      })
      .catch(function (error) { showError(error, createSession); })
      .finally(function () {
        typing.remove();
        setBusy(false);
      });
  }

  /**
   * Send one message and draw the answer. The citizen's bubble is shown at once but stays "pending"
   * until the server has it; on failure it is taken back and `onFailure` restores what was typed or
   * tapped, so nothing the citizen wrote is lost.
   */
  function sendMessage(body, echo, onSuccess, onFailure) {
    if (state.busy || !state.sessionId) return;
    var payload = withClientMessageId(body);
    send(function () { return request("POST", sessionPath("/messages"), payload); }, echo, onSuccess, onFailure);
  }

  /** A photo: the file is the body; the same file sent again after a failure reuses its client_message_id. */
  function sendPhoto(file) {
    if (state.busy || !state.sessionId) return;
    var id = clientMessageIdFor(["photo", file.name, file.size, file.lastModified].join(":"));
    var path = sessionPath("/photos?client_message_id=" + encodeURIComponent(id));
    send(function () { return request("POST", path, file); }, t("your_photo"));
  }

  function send(post, echo, onSuccess, onFailure) {
    if (state.busy || !state.sessionId) return;
    setBusy(true);
    var reopened = disableChoices();
    var mine = appendBubble("user pending", echo);
    var typing = showTyping();
    serial(post)
      .then(function (data) {
        state.unsent = null;
        mine.classList.remove("pending");
        clearError();
        if (onSuccess) onSuccess();
        typing.remove();
        renderReplies(data.replies);
        // No replies means the server had this message already (our earlier try got through but its
        // answer was lost): its replies are waiting, so fetch them now rather than in five seconds.
        if (!data.replies || !data.replies.length) schedulePoll(0);
      })
      .catch(function (error) {
        typing.remove();
        mine.remove();
        enableButtons(reopened);
        if (onFailure) onFailure();
        if (error.status === 404) return restartAfterExpiry();
        showError(error);
      })
      .finally(function () { setBusy(false); });
  }

  /** The server forgot the session (expired or purged): begin again; the typed text stays in the box. */
  function restartAfterExpiry() {
    forgetSession();
    disableChoices();
    return createSession();
  }

  function onSubmit(event) {
    if (event) event.preventDefault();
    var text = els.text.value.trim();
    if (!text) return;
    sendMessage({ text: text }, text, function () {
      els.text.value = "";
      autosize();
    });
  }

  function onChoice(button, choice) {
    sendMessage({ choice: choice.id }, choice.label, function () {
      button.classList.add("chosen");
    });
  }

  function onSendLocation() {
    if (!("geolocation" in navigator)) return locationFailed();
    var label = els.location.querySelector(".composer__location-label");
    els.location.disabled = true;
    label.textContent = t("locating");
    var restore = function () {
      label.textContent = t("send_location");
      updateControls();
    };
    navigator.geolocation.getCurrentPosition(
      function (position) {
        restore();
        sendLocation(position.coords.latitude, position.coords.longitude);
      },
      function () {
        restore();
        locationFailed();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  function sendLocation(latitude, longitude) {
    var echo = t("your_location") + " (" + latitude.toFixed(5) + ", " + longitude.toFixed(5) + ")";
    sendMessage({ location: { latitude: latitude, longitude: longitude } }, echo);
  }

  /** Over the limit: not sent at all (a phone's data quota), and the citizen is told why, as the server would. */
  function onPhotoChosen() {
    var file = els.photoFile.files && els.photoFile.files[0];
    els.photoFile.value = ""; // the same file can be picked again after a failure
    if (!file) return;
    if (file.size > maxPhotoBytes) {
      appendBubble("notice", t("photo_too_large"));
      return;
    }
    sendPhoto(file);
  }

  /** Denied, unavailable or an insecure (http) page: the citizen can still type a landmark. */
  function locationFailed() {
    appendBubble("notice", t("location_denied"));
    els.text.focus();
  }

  /**
   * Show where the messages written while the page was closed begin (a counselor's message, an
   * appointment offer), and scroll there rather than to the top of the history.
   */
  function markNewMessages(replies) {
    var first = (replies || []).filter(function (reply) { return reply.unread; })
      .sort(function (a, b) { return a.seq - b.seq; })[0];
    var bubble = first && els.messages.querySelector('.bubble.bot[data-seq="' + first.seq + '"]');
    if (!bubble) return;
    var divider = document.createElement("div");
    divider.className = "bubble notice divider";
    divider.textContent = t("new_messages");
    els.messages.insertBefore(divider, bubble);
    reveal(divider);
  }

  /**
   * "Akhiri dan hapus percakapan di perangkat ini": end the session on the server (its id is refused
   * from then on), forget it here and clear the page, so the next person on a shared phone finds
   * nothing. The device is cleared even when the server cannot be reached: that is the promise.
   */
  function onEnd() {
    if (state.busy || !state.sessionId || !window.confirm(t("end_confirm"))) return;
    setBusy(true);
    serial(function () { return request("DELETE", sessionPath("")); })
      .catch(function () { /* 404: ended already; offline: the device is cleared all the same */ })
      .then(function () {
        clearTimeout(state.pollTimer);
        forgetSession();
        state.locationRequested = false;
        state.photoRequested = false;
        clearError();
        els.messages.replaceChildren();
        els.text.value = "";
        autosize();
        var notice = appendBubble("notice", t("ended"));
        var again = document.createElement("button");
        again.type = "button";
        again.className = "notice__start";
        again.textContent = t("start_new");
        again.addEventListener("click", function () {
          notice.remove();
          createSession();
        });
        notice.appendChild(again);
      })
      .finally(function () { setBusy(false); });
  }

  // ---------------------------------------------------------------------------------------------
  // Polling for later messages, only while the page is visible (saves the citizen's data quota)
  // ---------------------------------------------------------------------------------------------

  function schedulePoll(delay) {
    clearTimeout(state.pollTimer);
    if (document.visibilityState !== "visible") return;
    state.pollTimer = setTimeout(poll, delay === undefined ? POLL_INTERVAL_MS : delay);
  }

  function poll() {
    if (!state.sessionId || state.busy) return schedulePoll();
    serial(function () { return request("GET", sessionPath("/messages?after=" + state.lastSeq)); })
      .then(function (data) {
        clearError();
        renderReplies(data.replies);
      })
      .catch(function (error) {
        if (error.status === 404) return restartAfterExpiry();
        // A phone losing signal would otherwise get a new bubble every five seconds.
        if (!state.errorBubble) showError(error);
      })
      .finally(function () { schedulePoll(); });
  }

  function onVisibilityChange() {
    if (document.visibilityState === "visible") poll();
    else clearTimeout(state.pollTimer);
  }

  // ---------------------------------------------------------------------------------------------
  // Text box
  // ---------------------------------------------------------------------------------------------

  /** Grow the text box with its content, up to the CSS max-height. */
  function autosize() {
    els.text.style.height = "auto";
    els.text.style.height = els.text.scrollHeight + "px";
  }

  /**
   * Keep the newest message in view when the list gets shorter (the on-screen keyboard opens, the
   * text box grows, the location button appears), but only if the citizen was reading the end.
   */
  function keepEndInView() {
    var atEnd = true;
    els.messages.addEventListener("scroll", function () { atEnd = isAtEnd(); }, { passive: true });
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () {
      if (atEnd) els.messages.scrollTop = els.messages.scrollHeight;
    }).observe(els.messages);
  }

  /** Enter sends, Shift+Enter makes a new line; Enter that ends an IME composition does neither. */
  function onKeyDown(event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (!els.send.disabled) onSubmit();
  }

  els.form.addEventListener("submit", onSubmit);
  els.text.addEventListener("keydown", onKeyDown);
  els.text.addEventListener("input", autosize);
  els.location.addEventListener("click", onSendLocation);
  els.photo.addEventListener("click", function () { els.photoFile.click(); });
  els.photoFile.addEventListener("change", onPhotoChosen);
  els.end.addEventListener("click", onEnd);
  document.addEventListener("visibilitychange", onVisibilityChange);

  keepEndInView();
  updateControls();
  startConversation();
})();
