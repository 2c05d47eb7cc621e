// Follows a running training on the item page, then reloads to show its result.
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
