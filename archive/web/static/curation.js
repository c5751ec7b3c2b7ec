// Archivists' pages, enhanced; each works without this file as plain forms.
// 1. /upload: drag-and-drop or choose several files; each uploads as a draft with its own
//    progress bar, then shows the suggested metadata to confirm or correct and publish (PATCH).
// 2. /import?job=N: the import's progress, refreshed every second from GET /api/jobs/N.
// Values from the server are set with textContent and .value, never parsed as HTML.
"use strict";

(function () {
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  // 2023-06-11 -> 11 June 2023 (as display.human_date does on the server)
  function humanDate(iso) {
    var parts = (iso || "").split("-");
    if (parts.length === 3) return +parts[2] + " " + MONTHS[+parts[1] - 1] + " " + parts[0];
    if (parts.length === 2) return MONTHS[+parts[1] - 1] + " " + parts[0];
    return iso || "";
  }

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf"]');
    return field ? field.value : null;
  }

  function parseJSON(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function lines(text, separator) {
    return text.split(separator).map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  // --- upload ------------------------------------------------------------------------------
  function initUpload(form) {
    var input = document.getElementById("upload-file");
    var zone = document.getElementById("drop-zone");
    var list = document.getElementById("upload-list");
    var template = document.getElementById("upload-item-template");
    var api = form.getAttribute("data-api");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    var token = csrfToken(form);
    var count = 0;

    input.multiple = true;
    var label = form.querySelector('label[for="upload-file"]');
    if (label) label.textContent = "Choose files";

    function uploadAll(files) {
      Array.prototype.forEach.call(files, function (file) { upload(file, ++count); });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = ""; // choosing the same file again must upload it again
      uploadAll(files);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files) uploadAll(event.dataTransfer.files);
    });

    function upload(file, n) {
      var item = template.content.firstElementChild.cloneNode(true);
      var state = item.querySelector(".upload-state");
      var progress = item.querySelector(".upload-progress");
      var message = item.querySelector(".upload-message");
      item.querySelector(".upload-name").textContent = file.name;
      list.appendChild(item);

      function fail(text, extra) {
        item.classList.add("failed");
        progress.hidden = true;
        state.textContent = "Not uploaded";
        message.hidden = false;
        message.textContent = text;
        if (extra) {
          message.appendChild(document.createTextNode(" "));
          message.appendChild(extra);
        }
      }

      if (file.size > maxBytes) {
        fail("This file is over the upload limit of " + maxBytes.toLocaleString() + " bytes.");
        return;
      }
      state.textContent = "Uploading…";
      var data = new FormData();
      data.append("publish", "false");
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", api);
      xhr.setRequestHeader("Accept", "application/json");
      if (token) xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
      });
      xhr.addEventListener("load", function () {
        var body = parseJSON(xhr.responseText) || {};
        if (xhr.status === 201) {
          progress.value = 100;
          progress.hidden = true;
          state.textContent = "Draft: check the details, then publish";
          confirmForm(item, body, n);
        } else if (xhr.status === 409 && body.existing_id) {
          fail(body.error, link(body.existing_url, "Open the stored document"));
        } else {
          fail(body.error || "The upload failed (" + xhr.status + ").");
        }
      });
      xhr.addEventListener("error", function () {
        fail("The upload did not reach the archive; check the connection and try again.");
      });
      xhr.send(data);
    }

    // The start of the extracted text beside the form (as _partials/text_preview.html does
    // on the edit page): see what was read before confirming it.
    function textPreview(section, blocks, ocr) {
      var body = section.querySelector(".preview-body");
      if (ocr && ocr.summary) {
        // which pages were read by OCR, or wait for it (as _partials/ocr_note.html says)
        var note = document.createElement("p");
        note.className = "ocr-note" + (ocr.needs_ocr.length ? " needs-ocr" : "");
        note.textContent = ocr.summary + ".";
        section.insertBefore(note, body);
      }
      var used = 0;
      var total = 0;
      var shown = 0;
      blocks.forEach(function (block) {
        total += block.text.length;
        if (used >= PREVIEW_CHARS) return;
        var el = document.createElement(block.kind === "heading" ? "h4" : "p");
        el.className = block.kind === "heading" ? "preview-heading" : (block.kind === "caption" ? "preview-caption" : "");
        el.textContent = used + block.text.length <= PREVIEW_CHARS ? block.text : block.text.slice(0, PREVIEW_CHARS - used) + "…";
        body.appendChild(el);
        used += block.text.length;
        shown += 1;
      });
      var flag = section.querySelector(".short-text-flag");
      if (total < SHORT_TEXT_CHARS) {
        flag.textContent = (total ? "Very little text was extracted (" + total + " characters)." : "No text was extracted.") +
          " Check the original before publishing.";
        flag.hidden = false;
      }
      var more = section.querySelector(".preview-more");
      if (shown < blocks.length) {
        more.textContent = "… and " + (blocks.length - shown).toLocaleString("en") + " more blocks (" +
          total.toLocaleString("en") + " characters in all).";
        more.hidden = false;
      }
      section.hidden = false;
    }

    function confirmForm(item, doc, n) {
      var form = item.querySelector(".confirm-form");
      var error = form.querySelector(".form-error");
      var fields = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-name]"), function (field) {
        var name = field.getAttribute("data-name");
        field.id = "u" + n + "-" + name;
        field.name = name;
        fields[name] = field;
      });
      Array.prototype.forEach.call(form.querySelectorAll("label[data-for]"), function (label) {
        label.htmlFor = "u" + n + "-" + label.getAttribute("data-for");
      });
      fields.title.value = doc.title || "";
      fields.authors.value = (doc.authors || []).join("\n");
      fields.authors.rows = Math.max(2, (doc.authors || []).length);
      fields.publication.value = doc.publication || "";
      fields.date.value = doc.date || "";
      fields.language.value = doc.language || "";
      fields.tags.value = (doc.tags || []).join(", ");
      if (doc.date_ambiguous && doc.date_readings && doc.date_readings.length > 1) {
        dateReadings(form.querySelector(".date-readings"), fields.date, doc.date_readings, n);
      }
      form.querySelector(".more-link").href = "/documents/" + doc.id + "/edit";
      form.hidden = false;
      textPreview(item.querySelector(".text-preview"), doc.blocks || [], doc.ocr);

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        error.hidden = true;
        var changes = {
          title: fields.title.value,
          authors: lines(fields.authors.value, "\n"),
          publication: fields.publication.value,
          date: fields.date.value,
          language: fields.language.value,
          tags: lines(fields.tags.value, ","),
          status: "published"
        };
        var xhr = new XMLHttpRequest();
        xhr.open("PATCH", "/api/documents/" + doc.id);
        xhr.setRequestHeader("Content-Type", "application/json");
        xhr.setRequestHeader("Accept", "application/json");
        if (token) xhr.setRequestHeader("X-CSRF-Token", token);
        xhr.addEventListener("load", function () {
          var body = parseJSON(xhr.responseText) || {};
          button.disabled = false;
          if (xhr.status === 200) {
            published(item, body);
          } else {
            error.hidden = false;
            error.textContent = body.error || "Publishing failed (" + xhr.status + ").";
          }
        });
        xhr.addEventListener("error", function () {
          button.disabled = false;
          error.hidden = false;
          error.textContent = "The archive did not answer; try again.";
        });
        xhr.send(JSON.stringify(changes));
      });
    }

    // An ambiguous date: both readings as radio buttons that fill the date field.
    function dateReadings(fieldset, dateInput, readings, n) {
      readings.forEach(function (iso, i) {
        var label = document.createElement("label");
        label.className = "choice";
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "u" + n + "-reading";
        radio.value = iso;
        radio.checked = dateInput.value === iso;
        radio.addEventListener("change", function () { dateInput.value = iso; });
        label.appendChild(radio);
        var how = i === 0 ? " (as read)" : " (day and month swapped)";
        label.appendChild(document.createTextNode(" " + humanDate(iso) + how));
        fieldset.appendChild(label);
      });
      dateInput.addEventListener("input", function () {
        Array.prototype.forEach.call(fieldset.querySelectorAll("input"), function (radio) {
          radio.checked = radio.value === dateInput.value;
        });
      });
      fieldset.hidden = false;
    }

    function published(item, doc) {
      item.classList.add("published");
      item.querySelector(".confirm-form").hidden = true;
      item.querySelector(".text-preview").hidden = true;
      item.querySelector(".upload-state").textContent = "Published";
      var message = item.querySelector(".upload-message");
      message.hidden = false;
      message.textContent = "";
      message.appendChild(link("/documents/" + doc.id, doc.title || "Untitled"));
      message.appendChild(document.createTextNode(" is in search results now. "));
      message.appendChild(link("/documents/" + doc.id + "/edit", "Edit"));
    }
  }

  // --- bulk import progress ----------------------------------------------------------------
  // as archive/web/curation_display.PREVIEW_CHARS and archive/models.SHORT_TEXT_CHARS
  var PREVIEW_CHARS = 6000;
  var SHORT_TEXT_CHARS = 200;

  var STATES = { running: "Importing…", done: "Done.", failed: "Failed.", interrupted: "Stopped." };

  function initJob(section) {
    var url = section.getAttribute("data-job-url");
    var bar = section.querySelector(".job-progress");
    var stateText = section.querySelector(".job-state");
    var errors = section.querySelector(".job-errors");

    function show(job) {
      section.className = "job job-" + job.state;
      stateText.textContent = (STATES[job.state] || job.state) + (job.message ? " " + job.message : "");
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
      } else {
        bar.removeAttribute("value"); // an unknown total: an indeterminate bar
      }
      ["done", "added", "duplicates", "failed"].forEach(function (name) {
        section.querySelector('[data-count="' + name + '"]').textContent =
          job[name].toLocaleString("en");
      });
      var listEl = errors.querySelector("ul");
      listEl.textContent = "";
      job.errors.forEach(function (e) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.className = "error-name";
        name.textContent = e.name;
        li.appendChild(name);
        li.appendChild(document.createTextNode(": " + e.reason));
        listEl.appendChild(li);
      });
      errors.hidden = job.errors.length === 0;
      // how each file was read (its detected type)
      var readAs = section.querySelector(".job-read-as");
      var readAsFiles = section.querySelector(".job-read-as-files");
      readAs.querySelector("[data-read-as-summary]").textContent = job.read_as_summary;
      readAs.hidden = readAsFiles.hidden = job.read_as.length === 0;
      var filesEl = readAsFiles.querySelector("ul");
      filesEl.textContent = "";
      job.read_as.forEach(function (f) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.className = "read-as-file";
        name.textContent = f.file;
        li.appendChild(name);
        li.appendChild(document.createTextNode(": read as " + f.as));
        filesEl.appendChild(li);
      });
      // the same job's row in the recent imports list
      var row = document.querySelector('[data-job-row="' + job.id + '"]');
      if (row) {
        ["state", "added", "duplicates", "failed"].forEach(function (name) {
          var cell = row.querySelector('[data-field="' + name + '"]');
          var value = job[name];
          if (cell) cell.textContent = typeof value === "number" ? value.toLocaleString("en") : value;
        });
      }
      section.querySelector(".job-links").hidden = !job.finished;
    }

    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        var job = xhr.status === 200 ? parseJSON(xhr.responseText) : null;
        if (job) show(job);
        if (!job && xhr.status < 500) {
          // signed out or gone: polling again would only repeat the refusal
          stateText.textContent = "Progress is unavailable (" + xhr.status + "); reload the page.";
          return;
        }
        // an interrupted job is not finished, but it will not move again until resumed
        if (!job || job.state === "running") window.setTimeout(poll, 1000);
      });
      xhr.addEventListener("error", function () { window.setTimeout(poll, 2000); });
      xhr.send();
    }

    poll();
  }

  var uploadForm = document.getElementById("upload-form");
  if (uploadForm) initUpload(uploadForm);
  var job = document.getElementById("job");
  if (job) initJob(job);
})();
