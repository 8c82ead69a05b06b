// The progress of a card sheet drawn on the server (/office/campaigns/<year>/cards/<job>): poll its small JSON
// status every second and update the bar; when the sheet is done (or failed) reload the page, which then offers the
// download (or shows the error). Without this script the page refreshes itself while the job runs.
(function () {
  "use strict";
  var box = document.getElementById("card-job");
  if (!box || !window.fetch) { return; }
  var state = box.getAttribute("data-state");
  if (state !== "queued" && state !== "running") { return; }
  var url = box.getAttribute("data-status");
  var bar = document.getElementById("job-progress");
  var text = document.getElementById("job-text");
  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (s) {
        bar.value = s.done;
        bar.max = s.count;
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        text.textContent = s.state === "queued" ? "排队中：前一批评议卡正在生成，稍候自动开始。"
          : "正在生成：已完成 " + s.done + " / " + s.count + " 张。";
        window.setTimeout(tick, 1000);
      })
      .catch(function () { text.textContent = "暂时无法获取进度，正在重试……"; window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
}());
