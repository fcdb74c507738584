// The entity list: GET entities[/{name}]?fetchState=true a page at a time (x-ms-continuation-token),
// whether each one exists, when its last operation ran, and a preview of its state.
//
// With fetchState=true the extension lists every entity that has a stored state, deleted ones
// too (their state is null); without it, only the entities their function reports as existing
// (ext HttpApiHandler.HandleListEntitiesRequestAsync over DTFx's native entity queries). So the
// page lists with state and asks the second query which of them exist.

import { h, replace, field, uid } from "../lib/dom.js";
import { timeEl, compactJson, prettyJson } from "../lib/format.js";
import { PAGE_SIZES, saveSettings } from "../lib/settings.js";
import { createRefresher } from "../lib/refresh.js";
import { EMPTY_ENTITY_KEY } from "../lib/api.js";

/** The view's hash for one entity: #/entities/<name>/<key>, the empty key as "$". */
export function entityHash(name, key) {
  return `#/entities/${encodeURIComponent(name)}/${key === "" ? EMPTY_ENTITY_KEY : encodeURIComponent(key)}`;
}

/** A link to an entity's view: "name / key" in code. */
export function entityLink(name, key) {
  return h("a", { href: entityHash(name, key), class: "entity-link" },
    h("code", { text: `${name} / ${key === "" ? EMPTY_ENTITY_KEY : key}` }));
}

/** "Exists" or "Deleted" (the function reported it as not existing: destruct_on_exit). */
export function existenceBadge(exists) {
  if (exists === null || exists === undefined) return h("span", { class: "badge status-Unknown", text: "Unknown" });
  return exists
    ? h("span", { class: "badge entity-exists", text: "Exists" })
    : h("span", { class: "badge entity-deleted", text: "Deleted", title: "Its function deleted it (destruct_on_exit) or never gave it a state." });
}

const entityKey = (item) => `${item.entityId?.name}\u0000${item.entityId?.key}`;

function entityRow(item, existing) {
  const cell = (label, ...content) => h("td", { "data-label": label }, content);
  const { name = "", key = "" } = item.entityId ?? {};
  const exists = existing ? existing.has(entityKey(item)) : null;
  const state = item.state;
  return h("tr", { dataset: { entity: `${name}/${key}`, exists: String(exists) } },
    cell("Entity", entityLink(name, key)),
    cell("Name", name),
    cell("Key", h("code", { text: key === "" ? `${EMPTY_ENTITY_KEY} (empty key)` : key })),
    cell("Existence", existenceBadge(exists)),
    cell("Last operation", timeEl(item.lastOperationTime)),
    cell("State", state === null || state === undefined
      ? h("span", { class: "muted", text: "null" })
      : h("code", { class: "state-preview", title: prettyJson(state), text: compactJson(state, 72) })));
}

function filterForm(ctx, name, onApply) {
  const listId = uid("entity-names");
  const input = h("input", { id: uid("f-entity"), type: "search", value: name, list: listId, autocomplete: "off", spellcheck: false });
  const datalist = h("datalist", { id: listId }, (ctx.info?.entities ?? []).map((n) => h("option", { value: n })));
  const form = h("form", { class: "filters entity-filters", role: "search", "aria-label": "Filter entities" },
    field("Entity name", input, "The whole name, any case (GET entities/{name}). Empty: every entity."),
    datalist,
    h("div", { class: "form-buttons" },
      h("button", { type: "submit", class: "primary", text: "Apply filter" }),
      h("button", { type: "button", text: "Clear filter", on: { click: () => onApply("") } })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(input.value.trim());
  });
  return form;
}

/** Render the entity list into `root`; returns {dispose}. */
export function renderEntities(ctx, root, query) {
  const name = (query.get("name") ?? "").trim();
  const apply = (next) => ctx.navigate(next ? `#/entities?name=${encodeURIComponent(next)}` : "#/entities");
  const pageSizeId = uid("page-size");
  const pageSize = h("select", { id: pageSizeId },
    PAGE_SIZES.map((n) => h("option", { value: String(n), text: String(n), selected: n === ctx.settings.pageSize })));
  const tbody = h("tbody");
  const caption = h("caption", { class: "visually-hidden", text: "Entities" });
  const table = h("table", { class: "data-table entities" }, caption,
    h("thead", {}, h("tr", {}, ["Entity", "Name", "Key", "Existence", "Last operation", "State"].map((t) => h("th", { scope: "col", text: t })))),
    tbody);
  const empty = h("p", { class: "empty", hidden: true,
    text: name ? `No entity named ${name} has a state yet.` : "No entities yet: an entity appears with its first operation." });
  const total = h("p", { class: "entity-total muted", "aria-live": "polite" });
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" });
  const first = h("button", { type: "button", text: "First page" });
  const prev = h("button", { type: "button", text: "Previous page" });
  const next = h("button", { type: "button", text: "Next page" });
  const tokens = [null]; // tokens[i] fetches page i
  let page = 0;
  let nextToken = null;

  async function load() {
    const [pageResult, existing] = await Promise.all([
      ctx.api.listEntities({ name, fetchState: true, top: ctx.settings.pageSize }, tokens[page]),
      ctx.api.listAllEntities({ name, fetchState: false }),
      ctx.refreshInfo(),
    ]);
    nextToken = pageResult.token;
    const names = existing.truncated ? null : new Set(existing.items.map(entityKey));
    const focused = document.activeElement?.closest?.("tr")?.dataset.entity;
    replace(tbody, pageResult.items.map((item) => entityRow(item, names)));
    if (focused) tbody.querySelector(`tr[data-entity="${CSS.escape(focused)}"] a`)?.focus();
    empty.hidden = pageResult.items.length > 0;
    table.hidden = pageResult.items.length === 0;
    caption.textContent = `Entities, page ${page + 1}`;
    const plus = existing.truncated ? "+" : "";
    total.textContent = `${existing.items.length}${plus} existing ${existing.items.length === 1 ? "entity" : "entities"}${name ? ` named ${name}` : ""}.`;
    pageLabel.textContent = `Page ${page + 1}${pageResult.items.length ? ` · ${pageResult.items.length} shown` : ""}`;
    first.disabled = page === 0;
    prev.disabled = page === 0;
    next.disabled = !nextToken;
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

  replace(root,
    h("div", { class: "view-head" }, h("h1", { text: "Entities" }), refresher.element),
    h("p", { class: "lead" }, "Durable entities with a stored state, deleted ones included (",
      h("code", { text: "GET entities?fetchState=true" }), "). Each entity also runs as an orchestration instance ",
      h("code", { text: "@name@key" }), ", which the Instances view leaves out."),
    filterForm(ctx, name, apply),
    total,
    h("div", { class: "table-wrap" }, table),
    empty,
    h("nav", { class: "pager", "aria-label": "Pages" }, first, prev, pageLabel, next,
      h("span", { class: "page-size" }, h("label", { for: pageSizeId, text: "Per page" }), pageSize)));
  refresher.refresh();
  return { dispose: refresher.dispose };
}
