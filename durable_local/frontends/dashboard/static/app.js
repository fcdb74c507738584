// Entry point: settings, the API client, the header (task hub, host time), and hash routing.
//
//   #/instances?status=Running,Failed&name=..&prefix=..&from=..&to=..   instance list
//   #/instances/<id>                                                     instance detail
//   #/entities?name=..                                                   entity list
//   #/entities/<name>/<key>                                              one entity ("$": the empty key)
//   #/start                                                              start an orchestration
//   #/approvals                                                          approvals awaiting a decision
//   #/settings                                                           base URL, function key

import { DurableApi, ApiError, EMPTY_ENTITY_KEY } from "./lib/api.js";
import { loadSettings } from "./lib/settings.js";
import { setNoticeArea, clearNotices } from "./lib/dialog.js";
import { timeEl, parseTime } from "./lib/format.js";
import { replace, h } from "./lib/dom.js";
import { renderList } from "./views/list.js";
import { renderDetail } from "./views/detail.js";
import { renderEntities } from "./views/entities.js";
import { renderEntity } from "./views/entity.js";
import { renderStart } from "./views/start.js";
import { renderApprovals, APPROVAL_ORCHESTRATOR } from "./views/approvals.js";
import { renderSettings } from "./views/settings.js";

const CLOCK_NAMES = { manual: "virtual time, manual clock", "auto-skip": "virtual time, auto-skip clock" };

const ctx = {
  settings: loadSettings(),
  api: null,
  /** GET /_dashboard/api/info, or null when the host does not offer it. */
  info: null,
  infoError: null,
  infoFetchedAt: 0,

  /** The host's current time in epoch ms: virtual under a skipped clock, else this browser's. */
  hostNow() {
    const reported = parseTime(this.info?.now);
    if (!reported) return Date.now();
    // A manual clock stands still between calls; the others run at wall-clock speed.
    const elapsed = this.info.clock === "manual" ? 0 : performance.now() - this.infoFetchedAt;
    return reported.getTime() + elapsed;
  },

  /** True when the app has the approval orchestrator (or when we cannot tell). */
  hasApprovals() {
    return !this.info || this.info.orchestrators.includes(APPROVAL_ORCHESTRATOR);
  },

  /** False only when the host lists the app's entities and there are none. */
  hasEntities() {
    return !Array.isArray(this.info?.entities) || this.info.entities.length > 0;
  },

  async refreshInfo() {
    try {
      this.info = await this.api.info();
      this.infoError = null;
    } catch (err) {
      this.info = null;
      this.infoError = err instanceof ApiError ? err.message : String(err);
    }
    this.infoFetchedAt = performance.now();
    renderHeader();
  },

  /** Rebuild the API client after the settings changed. */
  reconnect() {
    this.api = new DurableApi(this.settings);
  },

  /** Go to `hash`; `keepNotices` keeps the results shown (e.g. "Purged ..." on the way back to the list). */
  navigate(hash, { keepNotices = false } = {}) {
    keepNoticesOnce = keepNotices;
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

/** "2 processes" (each one's pid and state in the tooltip), "in process", or a dash for an older host. */
function workersFact(info) {
  if (!info || typeof info.workers !== "number") return "—";
  if (info.workers === 0) return h("span", { text: "in process", title: "The app runs in the host's own process (--workers 0)." });
  const processes = info.workerProcesses || [];
  const title = processes.map((w) => `${w.name}: pid ${w.pid ?? "?"}, ${w.state}, ${w.invocations} invocations`).join("\n");
  return h("span", { text: `${info.workers} process${info.workers === 1 ? "" : "es"}`, title });
}

function renderHeader() {
  const info = ctx.info;
  replace(document.getElementById("hub-name"), info ? info.hub : "—");
  const time = document.getElementById("host-time");
  if (info) {
    const label = CLOCK_NAMES[info.clock];
    replace(time, timeEl(info.now), label ? h("span", { class: "clock-kind", text: ` (${label})` }) : null);
  } else {
    replace(time, h("span", { class: "muted", text: "not reported by this host" }));
  }
  replace(document.getElementById("workers"), workersFact(info));
  document.getElementById("nav-approvals").hidden = !ctx.hasApprovals();
  document.getElementById("nav-entities").hidden = !ctx.hasEntities();
  const connection = document.getElementById("connection");
  connection.hidden = !ctx.infoError;
  connection.textContent = ctx.infoError ? `Host info: ${ctx.infoError}` : "";
}

const routes = [
  { pattern: /^\/instances\/(.+)$/, name: "instances", render: (root, m) => renderDetail(ctx, root, decodeURIComponent(m[1])) },
  { pattern: /^\/instances\/?$/, name: "instances", render: (root, m, query) => renderList(ctx, root, query) },
  { pattern: /^\/entities\/([^/]+)\/([^/]*)$/, name: "entities",
    render: (root, m) => renderEntity(ctx, root, decodeURIComponent(m[1]), m[2] === EMPTY_ENTITY_KEY ? "" : decodeURIComponent(m[2])) },
  { pattern: /^\/entities\/?$/, name: "entities", render: (root, m, query) => renderEntities(ctx, root, query) },
  { pattern: /^\/start\/?$/, name: "start", render: (root, m, query) => renderStart(ctx, root, query) },
  { pattern: /^\/approvals\/?$/, name: "approvals", render: (root) => renderApprovals(ctx, root) },
  { pattern: /^\/settings\/?$/, name: "settings", render: (root) => renderSettings(ctx, root) },
];

let current = null;
let keepNoticesOnce = false;

function route() {
  const hash = location.hash || "#/instances";
  if (!hash.startsWith("#/")) return; // e.g. the skip link's #main: not a route
  const [path, search = ""] = hash.slice(1).split("?");
  const found = routes.map((r) => [r, r.pattern.exec(path)]).find(([, m]) => m);
  current?.dispose?.();
  current = null;
  if (!keepNoticesOnce) clearNotices();
  keepNoticesOnce = false;
  const root = document.getElementById("view");
  replace(root);
  for (const link of document.querySelectorAll("nav a[data-route]")) {
    if (found && link.dataset.route === found[0].name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!found) {
    replace(root, h("h1", { text: "Not found" }), h("p", {}, "No page at ", h("code", { text: hash }), ". ",
      h("a", { href: "#/instances", text: "Go to the instance list" }), "."));
    return;
  }
  const [entry, match] = found;
  current = entry.render(root, match, new URLSearchParams(search));
}

function setUpChrome() {
  setNoticeArea(document.getElementById("notices"));
  document.getElementById("goto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("goto-id");
    const id = input.value.trim();
    if (!id) return;
    input.value = "";
    ctx.navigate(`#/instances/${encodeURIComponent(id)}`);
  });
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("main").focus();
  });
  window.addEventListener("hashchange", route);
}

async function start() {
  ctx.reconnect();
  setUpChrome();
  await ctx.refreshInfo();
  route();
}

start();
