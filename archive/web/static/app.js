// Small enhancements; every page works without this file.
// 1. The search form submits itself when a checkbox or select changes (no "Apply" click needed),
//    and leaves empty fields out so the URL stays short.
//    The page that comes back gives the focus to the control the reader used (a facet's
//    checkbox, the sort), not to its start: a keyboard or screen-reader user stays in place.
// 2. On a document, the previous/next-hit links point at the hits around the current one; a
//    passage anchor (#p-N, from a result's snippet) marks the first hit inside it as current.
// 2b. On a document, a passage permalink's paragraph is the one shown, and the "link to this
//    passage" controls copy their link.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  var FOCUS_KEY = "archive.focus";
  var FOCUS_SECONDS = 30;

  // The control as the next page can find it: its id, or a checkbox's name and value.
  function remember(control) {
    var mark = control.id ? { id: control.id } : { name: control.name, value: control.value };
    mark.at = Date.now();
    try {
      sessionStorage.setItem(FOCUS_KEY, JSON.stringify(mark));
    } catch (e) { /* storage refused (private mode): the page still works */ }
  }

  function restore() {
    var mark = null;
    try {
      mark = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
      sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { return; }
    if (!mark || Date.now() - mark.at > FOCUS_SECONDS * 1000) return;
    var control = null;
    if (mark.id) {
      control = document.getElementById(mark.id);
    } else {
      var boxes = document.querySelectorAll('input[type="checkbox"]');
      for (var i = 0; i < boxes.length && !control; i++) {
        if (boxes[i].name === mark.name && boxes[i].value === mark.value) control = boxes[i];
      }
    }
    if (!control) return;
    var closed = control.closest("details:not([open])");
    if (closed) closed.open = true; // a value under "more" is focusable once shown
    control.focus();
  }

  var form = document.getElementById("search-form");
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-autosubmit")) {
        remember(event.target);
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    });
    restore();
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
  if (text) passageLinks(text);
  var prev = document.querySelector('[data-hit-nav="prev"]');
  var next = document.querySelector('[data-hit-nav="next"]');
  if (!text || !prev || !next) return;
  var hits = text.querySelectorAll("mark[id^='hit-']");
  if (!hits.length) return;

  // A passage anchor marks its first hit as the current one (the look of a hit reached by "Next
  // hit"), so a reader who came from a result's snippet sees which words matched there.
  function markCurrent() {
    var old = text.querySelector("mark.current-hit");
    if (old) old.classList.remove("current-hit");
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (!target || target.tagName === "MARK" || !text.contains(target)) return target;
    var first = target.querySelector("mark[id^='hit-']");
    if (!first) return target;
    first.classList.add("current-hit");
    return first;
  }

  // Position between hits: the next link goes to hits[after], the previous one to hits[after - 2]
  // once a hit is current, or to the last hit before a passage anchor.
  function update() {
    var target = markCurrent();
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

function passageLinks(text) {
  // A permalink names its passage by its text (the server found it: data-passage-block); the
  // hash it came with may be an older position, so the passage found wins.
  var linked = text.getAttribute("data-passage-block");
  if (linked && location.hash !== "#" + linked) location.replace("#" + linked);

  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  text.appendChild(status);
  text.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-copy-link]") : null;
    // without a clipboard (a page served over plain http elsewhere than this machine), the
    // link is followed: the address bar then holds a link to the passage
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(
      function () {
        link.classList.add("copied");
        status.textContent = "Link to the passage copied";
        setTimeout(function () {
          link.classList.remove("copied");
          status.textContent = "";
        }, 2500);
      },
      function () {
        location.href = link.href;
      }
    );
  });
}

// 3. The timeline: dragging across bars selects a range of periods (a click still follows the
//    bar's own link, which narrows to that one period). Pointer events: a mouse, a pen or a
//    finger moving sideways (vertical swipes still scroll the page, see touch-action).
(function () {
  var bars = document.querySelector("[data-timeline]");
  if (!bars) return;
  var links = Array.prototype.slice.call(bars.querySelectorAll("a[data-from]"));
  var start = -1;
  var end = -1;
  var dragged = false;

  function indexAt(x, y) {
    var element = document.elementFromPoint(x, y);
    var link = element && element.closest ? element.closest("a[data-from]") : null;
    return link ? links.indexOf(link) : -1;
  }

  function paint() {
    var lo = Math.min(start, end);
    var hi = Math.max(start, end);
    links.forEach(function (link, i) {
      link.parentNode.classList.toggle("in-drag", start >= 0 && i >= lo && i <= hi);
    });
  }

  bars.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || !event.isPrimary) return;
    var i = indexAt(event.clientX, event.clientY);
    if (i < 0) return;
    event.preventDefault(); // no native link drag, no text selection
    start = end = i;
    dragged = false;
    paint();
  });
  document.addEventListener("pointermove", function (event) {
    if (start < 0) return;
    var i = indexAt(event.clientX, event.clientY);
    if (i >= 0 && i !== end) {
      end = i;
      dragged = dragged || end !== start;
      paint();
    }
  });
  document.addEventListener("pointercancel", function () {
    start = -1;
    dragged = false;
    paint();
  });
  document.addEventListener("pointerup", function () {
    if (start < 0) return;
    var lo = Math.min(start, end);
    var hi = Math.max(start, end);
    start = -1;
    if (!dragged) {
      paint();
      return; // a plain click: the link does the rest
    }
    var url = new URL(links[lo].href);
    url.searchParams.set("from", links[lo].getAttribute("data-from"));
    url.searchParams.set("to", links[hi].getAttribute("data-to"));
    url.searchParams.delete("page");
    window.location.assign(url.toString());
  });
  bars.addEventListener("click", function (event) {
    if (dragged) {
      event.preventDefault(); // the drag has already chosen its range
      dragged = false;
    }
  });
})();

// 4. Long facets: typing in a facet's filter box lists its matching values (ticked ones stay),
//    and "more" appends the next page of values, both from /api/facets/<facet>.
(function () {
  var DELAY = 200;

  function valueItem(param, value) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "facet-value" + (value.selected ? " selected" : "");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = param;
    box.value = value.value;
    box.checked = value.selected;
    box.setAttribute("data-autosubmit", "");
    var name = document.createElement("span");
    name.className = "facet-name";
    name.textContent = value.value;
    var count = document.createElement("span");
    count.className = "facet-count";
    count.textContent = value.count.toLocaleString("en");
    label.append(box, " ", name, " ", count);
    li.appendChild(label);
    return li;
  }

  function apiUrl(base, match, page) {
    var url = new URL(base, window.location.href);
    if (match) url.searchParams.set("facet_match", match);
    if (page > 1) url.searchParams.set("facet_page", String(page));
    return url.toString();
  }

  Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-facet]"), function (set) {
    var input = set.querySelector("[data-facet-filter]");
    var list = set.querySelector("[data-facet-list]");
    if (!input || !list) return;
    var param = set.getAttribute("data-param");
    var base = input.getAttribute("data-facet-filter");
    var original = list.innerHTML;
    var extras = set.querySelectorAll(".facet-more, .facet-pages");
    var timer = 0;
    var asked = 0;

    function checked() {
      return Array.prototype.filter.call(
        set.querySelectorAll('input[type="checkbox"]'),
        function (box) { return box.checked && !box.disabled; }
      );
    }

    function show(body, match) {
      var kept = checked();
      var keptValues = kept.map(function (box) { return box.value; });
      list.textContent = "";
      kept.forEach(function (box) {
        list.appendChild(valueItem(param, { value: box.value, count: Number(box.closest("label").querySelector(".facet-count").textContent.replace(/\D/g, "")), selected: true }));
      });
      body.values.forEach(function (value) {
        if (keptValues.indexOf(value.value) < 0) list.appendChild(valueItem(param, value));
      });
      if (!body.values.length) {
        var none = document.createElement("li");
        none.className = "facet-none";
        none.textContent = "No value matches “" + match + "”.";
        list.appendChild(none);
      }
      showExtras(false);
    }

    // The folded values and page links step aside while the list shows matches; their boxes
    // are disabled so that a hidden copy of a ticked value is not submitted twice.
    function showExtras(shown) {
      Array.prototype.forEach.call(extras, function (el) {
        el.hidden = !shown;
        Array.prototype.forEach.call(el.querySelectorAll("input"), function (box) {
          box.disabled = !shown;
        });
      });
    }

    function restore() {
      var kept = checked().map(function (box) { return box.value; });
      list.innerHTML = original;
      Array.prototype.forEach.call(list.querySelectorAll('input[type="checkbox"]'), function (box) {
        box.checked = kept.indexOf(box.value) >= 0;
      });
      showExtras(true);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var match = input.value.trim();
        var ticket = ++asked;
        if (!match) {
          restore();
          return;
        }
        fetch(apiUrl(base, match, 1), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) {
            if (body && ticket === asked) show(body, match); // a later keystroke wins
          })
          .catch(function () {});
      }, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && document.documentElement.classList.contains("js")) {
        event.preventDefault(); // the list already shows the matches
      }
    });

    var more = set.querySelector("[data-facet-more]");
    if (!more) return;
    more.addEventListener("click", function (event) {
      event.preventDefault();
      var page = Number(more.getAttribute("data-facet-more"));
      fetch(apiUrl(base, "", page), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          var target = set.querySelector(".facet-more .facet-values") || list;
          var details = set.querySelector(".facet-more");
          if (details) details.open = true;
          var present = Array.prototype.map.call(
            set.querySelectorAll('input[type="checkbox"]'),
            function (box) { return box.value; }
          );
          body.values.forEach(function (value) {
            if (present.indexOf(value.value) < 0) target.appendChild(valueItem(param, value));
          });
          original = list.innerHTML;
          if (page * body.per_page >= body.total) more.parentNode.hidden = true;
          else more.setAttribute("data-facet-more", String(page + 1));
        })
        .catch(function () {
          window.location.assign(more.href);
        });
    });
  });
})();

// 5. Autocomplete for the query box: a listbox of names, words and titles under it, with the
//    arrow keys, Enter and Escape. A word or name is searched; a title opens its document.
(function () {
  var input = document.querySelector("input[data-suggest]");
  if (!input || !input.form) return;
  var DELAY = 120;
  var endpoint = input.getAttribute("data-suggest");
  var list = document.createElement("ul");
  list.id = input.id + "-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  input.parentNode.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  var KINDS = { title: "article", name: "name", term: "word" };
  var items = [];
  var active = -1;
  var timer = 0;
  var asked = 0;

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, n) {
      li.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(i) {
    var item = items[i];
    if (!item) return;
    if (item.kind === "title" && item.id) {
      window.location.assign("/documents/" + item.id);
      return;
    }
    input.value = item.text;
    close();
    if (input.form.requestSubmit) input.form.requestSubmit();
    else input.form.submit();
  }

  function render(suggestions) {
    list.textContent = "";
    items = suggestions;
    active = -1;
    suggestions.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var text = document.createElement("span");
      text.className = "suggestion-text";
      text.textContent = item.text;
      var kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = KINDS[item.kind] || item.kind;
      li.append(text, kind);
      li.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep focus in the box
        choose(i);
      });
      list.appendChild(li);
    });
    list.hidden = !suggestions.length;
    input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var text = input.value;
    if (text.trim().length < 2) {
      asked++;
      close();
      return;
    }
    timer = window.setTimeout(function () {
      var ticket = ++asked;
      fetch(endpoint + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && ticket === asked) render(body.suggestions || []);
        })
        .catch(function () {});
    }, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1 < items.length ? active + 1 : 0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active > 0 ? active - 1 : items.length - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () {
    window.setTimeout(close, 100);
  });
})();
