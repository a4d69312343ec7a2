/* The return form, enhanced: each row's RAG follows what the head types.
 *
 * Only an enhancement: without this script the page works the same, and after every save the
 * server shows each row's RAG as kpis.rag.judge decides it. The row carries what judging needs
 * (data-threshold already computed for this academy: its own target, the baseline or the
 * national figure; data-amber the amber width in the value's units; data-direction); the words
 * and symbols come from the form's data-rag-words (kpis.rag's, the same as the board's).
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-rag-words]");
  if (!form) {
    return;
  }
  var words = JSON.parse(form.getAttribute("data-rag-words"));
  var AS_TYPED = "as you typed it, not saved yet";

  function read(text, measure) {
    var cleaned = String(text).replace(/[\s,£]/g, "").replace(/\u2212/g, "-");
    if (measure === "percentage") {
      cleaned = cleaned.replace(/%$/, "");
    }
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(cleaned)) {
      return null;
    }
    var value = parseFloat(cleaned);
    if (measure === "percentage" && (value < 0 || value > 100)) {
      return null;
    }
    if (measure === "count" && (value < 0 || Math.floor(value) !== value)) {
      return null;
    }
    return value;
  }

  function judge(row, value) {
    if (row.dataset.threshold === undefined) {
      return "no_target";
    }
    var threshold = parseFloat(row.dataset.threshold);
    var amber = parseFloat(row.dataset.amber || "0");
    var shortfall = row.dataset.direction === "lower" ? value - threshold : threshold - value;
    shortfall = Math.round(shortfall * 1e6) / 1e6; // exactly on an edge stays on it
    if (shortfall <= 0) {
      return "green";
    }
    return shortfall <= amber ? "amber" : "red";
  }

  function enhance(row) {
    var input = row.querySelector("[name^='value_']");
    var notAvailable = row.querySelector("[name^='na_']");
    var output = row.querySelector("[data-rag-output]");
    if (!input || !output || input.disabled) {
      return;
    }
    var symbol = output.querySelector("[data-rag-symbol]");
    var label = output.querySelector("[data-rag-label]");
    var why = output.querySelector("[data-rag-why]");
    var saved = {
      value: input.value,
      na: notAvailable ? notAvailable.checked : false,
      className: output.className,
      symbol: symbol.textContent,
      label: label.textContent,
      why: why.textContent
    };

    function show(className, symbolText, labelText, whyText) {
      output.className = className;
      symbol.textContent = symbolText;
      label.textContent = labelText;
      why.textContent = whyText;
    }

    function update() {
      var na = notAvailable ? notAvailable.checked : false;
      if (input.value === saved.value && na === saved.na) {
        show(saved.className, saved.symbol, saved.label, saved.why);
        return;
      }
      var text = input.value.trim();
      if (!text) {
        show("rag-badge", na ? words.not_applicable[0] : "", na ? "Not available" : "No value yet", "");
        return;
      }
      var value = read(text, row.dataset.measure);
      if (value === null) {
        show("rag-badge rag-missing", words.missing[0], "Cannot be read", "check what you typed");
        return;
      }
      var outcome = judge(row, value);
      show("rag-badge rag-" + outcome, words[outcome][0], words[outcome][1], AS_TYPED);
    }

    output.setAttribute("aria-live", "polite");
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    if (notAvailable) {
      notAvailable.addEventListener("change", update);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-rag-row]"), enhance);
  // After a save that needs attention, start where the problems are listed (GOV.UK pattern).
  var summary = document.getElementById("error-summary");
  if (summary && summary.getAttribute("role") === "alert") {
    summary.focus();
  }
})();
