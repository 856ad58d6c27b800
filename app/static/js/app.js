// Progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form marked data-confirm is submitted, or before a form is
  // submitted with a button marked data-confirm (the button's text wins).
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const message = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
      if (message && !window.confirm(message)) event.preventDefault();
    });
  });
});

// Print buttons (a library case page): no inline script under the CSP.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});

// A page answering a failed POST names its own address (data-address): the
// address bar shows it, so a reload asks for the page instead of posting again.
document.querySelectorAll("[data-address]").forEach((element) => {
  window.history.replaceState(window.history.state, "", element.dataset.address);
});
