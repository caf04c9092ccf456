// The StatusPanel's view: an anywidget front-end module (no build step, nothing fetched).
//
// The kernel keeps the rows and sends the ones that changed ({k: "state"} messages, see
// argil_nb/panel/__init__.py); this module keeps them by id, and does filter, search,
// order, view and page itself: no round trip to the kernel. A card is made once per asset
// and updated in place, so an image is never loaded twice. Names and every other value
// from the data go in as text (textContent, title), never as markup.

const FILTERS = [["all", "all"], ["PROCESSING", "PROCESSING"], ["READY", "READY"],
  ["FAILED", "FAILED"], ["NOT_FOUND", "not found"]];
const SORTS = ["as given", "status", "newest first", "oldest first"];
const RANK = { FAILED: 0, NOT_FOUND: 1, PROCESSING: 2, READY: 5 };  // no status: 3, other: 4
const BADGE = { NOT_FOUND: "NOT FOUND" };
const PLACEHOLDER = { FAILED: "failed", PROCESSING: "processing", NOT_FOUND: "not found" };
const SAFE_SRC = /^(https?:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/i;

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function button(text, tip, action) {
  const b = h("button", "argil-button", text);
  b.type = "button";
  b.title = tip;
  b.addEventListener("click", action);
  return b;
}

function picker(label, options, cls) {
  const wrap = h("label", cls, label + " ");
  const select = h("select");
  for (const [value, text] of options) {
    const option = h("option", null, text);
    option.value = value;
    select.append(option);
  }
  wrap.append(select);
  return [wrap, select];
}

function created(at) {
  if (at == null) return "";
  return new Date(at * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function status(s) {
  return s == null ? "none" : String(s);
}

function render({ model, el }) {
  const settings = model.get("_settings") || {};
  const pageSize = settings.page_size || 24;
  const every = Math.max(250, (settings.interval || 2) * 1000);
  const rows = new Map();  // id -> [id, name, type, status, at, thumb, note, tip, bad]
  const cards = new Map();  // id -> the card's elements, made once
  let order = [];  // the ids as given
  let have = -1;  // the rows version this view has (-1: none yet)
  let head = -1;  // the header version
  let header = null;
  let query = { ...model.get("_query") };
  let asked = null;  // the sync in flight: {seq, at}
  let answered = Date.now();  // when the kernel last said anything
  let seq = 0;
  let ticks = 0;
  let exported = null;  // {text, key}: what the last export did, for that query
  let download = null;  // an object URL of the last export
  let notified = false;
  let ownTitle = null;

  const root = h("div", "argil-panel");
  const closeButton = button("close", "stop polling and close the panel", () => send({ k: "close" }));
  closeButton.classList.add("argil-close");
  const top = h("div", "argil-top");
  const counts = h("span", "argil-counts");
  const bar = h("div", "argil-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", "assets finished");
  bar.setAttribute("aria-valuemin", "0");
  const progress = h("span", "argil-progress", "");
  const timing = h("span", "argil-timing argil-live");
  top.append(counts, bar, progress, timing);

  const line = h("div", "argil-line");
  const state = h("span", "argil-state argil-live", "connecting to the kernel…");
  const change = h("span", "argil-change");
  const stale = h("span", "argil-stale",
    "no answer from the kernel: this panel no longer updates (filter, search and pages still work)");
  line.append(state, change, stale);

  const controls = h("div", "argil-controls");
  const pause = button("pause", "pause or resume polling", () => {
    send({ k: header && header.watching ? "pause" : "resume" });
  });
  const refresh = button("refresh now", "poll once now", () => send({ k: "refresh" }));
  const [filterLabel, filter] = picker("show", FILTERS, "argil-filter");
  const [sortLabel, sort] = picker("order", SORTS.map((s) => [s, s]), "argil-sort");
  const searchLabel = h("label", "argil-search", "search ");
  const search = h("input");
  search.type = "search";
  search.placeholder = "name or id";
  searchLabel.append(search);
  const views = h("span", "argil-views");
  views.setAttribute("role", "group");
  views.setAttribute("aria-label", "view");
  const viewButtons = ["cards", "list"].map((name) => {
    const b = button(name, name === "cards" ? "cards in a grid" : "one line per asset",
      () => choose({ layout: name }));
    views.append(b);
    return b;
  });
  const notify = button("notify me when done",
    "a browser notification when every asset is final, and the progress in the tab's title",
    () => {
      const on = !model.get("_notify");
      if (on && typeof Notification !== "undefined" && Notification.permission === "default") {
        Notification.requestPermission().catch(() => {});
      }
      model.set("_notify", on);
      model.save_changes();
      announce();
    });
  controls.append(pause, refresh, filterLabel, sortLabel, searchLabel, views, notify);

  const exports = h("div", "argil-exports");
  const exportButton = button("export CSV", "write the rows shown to a CSV file", () => {
    saveQuery();
    send({ k: "export", seq: ++seq });
    exportLabel.textContent = "exporting…";
  });
  const exportLabel = h("span", "argil-export-label");
  const link = h("a", "argil-download");
  link.hidden = true;
  exports.append(exportButton, exportLabel, link);

  const grid = h("div", "argil-grid");
  const empty = h("div", "argil-empty");
  const pager = h("div", "argil-pager");
  const prev = button("◀ prev", "previous page", () => choose({ page: query.page - 1 }, true));
  const pageLabel = h("span", "argil-page");
  const next = button("next ▶", "next page", () => choose({ page: query.page + 1 }, true));
  pager.append(prev, pageLabel, next);
  root.append(closeButton, top, line, controls, exports, grid, empty, pager);
  el.append(root);

  // -- talking to the kernel ----------------------------------------------------------

  function send(message) {
    if (message.k === "sync" || !root.classList.contains("argil-disconnected")) model.send(message);
  }

  function sync() {
    const now = Date.now();
    if (asked && now - asked.at < 30000) return;  // one question at a time
    asked = { seq: ++seq, at: now };
    send({ k: "sync", r: have, h: head, seq: asked.seq });
  }

  function onMessage(message, buffers) {
    if (!message || typeof message !== "object") return;
    answered = Date.now();
    if (message.k === "state") {
      if (asked && message.re === asked.seq) asked = null;
      if (message.rows && (message.full || message.f <= have)) {
        for (const row of message.rows) rows.set(row[0], row);
        if (message.full) order = message.rows.map((row) => row[0]);
        have = Math.max(have, message.r);
      } else if (!message.rows && message.f <= have) {
        have = Math.max(have, message.r);
      }
      if (message.head) {
        header = message.head;
        head = message.h;
        drawHeader();
      }
      draw();
    } else if (message.k === "export") {
      exported = { text: message.text, key: queryKey() };
      if (download) URL.revokeObjectURL(download);
      download = null;
      link.hidden = true;
      if (message.ok && buffers && buffers.length) {
        download = URL.createObjectURL(new Blob([buffers[0]], { type: "text/csv" }));
        link.href = download;
        link.download = message.name;
        link.textContent = "download " + message.name;
        link.hidden = false;
      }
      draw();
    }
  }

  // -- what is shown ------------------------------------------------------------------

  function queryKey() {
    return [query.status, query.search.trim(), query.sort].join("\u0000");
  }

  let saveTimer = null;
  function saveQuery() {
    clearTimeout(saveTimer);
    saveTimer = null;
    model.set("_query", { ...query });
    model.save_changes();
  }

  function choose(change, keepPage) {
    query = { ...query, ...change };
    if (!keepPage) query.page = 0;
    draw();
    if ("search" in change) {  // typing: tell the kernel once the user pauses
      clearTimeout(saveTimer);
      saveTimer = setTimeout(saveQuery, 300);
    } else {
      saveQuery();
    }
  }

  function selected() {
    const needle = query.search.trim().toLowerCase();
    let ids = order.filter((id) => {
      const row = rows.get(id);
      return (query.status === "all" || row[3] === query.status)
        && (!needle || row[1].toLowerCase().includes(needle) || id.startsWith(needle));
    });
    const rank = (id) => {
      const s = rows.get(id)[3];
      return s == null ? 3 : (RANK[s] ?? 4);
    };
    if (query.sort === "status") {
      ids.sort((a, b) => rank(a) - rank(b));
    } else if (query.sort === "newest first" || query.sort === "oldest first") {
      const sign = query.sort === "newest first" ? -1 : 1;
      const dated = ids.filter((id) => rows.get(id)[4] != null);
      dated.sort((a, b) => sign * (rows.get(a)[4] - rows.get(b)[4]));
      ids = dated.concat(ids.filter((id) => rows.get(id)[4] == null));
    }
    return ids;
  }

  function card(id) {
    let c = cards.get(id);
    if (c) return c;
    c = { row: null, src: undefined };
    c.el = h("div", "argil-card");
    c.thumb = h("div", "argil-thumb");
    const text = h("div", "argil-text");
    c.name = h("div", "argil-name");
    const meta = h("div", "argil-meta");
    c.badge = h("span", "argil-badge");
    c.kind = h("span", "argil-kind");
    c.code = h("code");
    meta.append(c.badge, c.kind);
    c.created = h("div", "argil-created");
    c.note = h("div", "argil-note");
    text.append(c.name, meta, c.created, c.note);
    c.el.append(c.thumb, text);
    cards.set(id, c);
    return c;
  }

  function update(c, row) {
    if (c.row === row) return;
    const [id, name, type, s, at, thumb, note, tip, bad] = row;
    c.el.dataset.s = status(s);
    c.name.textContent = name || "unnamed";
    c.name.classList.toggle("argil-unnamed", !name);
    c.name.title = name || id;
    c.badge.textContent = s == null ? "?" : (BADGE[s] || String(s));
    c.code.textContent = id.slice(0, 8);
    c.code.title = id;
    c.kind.replaceChildren(" " + (type || "?") + " · ", c.code);
    c.created.textContent = created(at) || "\u00a0";
    c.note.textContent = note || "\u00a0";
    c.note.title = tip || "";
    c.note.classList.toggle("argil-problem", !!bad);
    const src = thumb && SAFE_SRC.test(thumb) ? thumb : null;
    if (src !== c.src || (!src && c.row && c.row[3] !== s)) {
      if (src) {
        const img = h("img");
        img.alt = "thumbnail of " + (name || id);
        img.loading = "lazy";
        img.src = src;
        c.thumb.replaceChildren(img);
      } else {
        c.thumb.replaceChildren(h("div", "argil-thumb-placeholder", PLACEHOLDER[s] || "none"));
      }
      c.src = src;
    }
    c.row = row;
  }

  function draw() {
    for (const [i, value] of [[filter, query.status], [sort, query.sort]]) {
      if (i.value !== value) i.value = value;
    }
    if (document.activeElement !== search && search.value !== query.search) {
      search.value = query.search;
    }
    viewButtons.forEach((b) => b.setAttribute("aria-pressed", String(b.textContent === query.layout)));
    grid.classList.toggle("argil-list", query.layout === "list");
    const ids = selected();
    const pages = Math.max(1, Math.ceil(ids.length / pageSize));
    const page = Math.min(Math.max(0, query.page || 0), pages - 1);
    query.page = page;
    const shown = ids.slice(page * pageSize, (page + 1) * pageSize).map((id) => {
      const c = card(id);
      update(c, rows.get(id));
      return c.el;
    });
    const same = shown.length === grid.children.length
      && shown.every((e, i) => grid.children[i] === e);
    if (!same) grid.replaceChildren(...shown);
    const waiting = order.length === 0;
    empty.hidden = ids.length > 0 && !waiting;
    if (waiting) {
      empty.textContent = "waiting for the kernel…";
    } else if (!ids.length) {
      const what = [query.status === "all" ? null : query.status,
        query.search.trim() ? "search “" + query.search.trim() + "”" : null].filter(Boolean);
      empty.textContent = "no asset matches (" + what.join(", ") + "): nothing to show or export";
    }
    pager.hidden = pages === 1;
    pageLabel.textContent = `page ${page + 1} of ${pages}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    exportButton.disabled = ids.length === 0 || root.classList.contains("argil-disconnected");
    if (exported && exported.key === queryKey()) {
      exportLabel.textContent = exported.text;
    } else if (!waiting) {
      const rowsWord = ids.length === 1 ? "row" : "rows";
      const what = [query.status === "all" ? null : query.status,
        query.search.trim() ? "search '" + query.search.trim() + "'" : null].filter(Boolean);
      exportLabel.textContent = ids.length === order.length
        ? `exports all ${order.length} rows`
        : `exports the ${ids.length} ${rowsWord} shown (${what.join(", ")})`;
    }
  }

  function drawHeader() {
    counts.replaceChildren(...header.counts.flatMap(([s, n], i) => {
      const b = h("span", "argil-badge", s == null ? "not fetched" : (BADGE[s] || String(s)));
      b.dataset.s = status(s);
      return [i ? " \u00a0 " : "", b, " ", h("b", null, String(n))];
    }));
    const total = header.total || 1;
    bar.replaceChildren(...header.counts
      .filter(([s]) => s === "READY" || s === "FAILED" || s === "NOT_FOUND")
      .map(([s, n]) => {
        const part = h("div");
        part.dataset.s = s;
        part.style.width = (100 * n / total).toFixed(3) + "%";
        part.title = `${n} ${s}`;
        return part;
      }));
    bar.setAttribute("aria-valuemax", String(header.total));
    bar.setAttribute("aria-valuenow", String(header.finished));
    progress.textContent = `${header.finished}/${header.total} finished`;
    timing.textContent = header.timing ? "· " + header.timing : "";
    state.textContent = header.state;
    state.classList.toggle("argil-problem", !!header.problem);
    change.textContent = header.change ? "· last change " + header.change : "· no data yet";
    pause.textContent = header.done ? "finished" : header.watching ? "pause" : "resume";
    pause.disabled = header.done || root.classList.contains("argil-disconnected");
    announce();
  }

  // -- notify me when done ------------------------------------------------------------

  function announce() {
    const on = !!model.get("_notify");
    notify.setAttribute("aria-pressed", String(on));
    if (!on || !header) {
      if (ownTitle !== null && document.title === ownTitle.set) document.title = ownTitle.was;
      ownTitle = null;
      return;
    }
    const title = `(${header.finished}/${header.total}) argil` + (header.done ? " ✓" : "");
    if (ownTitle === null) ownTitle = { was: document.title, set: title };
    ownTitle.set = document.title = title;
    if (header.done && !notified) {
      notified = true;
      if (typeof Notification !== "undefined" && Notification.permission === "granted") {
        const summary = header.counts.map(([s, n]) => `${n} ${s == null ? "not fetched" : s}`);
        try {
          new Notification("argil: every asset is final", { body: summary.join(", ") });
        } catch (e) { /* a browser that refuses: the title says it */ }
      }
    }
  }

  // -- wiring ------------------------------------------------------------------------

  filter.addEventListener("change", () => choose({ status: filter.value }));
  sort.addEventListener("change", () => choose({ sort: sort.value }));
  search.addEventListener("input", () => choose({ search: search.value }));
  const onQuery = () => {
    query = { ...model.get("_query") };
    draw();
  };
  const onNotify = () => announce();
  model.on("msg:custom", onMessage);
  model.on("change:_query", onQuery);
  model.on("change:_notify", onNotify);

  // After a kernel restart the model's comm is no longer live (ipywidgets also marks its
  // own views "jupyter-widgets-disconnected").
  // A kernel that has not answered for 15 s is gone (or stuck in a long cell, where widget
  // messages wait: ipykernel 7 in JupyterLab answers them in a subshell even then).
  const disconnected = () => !!el.closest(".jupyter-widgets-disconnected")
    || (asked !== null && Date.now() - answered > 15000);
  const gone = () => {
    const off = disconnected();
    root.classList.toggle("argil-disconnected", off);
    for (const b of [pause, refresh, exportButton, closeButton, notify]) {
      if (off) b.disabled = true;
    }
    if (!off && header) drawHeader();
    if (!off) draw();
  };
  const watcher = new MutationObserver(gone);
  watcher.observe(el, { attributes: true, attributeFilter: ["class"] });

  // The front end asks on its own timer: the kernel answers at once, from what it has.
  const timer = setInterval(() => {
    ticks += 1;
    if (root.classList.contains("argil-disconnected") !== disconnected()) gone();
    if (header && header.done && have >= 0 && ticks % Math.ceil(5000 / every)) return;
    sync();
  }, every);
  draw();
  sync();

  return () => {
    clearInterval(timer);
    clearTimeout(saveTimer);
    watcher.disconnect();
    model.off("msg:custom", onMessage);
    model.off("change:_query", onQuery);
    model.off("change:_notify", onNotify);
    if (download) URL.revokeObjectURL(download);
    if (ownTitle !== null && document.title === ownTitle.set) document.title = ownTitle.was;
  };
}

export default { render };
