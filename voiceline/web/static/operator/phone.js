// The browser phone reads what the line says aloud when the operator asks for it.
// Progressive: without this script (or speech synthesis) the page works the same.
(function () {
  "use strict";
  var control = document.querySelector(".speak-control");
  var box = document.getElementById("speak");
  if (!control || !box || !("speechSynthesis" in window)) { return; }
  control.hidden = false;
  box.checked = window.localStorage.getItem("voiceline-speak") === "1";
  box.addEventListener("change", function () {
    window.localStorage.setItem("voiceline-speak", box.checked ? "1" : "0");
    if (!box.checked) { window.speechSynthesis.cancel(); }
  });
  var latest = document.getElementById("latest");
  if (latest && window.location.hash === "#latest") { latest.focus(); }
  if (!box.checked) { return; }
  document.querySelectorAll("#latest [data-speak]").forEach(function (item) {
    var words = new SpeechSynthesisUtterance(item.textContent);
    words.lang = /[ñáéíóú¿¡]/i.test(item.textContent) ? "es-US" : "en-US";
    window.speechSynthesis.speak(words);
  });
})();
