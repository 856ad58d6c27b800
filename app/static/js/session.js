// The warning before the login session ends, on pages that autosave (the
// entry wizard, the score sheet). The server ends an idle session after its
// timeout and any session after its maximum length; this script asks it how
// long is left (GET data-status-url, which does not count as activity),
// shows the warning a few minutes before the end with a "stay logged in"
// button (a POST that counts as activity), and says so when the session has
// ended. Autosaves count as activity too, so the time left is asked again
// before warning.
(() => {
  "use strict";
  const box = document.querySelector(".session-warning");
  if (!box) return;
  const text = box.querySelector(".session-warning-text");
  const form = box.querySelector("form");
  const loginLink = box.querySelector(".session-login");
  const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
  let deadline = 0;
  let extendable = true;
  let timer = null;
  let ticker = null;

  const stop = () => { clearTimeout(timer); clearInterval(ticker); };
  const hide = () => { box.classList.add("d-none"); };
  const ended = () => {
    stop();
    text.textContent = box.dataset.textEnded;
    form.classList.add("d-none");
    loginLink.classList.remove("d-none");
    box.classList.remove("d-none");
  };
  const tick = () => {
    const left = Math.max(Math.round((deadline - Date.now()) / 1000), 0);
    if (left === 0) { stop(); ask(); return; }
    const template = extendable ? box.dataset.textIdle : box.dataset.textAbsolute;
    text.textContent = fmt(template, { minutes: Math.floor(left / 60), seconds: left % 60 });
  };
  const warn = () => {
    form.classList.toggle("d-none", !extendable);
    loginLink.classList.add("d-none");
    box.classList.remove("d-none");
    tick();
    ticker = setInterval(tick, 1000);
  };
  const follow = (state) => {
    stop();
    if (!state.authenticated) { ended(); return; }
    deadline = Date.now() + state.expires_in * 1000;
    extendable = state.extendable;
    if (state.expires_in <= state.warn_before) { warn(); return; }
    hide();
    // Ask again just before warning: autosaves may have extended the session meanwhile.
    timer = setTimeout(ask, (state.expires_in - state.warn_before) * 1000);
  };
  const ask = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      follow(await response.json());
    } catch (error) {
      timer = setTimeout(ask, 30000); // offline for a moment: try again
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      const json = (response.headers.get("Content-Type") || "").includes("application/json");
      if (response.ok && json) follow(await response.json()); else ended();
    } catch (error) { ask(); }
  });
  ask();
})();
