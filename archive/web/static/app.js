// Small enhancements; every page works without this file.
// 1. The search form submits itself when a checkbox or select changes (no "Apply" click needed),
//    and leaves empty fields out so the URL stays short.
// 2. On a document, the previous/next-hit links point at the hits around the current one.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  var form = document.getElementById("search-form");
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-autosubmit")) {
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    });
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === "" && !field.disabled) field.disabled = true;
      });
    });
    // Coming back through the history cache must not leave fields disabled.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        field.disabled = false;
      });
    });
  }

  var text = document.querySelector(".document-text");
  var prev = document.querySelector('[data-hit-nav="prev"]');
  var next = document.querySelector('[data-hit-nav="next"]');
  if (!text || !prev || !next) return;
  var hits = text.querySelectorAll("mark[id^='hit-']");
  if (!hits.length) return;

  // Position between hits: the next link goes to hits[after], the previous one to hits[after - 2]
  // once a hit is current, or to the last hit before a passage anchor.
  function update() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    var before = 0; // hits strictly before the target
    var current = 0; // 1 when the target is itself a hit
    if (target) {
      for (var i = 0; i < hits.length; i++) {
        if (hits[i] === target) {
          current = 1;
          break;
        }
        var position = target.compareDocumentPosition(hits[i]);
        if (position & Node.DOCUMENT_POSITION_FOLLOWING) break;
        if (position & Node.DOCUMENT_POSITION_CONTAINED_BY) break;
        before++;
      }
    }
    var nextIndex = before + current; // zero-based index of the next hit
    var prevIndex = before - 1;
    if (nextIndex >= hits.length) nextIndex = 0; // wrap around
    if (prevIndex < 0) prevIndex = hits.length - 1;
    next.setAttribute("href", "#" + hits[nextIndex].id);
    prev.setAttribute("href", "#" + hits[prevIndex].id);
  }

  window.addEventListener("hashchange", update);
  update();
})();
