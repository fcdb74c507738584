// Drawing the timeline model (lib/timeline.js): one list item per step, a bar (or a mark) on a
// shared time axis, and the times and outcome as text, so it reads without the picture too.

import { h } from "../lib/dom.js";
import { timeEl, duration } from "../lib/format.js";
import { buildTimeline } from "../lib/timeline.js";
import { instanceLink } from "./common.js";

const STATE_TEXT = {
  completed: "completed",
  failed: "failed",
  running: "running",
  fired: "fired",
  pending: "waiting",
  cancelled: "cancelled",
  mark: "",
};

function position(model, from, to) {
  const span = model.end - model.start || 1;
  const left = ((from - model.start) / span) * 100;
  const width = ((to - from) / span) * 100;
  return { left: Math.min(Math.max(left, 0), 100), width: Math.min(Math.max(width, 0), 100 - Math.max(left, 0)) };
}

function rowLabel(row) {
  const name = row.kind === "suborchestration" && row.name
    ? (row.instanceId ? instanceLink(row.instanceId, row.name)
      : h("a", { href: `#/instances?name=${encodeURIComponent(row.name)}`, title: "Instances with this name", text: row.name }))
    : row.name ? h("span", { class: "tl-name", text: row.name }) : null;
  return h("div", { class: "tl-label" }, h("span", { class: "tl-kind", text: row.label }), name ? " " : null, name);
}

function isMark(row) {
  return row.state === "mark" || row.kind === "event" || row.kind === "lifecycle";
}

function rowMeta(row, style) {
  const at = (ms) => timeEl(new Date(ms), style);
  const parts = [];
  if (isMark(row)) {
    parts.push(at(row.from));
  } else {
    parts.push(at(row.from), " → ");
    if (row.kind === "timer" && row.state === "pending") parts.push("due ", at(row.to));
    else if (row.state === "running") parts.push("now");
    else parts.push(at(row.to));
    if (row.state !== "pending" && row.state !== "running") parts.push(` · ${duration(row.to - row.from)}`);
  }
  if (row.kind === "timer" && row.state === "cancelled" && Number.isFinite(row.fireAt)) {
    parts.push(" · was due ", timeEl(new Date(row.fireAt)));
  }
  const state = STATE_TEXT[row.state];
  return h("div", { class: "tl-meta" }, parts, state ? h("span", { class: "tl-state", text: ` · ${state}` }) : null);
}

function timelineRow(model, row, style) {
  const mark = isMark(row);
  const { left, width } = position(model, row.from, row.to);
  const shape = h("span", { class: mark ? "tl-mark" : "tl-bar" });
  shape.style.left = `${left}%`;
  if (!mark) shape.style.width = `${width}%`;
  // A running instance's tracks carry a "now" line (the host's time, virtual under a skipped clock).
  let now = null;
  if (!model.finished && model.now >= model.start && model.now <= model.end) {
    now = h("span", { class: "tl-now" });
    now.style.left = `${position(model, model.now, model.now).left}%`;
  }
  return h("li", {
    class: `tl-row kind-${row.kind} state-${row.state}`,
    dataset: { kind: row.kind, state: row.state, name: row.name, label: row.label },
  },
  rowLabel(row),
  h("div", { class: "tl-track", "aria-hidden": "true" }, now, shape),
  rowMeta(row, style),
  row.reason ? h("p", { class: "tl-reason", text: row.reason }) : null,
  row.details ? h("details", { class: "tl-result" }, h("summary", { text: "Details" }),
    h("pre", { class: "json" }, h("code", { text: row.details }))) : null,
  row.result ? h("details", { class: "tl-result" }, h("summary", { text: row.kind === "event" ? "Payload" : "Result" }),
    h("pre", { class: "json" }, h("code", { text: row.result }))) : null);
}

function legend() {
  const item = (cls, text) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return h("ul", { class: "tl-legend", "aria-label": "Legend" },
    item("swatch-activity", "activity"),
    item("swatch-timer", "timer (scheduled → fired)"),
    item("swatch-cancelled", "cancelled timer"),
    item("swatch-running", "running / waiting"),
    item("swatch-event", "external event"),
    item("swatch-failed", "failure"));
}

/** The timeline section for `status` (a status payload with historyEvents). */
export function timelineSection(ctx, status) {
  const model = buildTimeline(status.historyEvents ?? [], status, ctx.hostNow());
  const virtual = ctx.info && ctx.info.clock !== "system";
  const mid = model.start + (model.end - model.start) / 2;
  // Rows show times only when the whole timeline is within one local day.
  const style = new Date(model.start).toDateString() === new Date(model.end).toDateString() ? "time" : "datetime";
  return h("section", { class: "timeline-section", "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title", text: "Timeline" }),
    h("p", { class: "timeline-caption" },
      timeEl(new Date(model.start)), " → ", timeEl(new Date(model.end)),
      ` · ${duration(model.end - model.start)}`,
      virtual ? ` · virtual time (${ctx.info.clock} clock)` : "",
      model.finished ? "" : [" · still running; red line: host time now (", timeEl(new Date(model.now), "time"), ")"]),
    legend(),
    h("div", { class: "tl-axis", "aria-hidden": "true" },
      h("span", {}, timeEl(new Date(model.start), "time")),
      h("span", {}, timeEl(new Date(mid), "time")),
      h("span", {}, timeEl(new Date(model.end), "time"))),
    model.rows.length
      ? h("ol", { class: "timeline" }, model.rows.map((row) => timelineRow(model, row, style)))
      : h("p", { class: "muted", text: "No history yet." }));
}
