// Progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form marked data-confirm is submitted.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
