// The brochure page: while a build is queued or running, ask the server for
// its state every 1.5 s and show it (status, progress bar, the line about the
// current part, the parts finished, the error, the download link). Without
// this file the page shows the state as of its loading; reloading updates it.
(() => {
  "use strict";
  const box = document.getElementById("brochure-status");
  if (!box) return;
  const INTERVAL = 1500;
  const find = (name) => document.querySelector(`[data-field="${name}"]`);
  const bar = document.getElementById("brochure-progress");
  const badgeClass = { queued: "text-bg-secondary", running: "text-bg-primary", done: "text-bg-success", failed: "text-bg-danger" };

  const show = (name, visible) => {
    const element = find(name);
    if (element) element.hidden = !visible;
  };

  const setText = (name, text) => {
    const element = find(name);
    if (element) element.textContent = text || "";
  };

  const render = (state) => {
    show("empty", !state.id);
    show("build", Boolean(state.id));
    const badge = find("status_label");
    if (badge) {
      badge.textContent = state.status_label || "";
      badge.className = `badge ${badgeClass[state.status] || "text-bg-secondary"}`;
      badge.dataset.status = state.status || "";
    }
    const progress = state.progress || {};
    if (bar) {
      bar.value = progress.percent || 0;
      bar.textContent = `${progress.percent || 0} %`;
    }
    setText("line", progress.line);
    setText("error", state.error);
    show("error", Boolean(state.error));

    const finished = progress.finished || [];
    const list = find("finished");
    if (list && list.children.length !== finished.length) {
      list.replaceChildren(...finished.map((part) => {
        const item = document.createElement("li");
        item.textContent = part;
        return item;
      }));
    }
    setText("finished-count", String(finished.length));
    show("finished-box", finished.length > 0);

    const download = state.download;
    show("no-download", !download);
    show("download-box", Boolean(download));
    if (download) {
      const link = find("download");
      if (link) link.href = download.url;
      setText("download-label", download.label);
    }

    // The build's row in the table of recent builds.
    const row = state.id && document.querySelector(`tr[data-build-row="${state.id}"]`);
    if (row) {
      const cell = (name) => row.querySelector(`[data-cell="${name}"]`);
      if (cell("status")) cell("status").textContent = state.status_label || "";
      if (cell("pages")) cell("pages").textContent = state.pages || "";
      if (cell("file") && state.file_url && !cell("file").querySelector("a")) {
        const link = document.createElement("a");
        link.href = state.file_url;
        link.textContent = box.dataset.textPdf;
        cell("file").replaceChildren(link);
      }
    }

    const start = find("start");
    if (start) start.disabled = Boolean(state.active);
    show("start-note", Boolean(state.active));
  };

  const poll = async () => {
    let state;
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch (error) {
      setText("line", box.dataset.textFailed);
      window.setTimeout(poll, INTERVAL * 2);
      return;
    }
    render(state);
    if (state.active) window.setTimeout(poll, INTERVAL);  // finished: the last state stays shown
  };

  if (box.dataset.active === "true") window.setTimeout(poll, INTERVAL);
})();
