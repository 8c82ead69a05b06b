// Progressive enhancement of the ballot page: keep each department's "已答 n / 20" current while the evaluator
// answers. The server renders the same count on every page, so the page is complete and correct without this.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (input.type !== "radio" || input.name.indexOf("a.") !== 0) return;
  var code = input.name.split(".")[1];
  var section = document.querySelector('section[data-dept="' + CSS.escape(code) + '"]');
  if (!section) return;
  var answered = section.querySelectorAll('input[type="radio"]:checked').length;
  var total = section.querySelectorAll("fieldset.item").length;
  document.querySelectorAll('[data-count-for="' + CSS.escape(code) + '"]').forEach(function (el) {
    el.querySelector("b").textContent = answered;
    el.classList.toggle("done", answered === total);
  });
});
