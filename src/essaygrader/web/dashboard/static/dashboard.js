// Follows a running training on the item page, then reloads to show its result; and the
// essay page's grading form by keyboard.
// Without JavaScript the page still works: reload it by hand.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-poll]");
  if (!box) {
    return;
  }
  const url = box.dataset.poll;
  const show = (field, text) => {
    const element = box.querySelector(`[data-field="${field}"]`);
    if (element) {
      element.textContent = text;
    }
  };
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const workflow = await response.json();
        box.dataset.status = workflow.status;
        show("status", workflow.status);
        show("progress", `${workflow.criteria_done}/${workflow.criteria_total}`);
        show("attempts", String(workflow.attempts));
        const progress = box.querySelector("progress");
        if (progress) {
          progress.max = Math.max(workflow.criteria_total, 1);
          progress.value = workflow.criteria_done;
        }
        if (workflow.last_error) {
          show("last_error", workflow.last_error);
          box.querySelector('[data-field="last_error"]').hidden = false;
        }
        if (workflow.status === "complete" || workflow.status === "failed") {
          window.location.replace(window.location.pathname);
          return;
        }
      }
    } catch (error) {
      // A network hiccup: try again on the next tick.
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 500);
});

// The grading form: keys 1-9 choose an option of the highlighted criterion and move on
// to the next one; Enter saves (the browser first checks every criterion is chosen).
// Keys typed into a feedback box are left alone. Without JavaScript the form still works.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("grade-form");
  const scored = form ? Array.from(form.querySelectorAll("fieldset[data-scored]")) : [];
  if (scored.length === 0) {
    return;
  }
  let current = 0;
  const highlight = (index) => {
    current = Math.max(0, Math.min(index, scored.length - 1));
    scored.forEach((fieldset, i) => fieldset.classList.toggle("current", i === current));
  };
  const focusCriterion = (index) => {
    highlight(index);
    const fieldset = scored[current];
    const target = fieldset.querySelector("input[type=radio]:checked") || fieldset.querySelector("input[type=radio], select");
    if (target) {
      target.focus();
    }
  };
  form.addEventListener("focusin", (event) => {
    const index = scored.findIndex((fieldset) => fieldset.contains(event.target));
    if (index >= 0) {
      highlight(index);
    }
  });
  const typing = (element) => element instanceof Element && element.matches("textarea, select, input:not([type=radio]):not([type=checkbox])");
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (/^[1-9]$/.test(event.key)) {
      const chosen = scored[current].querySelectorAll("input[type=radio]")[Number(event.key) - 1];
      if (!chosen) {
        return;
      }
      event.preventDefault();
      chosen.checked = true;
      if (current < scored.length - 1) {
        focusCriterion(current + 1);
      } else {
        chosen.focus();
      }
    } else if (event.key === "Enter" && !(event.target instanceof Element && event.target.matches("button, a, summary"))) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const hasChoice = (fieldset) => fieldset.querySelector("input[type=radio]:checked") || fieldset.querySelector("select")?.value;
  const firstUnchosen = scored.findIndex((fieldset) => !hasChoice(fieldset));
  focusCriterion(firstUnchosen >= 0 ? firstUnchosen : 0);
});

// Forms that cannot be undone ask once more; the ticked box in the form is the first ask.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
