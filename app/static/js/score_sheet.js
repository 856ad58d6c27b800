// The expert's score sheet: the weighted total and the matching level
// descriptor update as the expert types. Autosave and the browser copy come
// from entry_form.js (the form is an .autosave-form).
(() => {
  "use strict";
  const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);

  // A submitted sheet: the browser copy of its draft is no longer needed.
  document.querySelectorAll("[data-forget-storage]").forEach((element) => {
    try { localStorage.removeItem(element.dataset.forgetStorage); } catch (error) { /* ignore */ }
  });

  const form = document.querySelector("form.score-sheet");
  if (!form) return;
  const output = document.getElementById("sheet-total");
  const note = document.getElementById("sheet-total-note");
  const inputs = Array.from(form.querySelectorAll("input.score-input[data-weight]"));

  const scoreOf = (input) => {
    const raw = input.value.trim();
    if (raw === "" || !input.checkValidity()) return null;
    const value = Number(raw);
    const max = Number(input.dataset.max);
    return Number.isFinite(value) && value >= 0 && value <= max ? value : null;
  };

  const highlightLevel = (input, score) => {
    const criterion = input.closest("[data-criterion]");
    if (!criterion) return;
    const levels = Array.from(criterion.querySelectorAll("li[data-min][data-max]"));
    const matching = levels.filter((li) => score !== null && Number(li.dataset.min) <= score && score <= Number(li.dataset.max));
    const best = matching.sort((a, b) => Number(b.dataset.min) - Number(a.dataset.min))[0];
    levels.forEach((li) => {
      li.classList.toggle("level-active", li === best);
      if (li === best) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    });
  };

  const update = () => {
    let total = 0;
    let scored = 0;
    inputs.forEach((input) => {
      const score = scoreOf(input);
      input.classList.toggle("is-invalid", input.value.trim() !== "" && score === null);
      highlightLevel(input, score);
      if (score === null) return;
      scored += 1;
      total += (Number(input.dataset.weight) * score) / Number(input.dataset.max);
    });
    // The same rounding as the server (4 decimals), shown without trailing zeros.
    // While some criteria are unscored it is the sum so far (the note says so).
    output.textContent = scored ? String(Number(total.toFixed(4))) : "—";
    note.textContent = scored === inputs.length ? "" : fmt(note.dataset.textPartial, { n: scored, m: inputs.length });
  };

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("autosave:restored", update);
  update();
})();
