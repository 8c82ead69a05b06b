// The office's live dashboard (/office/live): poll the server-rendered panel and swap it in place; a new open
// alert flashes the banner, beeps and marks the tab title. The page works without this script (static figures).
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (!panel || !window.fetch) { return; }
  var every = (parseInt(panel.getAttribute("data-poll"), 10) || 5) * 1000;
  var title = document.title;
  var status = document.getElementById("live-status");
  function openIds() {
    var el = panel.querySelector("[data-open-alerts]");
    return el ? el.getAttribute("data-open-alerts").split(",").filter(Boolean) : [];
  }
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.5);
    } catch (e) { /* no audio: the banner still flashes */ }
  }
  var known = openIds();
  function show(text) { if (status) { status.textContent = text; } }
  function tick() {
    fetch("/office/live/panel", {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("status " + r.status); }
        return r.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        var ids = openIds();
        var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
        if (fresh.length) { beep(); panel.classList.add("flash"); document.title = "【告警】" + title; }
        if (!ids.length) { panel.classList.remove("flash"); document.title = title; }
        known = ids;
        show("（已自动更新）");
      })
      .catch(function () { show("（自动更新失败：请检查网络或重新登录）"); })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
})();
