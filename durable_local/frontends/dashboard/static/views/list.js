// The instance list: filters (kept in the URL hash), counts per status, a page of instances,
// paging through x-ms-continuation-token, auto-refresh, and purge by filter.
//
// Durable entities run as orchestration instances "@name@key" that the instance API lists as
// Running (ext issue #1991; the extension's shim path never excludes them). They are left out
// here, and counted, with a link to the Entities view.

import { h, replace, field, uid } from "../lib/dom.js";
import { timeEl, compactJson, prettyJson, localInputToIso, isoToLocalInput } from "../lib/format.js";
import { PAGE_SIZES, saveSettings } from "../lib/settings.js";
import { createRefresher } from "../lib/refresh.js";
import { confirmAction, runAction } from "../lib/dialog.js";
import { entityOfInstance } from "../lib/api.js";
import { STATUSES, TERMINAL, statusBadge, instanceLink } from "./common.js";

/** Filters from the hash query: status (comma list), name, prefix, from, to (ISO UTC). */
function readFilters(query) {
  const statuses = (query.get("status") ?? "").split(",").filter((s) => STATUSES.includes(s));
  return {
    statuses,
    name: query.get("name") ?? "",
    prefix: query.get("prefix") ?? "",
    from: query.get("from") ?? "",
    to: query.get("to") ?? "",
  };
}

function filtersHash(filters) {
  const query = new URLSearchParams();
  if (filters.statuses.length) query.set("status", filters.statuses.join(","));
  for (const key of ["name", "prefix", "from", "to"]) if (filters[key]) query.set(key, filters[key]);
  const text = query.toString();
  return `#/instances${text ? `?${text}` : ""}`;
}

/** The page's orchestration instances and how many entity instances were left out. */
function withoutEntities(items) {
  const kept = items.filter((i) => !entityOfInstance(i.instanceId));
  return { kept, entities: items.length - kept.length };
}

function apiFilters(filters) {
  return { statuses: filters.statuses, prefix: filters.prefix, createdFrom: filters.from, createdTo: filters.to };
}

function filterForm(ctx, filters, onApply) {
  const ids = { name: uid("f-name"), prefix: uid("f-prefix"), from: uid("f-from"), to: uid("f-to"), list: uid("orchestrators") };
  const checks = STATUSES.map((status) => {
    const id = uid(`f-status-${status}`);
    const box = h("input", { type: "checkbox", id, name: "status", value: status, checked: filters.statuses.includes(status) });
    return h("span", { class: "check" }, box, h("label", { for: id }, statusBadge(status), h("span", { class: "count", dataset: { status } })));
  });
  const name = h("input", { id: ids.name, type: "search", value: filters.name, list: ids.list, autocomplete: "off" });
  const prefix = h("input", { id: ids.prefix, type: "search", value: filters.prefix, autocomplete: "off", spellcheck: false });
  const from = h("input", { id: ids.from, type: "datetime-local", value: isoToLocalInput(filters.from) });
  const to = h("input", { id: ids.to, type: "datetime-local", value: isoToLocalInput(filters.to) });
  const datalist = h("datalist", { id: ids.list }, (ctx.info?.orchestrators ?? []).map((n) => h("option", { value: n })));
  const form = h("form", { class: "filters", "aria-label": "Filter instances" },
    h("fieldset", { class: "status-filter" }, h("legend", { text: "Runtime status" }), checks),
    h("div", { class: "filter-fields" },
      field("Name", name, "Matches on this page (client side)."),
      field("Instance ID prefix", prefix),
      field("Created from", from),
      field("Created to", to)),
    datalist,
    h("div", { class: "form-buttons" },
      h("button", { type: "submit", class: "primary", text: "Apply filters" }),
      h("button", { type: "button", text: "Clear filters", on: { click: () => onApply({ statuses: [], name: "", prefix: "", from: "", to: "" }) } })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply({
      statuses: [...form.querySelectorAll("input[name=status]:checked")].map((b) => b.value),
      name: name.value.trim(),
      prefix: prefix.value.trim(),
      from: localInputToIso(from.value),
      to: localInputToIso(to.value),
    });
  });
  return form;
}

function instanceRow(item) {
  const cell = (label, ...content) => h("td", { "data-label": label }, content);
  const custom = item.customStatus;
  return h("tr", { dataset: { instanceId: item.instanceId, status: item.runtimeStatus } },
    cell("Status", statusBadge(item.runtimeStatus)),
    cell("Name", item.name ?? ""),
    cell("Instance ID", instanceLink(item.instanceId)),
    cell("Created", timeEl(item.createdTime)),
    cell("Last updated", timeEl(item.lastUpdatedTime)),
    cell("Custom status", custom === null || custom === undefined
      ? h("span", { class: "muted", text: "—" })
      : h("code", { class: "custom-status", title: prettyJson(custom), text: compactJson(custom, 72) })));
}

async function purgeByFilter(ctx, filters, reload) {
  const fromId = uid("purge-from");
  const toId = uid("purge-to");
  const from = h("input", { id: fromId, type: "datetime-local", required: true, value: isoToLocalInput(filters.from || "1970-01-01T00:00:00Z") });
  const to = h("input", { id: toId, type: "datetime-local", value: isoToLocalInput(filters.to) });
  const chosen = filters.statuses.filter((s) => TERMINAL.includes(s));
  const boxes = TERMINAL.map((status) => {
    const id = uid(`purge-${status}`);
    return h("span", { class: "check" },
      h("input", { type: "checkbox", id, value: status, checked: chosen.length ? chosen.includes(status) : true }),
      h("label", { for: id }, statusBadge(status)));
  });
  const set = h("fieldset", { class: "status-filter" }, h("legend", { text: "Runtime status (finished instances only)" }), boxes);
  const selected = () => [...set.querySelectorAll("input:checked")].map((b) => b.value);
  const confirmed = await confirmAction({
    title: "Purge instances by filter",
    message: h("p", { text: "Deletes the history and state of every instance created in this range with one of these statuses "
      + "(DELETE instances?createdTimeFrom=…). This cannot be undone." }),
    confirmLabel: "Purge",
    danger: true,
    body: [field("Created from", from), field("Created to", to, "Empty: up to now."), set],
    validate: () => {
      if (!localInputToIso(from.value)) return "Created from is required.";
      if (!selected().length) return "Choose at least one status.";
      return "";
    },
  });
  if (!confirmed) return;
  const query = { createdFrom: localInputToIso(from.value), createdTo: localInputToIso(to.value), statuses: selected() };
  const outcome = await runAction("Purge by filter", () => ctx.api.purgeMany(query),
    (body) => `Purged ${body?.instancesDeleted ?? 0} instance(s).`);
  if (outcome.ok) reload();
}

/** Render the list into `root`; returns {dispose}. */
export function renderList(ctx, root, query) {
  const filters = readFilters(query);
  const apply = (next) => ctx.navigate(filtersHash(next));
  const pageSizeId = uid("page-size");
  const pageSize = h("select", { id: pageSizeId },
    PAGE_SIZES.map((n) => h("option", { value: String(n), text: String(n), selected: n === ctx.settings.pageSize })));
  const counts = h("ul", { class: "status-counts", "aria-label": "Instances per status" });
  const tbody = h("tbody");
  const caption = h("caption", { class: "visually-hidden", text: "Instances" });
  const table = h("table", { class: "data-table instances" }, caption,
    h("thead", {}, h("tr", {}, ["Status", "Name", "Instance ID", "Created", "Last updated", "Custom status"].map((t) => h("th", { scope: "col", text: t })))),
    tbody);
  const empty = h("p", { class: "empty", hidden: true, text: "No instances match these filters." });
  const entityNote = h("p", { class: "entity-note muted", hidden: true });
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" });
  const first = h("button", { type: "button", text: "First page" });
  const prev = h("button", { type: "button", text: "Previous page" });
  const next = h("button", { type: "button", text: "Next page" });
  const tokens = [null]; // tokens[i] fetches page i
  let page = 0;
  let nextToken = null;

  async function loadPage() {
    const result = await ctx.api.listInstances({ ...apiFilters(filters), top: ctx.settings.pageSize }, tokens[page]);
    nextToken = result.token;
    const { kept, entities } = withoutEntities(result.items);
    const items = filters.name
      ? kept.filter((i) => (i.name ?? "").toLowerCase().includes(filters.name.toLowerCase()))
      : kept;
    entityNote.hidden = entities === 0;
    if (entityNote.dataset.count !== String(entities)) { // unchanged: leave focus on its link alone
      entityNote.dataset.count = String(entities);
      replace(entityNote, `${entities} entity ${entities === 1 ? "instance" : "instances"} (@name@key) on this page `
        + "not listed: entities run as orchestration instances. ", h("a", { href: "#/entities", text: "See Entities" }), ".");
    }
    // Keep keyboard focus on the same instance link across a refresh.
    const focused = document.activeElement?.closest?.("tr")?.dataset.instanceId;
    replace(tbody, items.map(instanceRow));
    if (focused) tbody.querySelector(`tr[data-instance-id="${CSS.escape(focused)}"] a`)?.focus();
    empty.hidden = items.length > 0;
    table.hidden = items.length === 0;
    caption.textContent = `Instances, page ${page + 1}`;
    pageLabel.textContent = `Page ${page + 1}${result.items.length ? ` · ${items.length} shown` : ""}`;
    first.disabled = page === 0;
    prev.disabled = page === 0;
    next.disabled = !nextToken;
  }

  async function loadCounts() {
    const { items: all, truncated } = await ctx.api.listAll({ ...apiFilters(filters), statuses: [] });
    const items = withoutEntities(all).kept;
    const matching = filters.name
      ? items.filter((i) => (i.name ?? "").toLowerCase().includes(filters.name.toLowerCase()))
      : items;
    const byStatus = new Map(STATUSES.map((s) => [s, 0]));
    for (const item of matching) byStatus.set(item.runtimeStatus, (byStatus.get(item.runtimeStatus) ?? 0) + 1);
    const plus = truncated ? "+" : "";
    replace(counts,
      h("li", { class: "count-total" }, h("span", { text: "All" }), h("strong", { text: `${matching.length}${plus}` })),
      [...byStatus].filter(([, n]) => n > 0).map(([status, n]) =>
        h("li", { dataset: { status } }, statusBadge(status), h("strong", { text: `${n}${plus}` }))));
    for (const span of root.querySelectorAll(".status-filter .count")) {
      span.textContent = ` ${byStatus.get(span.dataset.status) ?? 0}${plus}`;
    }
  }

  async function load() {
    await Promise.all([loadPage(), loadCounts(), ctx.refreshInfo()]);
  }

  const refresher = createRefresher(ctx, load);
  first.addEventListener("click", () => { page = 0; refresher.refresh(); });
  prev.addEventListener("click", () => { page = Math.max(0, page - 1); refresher.refresh(); });
  next.addEventListener("click", () => {
    if (!nextToken) return;
    tokens[page + 1] = nextToken;
    page += 1;
    refresher.refresh();
  });
  pageSize.addEventListener("change", () => {
    ctx.settings.pageSize = Number(pageSize.value);
    saveSettings(ctx.settings);
    tokens.length = 1;
    page = 0;
    refresher.refresh();
  });
  const purge = h("button", { type: "button", class: "danger", text: "Purge by filter…",
    on: { click: () => purgeByFilter(ctx, filters, refresher.followUp) } });

  const active = filters.statuses.length + ["name", "prefix", "from", "to"].filter((k) => filters[k]).length;
  // Open on wide screens or when filtering; a phone shows the list first.
  const filterBox = h("details", { class: "filters-box", open: active > 0 || window.innerWidth > 640 },
    h("summary", { text: active ? `Filters (${active} active)` : "Filters" }),
    filterForm(ctx, filters, apply));

  replace(root,
    h("div", { class: "view-head" }, h("h1", { text: "Instances" }), refresher.element),
    filterBox,
    h("div", { class: "toolbar" }, counts, purge),
    h("div", { class: "table-wrap" }, table),
    empty,
    entityNote,
    h("nav", { class: "pager", "aria-label": "Pages" }, first, prev, pageLabel, next,
      h("span", { class: "page-size" }, h("label", { for: pageSizeId, text: "Per page" }), pageSize)));
  refresher.refresh();
  return { dispose: refresher.dispose };
}
