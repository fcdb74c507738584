// One entity: whether it exists, its state (GET entities/{name}/{key}), its recent operations
// (the local host's /_dashboard/api/entities/.../operations, when offered) and a form that
// signals an operation (POST entities/{name}/{key}?op=X), confirmed first.
//
// Existence and the last update come from the entity's orchestration instance @name@key
// (GET instances/@name@key): its custom status is the extension's EntityStatus, which says
// {"entityExists": true} while the entity exists and omits it otherwise.

import { h, replace, field, uid } from "../lib/dom.js";
import { timeEl, prettyJson, compactJson, decodeJsonText, duration } from "../lib/format.js";
import { createRefresher } from "../lib/refresh.js";
import { confirmAction, runAction } from "../lib/dialog.js";
import { WEBHOOK, EMPTY_ENTITY_KEY } from "../lib/api.js";
import { instanceLink, watchJson } from "./common.js";
import { existenceBadge } from "./entities.js";

const OPERATION_LIMIT = 20;

/** Replace `container`'s children only when `key` changed (focus and scroll survive a refresh). */
function update(container, key, render) {
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  replace(container, render());
}

function fact(term, ...value) {
  return h("div", {}, h("dt", { text: term }), h("dd", {}, value));
}

function outcomeCell(op) {
  if (op.succeeded) {
    const shown = op.kind === "call" && op.result !== null && op.result !== undefined;
    return [h("span", { class: "badge op-ok", text: "OK" }),
      shown ? [" ", h("code", { class: "op-result", title: prettyJson(op.result), text: `→ ${compactJson(op.result, 60)}` })] : null];
  }
  return [h("span", { class: "badge op-failed", text: "Failed" }), " ",
    h("span", { class: "op-error", text: op.error || "(no message)" })];
}

function operationRow(op) {
  const cell = (label, ...content) => h("td", { "data-label": label }, content);
  return h("tr", { dataset: { operation: op.operation, outcome: op.succeeded ? "ok" : "failed", kind: op.kind } },
    cell("Time", timeEl(op.at)),
    cell("Operation", h("code", { text: op.operation === "" ? '""' : op.operation })),
    cell("Caller", op.caller ? instanceLink(op.caller) : h("span", { class: "muted", text: "client" })),
    cell("Sent as", op.kind === "signal" ? "signal" : "call"),
    cell("Outcome", outcomeCell(op)),
    cell("Duration", duration(op.durationMs)));
}

function operationsTable(operations) {
  if (!operations.length) return h("p", { class: "empty", text: "No operation recorded yet." });
  return h("div", { class: "table-wrap" },
    h("table", { class: "data-table operations" },
      h("caption", { class: "visually-hidden", text: "Recent operations, newest first" }),
      h("thead", {}, h("tr", {}, ["Time", "Operation", "Caller", "Sent as", "Outcome", "Duration"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, operations.map(operationRow))));
}

/** The signal form; `onSignalled` runs after the API accepted a signal. */
function signalForm(ctx, name, key, onSignalled) {
  const opInput = h("input", { id: uid("signal-op"), type: "text", required: true, autocomplete: "off", spellcheck: false });
  const opNames = h("datalist", { id: uid("signal-ops") });
  opInput.setAttribute("list", opNames.id);
  const input = h("textarea", { id: uid("signal-input"), rows: "4", spellcheck: false, class: "code", placeholder: "5" });
  const jsonState = h("small", { class: "json-state", id: uid("signal-input-state"), "aria-live": "polite" });
  input.setAttribute("aria-describedby", jsonState.id);
  const check = watchJson(input, jsonState, { emptyText: "Empty: the operation gets no input." });
  const python = h("input", { type: "checkbox", id: uid("signal-python"), checked: true });
  const pythonHint = h("small", { class: "hint", id: `${python.id}-hint`,
    text: "The Python SDK's signal_entity sends the input's JSON text as a JSON string, and a Python entity's "
      + "get_input() decodes twice: keep this on for Python entities. Off: the JSON is the body as it is." });
  python.setAttribute("aria-describedby", pythonHint.id);
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const answer = h("p", { class: "signal-answer", role: "status" });
  const titleId = uid("signal-title");

  const form = h("form", { class: "signal-form", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: "Signal an operation" }),
    field("Operation", opInput),
    opNames,
    h("div", { class: "field" }, h("label", { for: input.id, text: "Input (JSON)" }), input, jsonState),
    h("div", { class: "field" }, h("span", { class: "check" }, python, h("label", { for: python.id, text: "Send as the Python client does" })), pythonHint),
    error,
    h("div", { class: "form-buttons" }, h("button", { type: "submit", class: "primary", text: "Signal…" })),
    answer);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const operation = opInput.value.trim();
    const json = check();
    const problem = !operation ? "Enter the operation's name." : json.ok ? "" : json.error;
    error.hidden = !problem;
    error.textContent = problem;
    if (problem) {
      (!operation ? opInput : input).focus();
      return;
    }
    const body = json.text ? (python.checked ? JSON.stringify(json.text) : json.text) : null;
    const target = `${WEBHOOK}/entities/${name}/${key === "" ? EMPTY_ENTITY_KEY : key}?op=${operation}`;
    const ok = await confirmAction({
      title: "Signal an operation",
      message: h("div", {},
        h("p", {}, "Send ", h("code", { text: operation }), " to ", h("code", { text: `${name} / ${key}` }),
          body === null ? " without input?" : " with this body?"),
        h("p", { class: "muted" }, "POST ", h("code", { text: target })),
        body === null ? null : h("pre", { class: "json" }, h("code", { text: body }))),
      confirmLabel: "Signal",
    });
    if (!ok) return;
    answer.textContent = "";
    const outcome = await runAction(`Signal '${operation}'`, () => ctx.api.signalEntity(name, key, operation, body),
      (code) => `Signal '${operation}' accepted (HTTP ${code}); the entity runs it next.`);
    answer.textContent = outcome.ok
      ? `HTTP ${outcome.result}: '${operation}' queued.`
      : `Refused${outcome.error?.status ? ` (HTTP ${outcome.error.status})` : ""}: ${outcome.error?.message ?? outcome.error}`;
    answer.dataset.state = outcome.ok ? "ok" : "error";
    if (outcome.ok) onSignalled();
  });

  return {
    element: form,
    /** Offer the operation names seen so far. */
    suggest(names) {
      const key = [...names].sort().join("\u0000");
      if (opNames.dataset.key === key) return;
      opNames.dataset.key = key;
      replace(opNames, [...names].sort().map((n) => h("option", { value: n })));
    },
  };
}

/** Render entity `name`/`key` into `root`; returns {dispose}. */
export function renderEntity(ctx, root, rawName, key) {
  const name = rawName.toLowerCase(); // ext EntityId lowercases names; so do the API's routes
  const instanceId = `@${name}@${key}`;
  const shownKey = key === "" ? `${EMPTY_ENTITY_KEY} (empty key)` : key;
  const badge = h("span");
  const title = h("h1", {}, h("span", { class: "muted", text: "Entity " }), h("code", { text: `${name} / ${shownKey}` }), badge);
  const facts = h("div");
  const stateBox = h("div");
  const operationsBox = h("div");
  const stateTitle = uid("state-title");
  const opsTitle = uid("ops-title");
  const form = signalForm(ctx, name, key, () => refresher.followUp());

  async function loadOperations() {
    try {
      return { operations: await ctx.api.entityOperations(name, key, OPERATION_LIMIT) };
    } catch (err) {
      return { error: err };
    }
  }

  async function load() {
    const [entity, instance, ops] = await Promise.all([
      ctx.api.getEntity(name, key), ctx.api.getInstance(instanceId), loadOperations(), ctx.refreshInfo(),
    ]);
    const status = instance ? decodeJsonText(instance.customStatus) : null;
    const exists = instance ? Boolean(status && status.entityExists) : entity ? null : false;
    update(badge, `${exists}|${Boolean(entity)}`, () => (entity || instance ? existenceBadge(exists)
      : h("span", { class: "badge status-Unknown", text: "No state" })));
    update(facts, JSON.stringify([exists, instance?.lastUpdatedTime, Boolean(instance)]), () => h("dl", { class: "facts" },
      fact("Name", h("code", { text: name })),
      fact("Key", h("code", { text: shownKey })),
      fact("Existence", entity || instance ? existenceBadge(exists) : h("span", { class: "muted", text: "never reached" })),
      fact("Last updated", timeEl(instance?.lastUpdatedTime)),
      fact("Orchestration instance", instance ? instanceLink(instanceId) : h("span", { class: "muted", text: "none" }))));
    update(stateBox, entity ? `s${JSON.stringify(entity.state)}` : "none", () => (entity
      ? h("pre", { class: "json entity-state", tabindex: "0", "aria-labelledby": stateTitle }, h("code", { text: prettyJson(entity.state) ?? "null" }))
      : h("p", { class: "empty", text: `No state (GET entities/${name}/${key === "" ? EMPTY_ENTITY_KEY : key} answered 404): `
          + "no operation has reached this entity yet, or it was purged." })));
    if (ops.error) {
      update(operationsBox, `e${ops.error.message}`, () => h("p", { class: "form-error", role: "alert",
        text: `Recent operations could not be loaded${ops.error.status ? ` (HTTP ${ops.error.status})` : ""}: ${ops.error.message}` }));
    } else if (ops.operations === null) {
      update(operationsBox, "absent", () => h("p", { class: "muted ops-absent" },
        "This host does not offer recent operations: the local host records them (",
        h("code", { text: "/_dashboard/api/entities/{name}/{key}/operations" }),
        "); the Durable extension keeps them only in its logs."));
    } else {
      update(operationsBox, JSON.stringify(ops.operations), () => operationsTable(ops.operations));
      form.suggest(new Set(ops.operations.map((o) => o.operation).filter(Boolean)));
    }
  }

  const refresher = createRefresher(ctx, load);
  replace(root,
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: "#/entities", text: "Entities" }), " › ",
      h("a", { href: `#/entities?name=${encodeURIComponent(name)}`, text: name }), " › ", h("code", { text: shownKey })),
    h("div", { class: "view-head" }, title, refresher.element),
    facts,
    h("div", { class: "entity-grid" },
      h("section", { class: "json-block", "aria-labelledby": stateTitle }, h("h2", { id: stateTitle, text: "State" }), stateBox),
      form.element),
    h("section", { class: "operations-section", "aria-labelledby": opsTitle },
      h("h2", { id: opsTitle, text: `Recent operations (newest first, at most ${OPERATION_LIMIT})` }), operationsBox));
  refresher.refresh();
  return { dispose: refresher.dispose };
}
