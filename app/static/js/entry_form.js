// Forms that autosave: the entry wizard (form.entry-form) and the expert's
// score sheet (form.autosave-form). Character counters, autosave to the
// server while typing, and a copy in this browser (localStorage) so nothing
// typed is lost when the session expires, the network drops or the browser
// closes.
//
// The form carries data-autosave-url, data-storage-key, data-updated-at and
// the data-text-* messages. The server answers JSON {ok, version} (422 with
// {errors: {field: message}} when some fields are invalid). Optional: with
// data-field-errors the messages are shown beside the fields, in elements
// [data-error-for="<field name>"]. The form receives the events
// "autosave:saved" (detail: the server's answer) and "autosave:restored".
//
// The local copy notes the entry version it was typed on. A copy kept when
// the form was submitted is only a safety net for that request (an expired
// session, a dropped network): once the page comes back with a newer
// version, the submit went through and the copy is dropped — it would
// otherwise offer to "restore" what was just saved. A copy is offered back
// only when it holds something the page does not (see differs()).
(() => {
  "use strict";
  const form = document.querySelector("form.entry-form, form.autosave-form");
  if (!form) return;

  const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
  const status = form.querySelector(".autosave-status");
  const key = form.dataset.storageKey;
  const version = form.querySelector("input[name=version]");
  const fields = () => Array.from(form.elements).filter(
    (el) => el.name && !["csrf_token", "version", "goto"].includes(el.name) && el.type !== "submit");

  // --- character counters ---------------------------------------------------
  const updateCounter = (input) => {
    const counter = form.querySelector(`[data-count-for="${input.id}"]`);
    if (!counter) return;
    const left = Number(input.dataset.limit) - input.value.length;
    counter.textContent = fmt(left >= 0 ? form.dataset.textLeft : form.dataset.textOver, { n: Math.abs(left) });
    counter.classList.toggle("text-danger", left < 0);
  };
  form.querySelectorAll("[data-limit]").forEach((input) => {
    updateCounter(input);
    input.addEventListener("input", () => updateCounter(input));
  });

  // --- a copy in this browser -----------------------------------------------
  const snapshot = () => {
    const values = {};
    fields().forEach((el) => {
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (!(el.name in values)) values[el.name] = "";
        if (el.checked) values[el.name] = el.value;
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  };
  const restore = (values) => {
    fields().forEach((el) => {
      if (!(el.name in values)) return;
      if (el.type === "checkbox") el.checked = values[el.name].includes(el.value);
      else if (el.type === "radio") el.checked = values[el.name] === el.value;
      else el.value = values[el.name];
      if (el.dataset.limit) updateCounter(el);
    });
  };
  const keep = (submitted = false) => {
    try {
      localStorage.setItem(key, JSON.stringify({
        savedAt: new Date().toISOString(), version: version.value, submitted, values: snapshot(),
      }));
    } catch (error) { /* storage full or disabled: the server copy still works */ }
  };
  const forget = () => { try { localStorage.removeItem(key); } catch (error) { /* ignore */ } };
  // Whether the copy holds something the page does not. Only fields on both
  // count: the server may add fields (the empty outcome row after a save),
  // and a field the page lacks could not be restored anyway. Numbers compare
  // by value: the server may write 8 as 8.0.
  const sameValue = (a, b) => {
    if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
    if (a === b) return true;
    const number = (text) => (typeof text === "string" && text.trim() !== "" ? Number(text) : NaN);
    return !Number.isNaN(number(a)) && number(a) === number(b);
  };
  const differs = (saved, current) => Object.keys(saved).some(
    (name) => name in current && !sameValue(saved[name], current[name]));

  let stored = null;
  try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { stored = null; }
  const savedSince = stored && stored.submitted && stored.version !== version.value;
  if (stored && stored.values && !savedSince && differs(stored.values, snapshot())
      && new Date(stored.savedAt) > new Date(form.dataset.updatedAt)) {
    const banner = document.createElement("div");
    banner.className = "alert alert-info d-flex flex-wrap gap-2 align-items-center";
    banner.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = fmt(form.dataset.textRestore, { time: new Date(stored.savedAt).toLocaleString() });
    const restoreButton = document.createElement("button");
    restoreButton.type = "button";
    restoreButton.className = "btn btn-sm btn-primary";
    restoreButton.textContent = form.dataset.textRestoreButton;
    const discardButton = document.createElement("button");
    discardButton.type = "button";
    discardButton.className = "btn btn-sm btn-outline-secondary";
    discardButton.textContent = form.dataset.textDiscardButton;
    restoreButton.addEventListener("click", () => {
      restore(stored.values);
      banner.remove();
      form.dispatchEvent(new CustomEvent("autosave:restored"));
      schedule();
    });
    discardButton.addEventListener("click", () => { forget(); banner.remove(); });
    banner.append(text, restoreButton, discardButton);
    form.prepend(banner);
  } else if (stored) {
    forget();
  }

  // --- autosave to the server -----------------------------------------------
  let timer = null;
  let inFlight = false;
  let dirty = false;
  let submitted = false; // the form is on its way: the local copy is final
  let submitAfterSave = null; // a submit held back until the autosave in flight answers
  const say = (message, danger = false) => {
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("text-danger", danger);
  };
  const showErrors = (errors) => {
    if (!("fieldErrors" in form.dataset)) return;
    form.querySelectorAll("[data-error-for]").forEach((box) => {
      const message = errors[box.dataset.errorFor];
      box.textContent = message ? [].concat(message).join(" ") : "";
      form.querySelectorAll(`[name="${box.dataset.errorFor}"]`).forEach((el) => {
        el.classList.toggle("is-invalid", Boolean(message));
        if (message) el.setAttribute("aria-invalid", "true");
        else el.removeAttribute("aria-invalid");
      });
    });
  };
  const save = async () => {
    timer = null;
    if (inFlight) { dirty = true; return; }
    inFlight = true;
    dirty = false;
    say(form.dataset.textSaving);
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "error",
      });
      const result = await response.json().catch(() => ({}));
      if (response.ok && result.ok) {
        version.value = result.version;
        forget();
        showErrors({});
        say(fmt(form.dataset.textSaved, { time: new Date().toLocaleTimeString() }));
        form.dispatchEvent(new CustomEvent("autosave:saved", { detail: result }));
      } else if (response.status === 422) {
        showErrors(result.errors || {});
        say(form.dataset.textInvalid, true);
      } else {
        say(result.message || form.dataset.textOffline, true);
      }
    } catch (error) {
      say(form.dataset.textOffline, true);
    } finally {
      inFlight = false;
      if (submitAfterSave) {
        const submit = submitAfterSave;
        submitAfterSave = null;
        submit();
      } else if (dirty) {
        schedule();
      }
    }
  };
  const schedule = () => {
    keep();
    clearTimeout(timer);
    timer = setTimeout(save, 2500);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    timer = null;
    if (inFlight) {
      // The autosave's answer carries the version this submit must send:
      // sent now, with the old one, it would be refused as an edit conflict.
      event.preventDefault();
      const submitter = event.submitter;
      submitAfterSave = () => form.requestSubmit(submitter || undefined);
      return;
    }
    keep(true);
    submitted = true;
    // Cancelled (a confirm dialog answered "no"): keep autosaving.
    setTimeout(() => { if (event.defaultPrevented) { submitted = false; schedule(); } }, 0);
  });
  // Leaving with changes not yet autosaved: keep them. Not after a submit:
  // a copy taken as the next page arrives would post-date the save.
  window.addEventListener("pagehide", () => { if (timer && !submitted) keep(); });
})();
