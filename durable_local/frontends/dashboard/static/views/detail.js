// One instance: status, actions, input/output/custom status, the timeline and the raw history.

import { h, replace, field, uid } from "../lib/dom.js";
import { timeEl, prettyJson } from "../lib/format.js";
import { createRefresher } from "../lib/refresh.js";
import { confirmAction, runAction } from "../lib/dialog.js";
import { statusBadge, jsonBlock, instanceLink, watchJson, TERMINAL } from "./common.js";
import { timelineSection } from "./timeline.js";
import { APPROVAL_ORCHESTRATOR, DECISION_EVENT } from "./approvals.js";
import { entityOfInstance } from "../lib/api.js";
import { entityLink } from "./entities.js";

function reasonField(prefix) {
  const input = h("input", { id: uid(prefix), type: "text", autocomplete: "off" });
  return { input, node: field("Reason (optional)", input) };
}

async function raiseEvent(ctx, status) {
  const nameInput = h("input", { id: uid("event-name"), type: "text", required: true, autocomplete: "off", list: "event-names" });
  const seen = new Set((status.historyEvents ?? []).filter((e) => e.EventType === "EventRaised").map((e) => e.Name));
  if (status.name === APPROVAL_ORCHESTRATOR) seen.add(DECISION_EVENT);
  const names = h("datalist", { id: "event-names" }, [...seen].filter(Boolean).map((n) => h("option", { value: n })));
  const payload = h("textarea", { id: uid("event-payload"), rows: "6", spellcheck: false, class: "code" });
  const message = h("small", { class: "json-state", id: uid("event-payload-state"), "aria-live": "polite" });
  payload.setAttribute("aria-describedby", message.id);
  const check = watchJson(payload, message, { emptyText: "Empty: the event carries null." });
  const ok = await confirmAction({
    title: "Raise an event",
    message: h("p", {}, "Sends an external event to ", h("code", { text: status.instanceId }), "."),
    confirmLabel: "Raise event",
    body: [field("Event name", nameInput), names, field("Payload (JSON)", payload), message],
    validate: () => {
      if (!nameInput.value.trim()) return "Enter the event name.";
      const result = check();
      return result.ok ? "" : result.error;
    },
  });
  if (!ok) return false;
  const name = nameInput.value.trim();
  const body = check().text || "null";
  const result = await runAction(`Raise event '${name}'`, () => ctx.api.raiseEvent(status.instanceId, name, body),
    (code) => `Event '${name}' raised (HTTP ${code}).`);
  return result.ok;
}

async function lifecycle(ctx, status, operation, verb, danger) {
  const reason = reasonField(`${operation}-reason`);
  const ok = await confirmAction({
    title: `${verb} instance`,
    message: h("p", {}, `${verb} `, h("code", { text: status.instanceId }), ` (${status.name})?`),
    confirmLabel: verb,
    danger,
    body: [reason.node],
  });
  if (!ok) return false;
  const result = await runAction(verb, () => ctx.api.lifecycle(status.instanceId, operation, reason.input.value.trim()),
    (code) => `${verb} requested (HTTP ${code}).`);
  return result.ok;
}

async function restart(ctx, status) {
  const box = h("input", { type: "checkbox", id: uid("restart-new-id"), checked: true });
  const ok = await confirmAction({
    title: "Restart instance",
    message: h("p", {}, "Starts ", h("code", { text: status.name }), " again with the same input."),
    confirmLabel: "Restart",
    body: [h("p", { class: "check" }, box, h("label", { for: box.id, text: "Under a new instance ID" }))],
  });
  if (!ok) return false;
  const result = await runAction("Restart", () => ctx.api.restart(status.instanceId, box.checked),
    ({ payload, status: code }) => [`Restarted (HTTP ${code}) as`, instanceLink(payload.id)]);
  return result.ok;
}

async function purge(ctx, status) {
  const ok = await confirmAction({
    title: "Purge instance",
    message: h("p", {}, "Deletes the history and state of ", h("code", { text: status.instanceId }), ". This cannot be undone."),
    confirmLabel: "Purge",
    danger: true,
  });
  if (!ok) return false;
  const result = await runAction("Purge", () => ctx.api.purge(status.instanceId),
    (body) => `Purged ${status.instanceId} (${body?.instancesDeleted ?? 0} instance deleted).`);
  if (result.ok) ctx.navigate("#/instances", { keepNotices: true });
  return false;
}

function actionButtons(ctx, status, reload) {
  const running = !TERMINAL.includes(status.runtimeStatus);
  const act = (label, fn, cls) => h("button", {
    type: "button", class: cls, text: label,
    on: { click: async () => { if (await fn()) reload(); } },
  });
  return h("div", { class: "actions", role: "group", "aria-label": "Actions" },
    running ? act("Raise event…", () => raiseEvent(ctx, status)) : null,
    running && status.runtimeStatus !== "Suspended" ? act("Suspend…", () => lifecycle(ctx, status, "suspend", "Suspend")) : null,
    status.runtimeStatus === "Suspended" ? act("Resume…", () => lifecycle(ctx, status, "resume", "Resume")) : null,
    running ? act("Terminate…", () => lifecycle(ctx, status, "terminate", "Terminate", true), "danger") : null,
    act("Restart…", () => restart(ctx, status)),
    running ? null : act("Purge…", () => purge(ctx, status), "danger"));
}

/**
 * Replace `container`'s children with `render()` only when `key` differs from last time, so an
 * auto-refresh that changes nothing leaves focus, scroll and open <details> alone.
 */
function update(container, key, render) {
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  replace(container, render());
}

/** Render instance `instanceId` into `root`; returns {dispose}. */
export function renderDetail(ctx, root, instanceId) {
  const title = h("h1", {}, h("span", { class: "muted", text: "Instance " }), h("code", { text: instanceId }));
  const parts = {
    facts: h("div"), actions: h("div"), timeline: h("div"), json: h("div"), raw: h("div"),
  };
  const body = h("div", { class: "detail-body" }, Object.values(parts));
  const missing = h("p", { class: "empty", hidden: true }, "No instance with ID ", h("code", { text: instanceId }),
    " (it may have been purged). ", h("a", { href: "#/instances", text: "Back to the list" }), ".");
  // An entity's scheduler instance: its state and operations are on the entity's own view. No
  // lifecycle buttons: terminating it breaks the entity for good (ext issue #1418), and it
  // never takes external events of its own.
  const entity = entityOfInstance(instanceId);
  const entityNote = entity ? h("p", { class: "notice notice-info entity-instance" },
    h("span", {}, "This instance runs the durable entity ", entityLink(entity.name, entity.key),
      ": its state, recent operations and a signal form are on the entity's view. "
      + "It has no actions here: terminating an entity's instance would break the entity.")) : null;

  async function load() {
    const [status] = await Promise.all([ctx.api.getInstance(instanceId, { history: true }), ctx.refreshInfo()]);
    missing.hidden = Boolean(status);
    body.hidden = !status;
    if (!status) return;
    const history = status.historyEvents ?? [];
    const historyKey = JSON.stringify(history);
    const running = !TERMINAL.includes(status.runtimeStatus);
    update(title, `${status.name}|${status.runtimeStatus}`,
      () => [h("span", { text: status.name ?? "" }), " ", statusBadge(status.runtimeStatus)]);
    update(parts.facts, `${status.runtimeStatus}|${status.lastUpdatedTime}`, () => h("dl", { class: "facts" },
      h("div", {}, h("dt", { text: "Instance ID" }), h("dd", {}, h("code", { class: "instance-id", text: status.instanceId }))),
      h("div", {}, h("dt", { text: "Status" }), h("dd", {}, statusBadge(status.runtimeStatus))),
      h("div", {}, h("dt", { text: "Created" }), h("dd", {}, timeEl(status.createdTime))),
      h("div", {}, h("dt", { text: "Last updated" }), h("dd", {}, timeEl(status.lastUpdatedTime)))));
    update(parts.actions, `${status.runtimeStatus}|${historyKey.length}`,
      () => (entity ? null : actionButtons(ctx, status, refresher.followUp)));
    update(parts.json, JSON.stringify([status.input, status.output, status.customStatus]), () => h("div", { class: "json-grid" },
      jsonBlock("Input", status.input, "input-title"),
      jsonBlock("Output", status.output, "output-title"),
      jsonBlock("Custom status", status.customStatus, "custom-title")));
    // A running instance's bars reach "now", so its timeline follows the host clock.
    update(parts.timeline, `${historyKey}|${status.runtimeStatus}|${running ? ctx.hostNow() : ""}`,
      () => timelineSection(ctx, status));
    update(parts.raw, historyKey, () => h("details", { class: "raw-history" },
      h("summary", { text: `Raw history (${history.length} events)` }),
      h("pre", { class: "json", tabindex: "0" }, h("code", { text: prettyJson(history) }))));
  }

  const refresher = createRefresher(ctx, load);
  replace(root,
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: "#/instances", text: "Instances" }), " › ",
      h("code", { text: instanceId })),
    h("div", { class: "view-head" }, title, refresher.element),
    entityNote,
    missing,
    body);
  refresher.refresh();
  return { dispose: refresher.dispose };
}
