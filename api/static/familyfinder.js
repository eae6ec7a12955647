// Start GOV.UK Frontend's components (error summary focus, navigation toggle, ...).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

// A page that watches something running (a matching round) reloads itself until done.
const poll = document.querySelector("[data-poll-seconds]");
if (poll) {
  const seconds = Number(poll.getAttribute("data-poll-seconds")) || 2;
  window.setTimeout(() => window.location.reload(), seconds * 1000);
}
