// Pieces shared by the views: status badges, runtime status names, JSON blocks.

import { h } from "../lib/dom.js";
import { prettyJson } from "../lib/format.js";

/** Runtime statuses the Durable HTTP API filters on, in display order. */
export const STATUSES = ["Running", "Pending", "Suspended", "Completed", "Failed", "Terminated", "Canceled", "ContinuedAsNew"];
export const TERMINAL = ["Completed", "Failed", "Terminated", "Canceled"];

export function statusBadge(status) {
  const name = STATUSES.includes(status) ? status : "Unknown";
  return h("span", { class: `badge status-${name}`, text: status ?? "Unknown" });
}

/** A titled, scrollable JSON block; "null" values are shown as a muted "none". */
export function jsonBlock(title, value, id) {
  const empty = value === null || value === undefined;
  return h("section", { class: "json-block", "aria-labelledby": id },
    h("h3", { id, text: title }),
    empty ? h("p", { class: "muted", text: "none" }) : h("pre", { tabindex: "0", class: "json" }, h("code", { text: prettyJson(value) })));
}

export function instanceLink(instanceId, text) {
  return h("a", { href: `#/instances/${encodeURIComponent(instanceId)}`, class: "instance-link" },
    h("code", { text: text ?? instanceId }));
}

/** The JSON text in a textarea: "" when empty (no input), else validated. Returns {ok, text, error}. */
export function checkJson(text, { allowEmpty = true } = {}) {
  const trimmed = text.trim();
  if (!trimmed) return allowEmpty ? { ok: true, text: "" } : { ok: false, error: "Enter a JSON value (e.g. {} or \"text\")." };
  try {
    JSON.parse(trimmed);
    return { ok: true, text: trimmed };
  } catch (err) {
    return { ok: false, error: `Invalid JSON: ${err.message}` };
  }
}

/**
 * Live JSON validation for a textarea: sets aria-invalid and the message element's text.
 * Returns a function that re-checks and returns checkJson's result.
 */
export function watchJson(textarea, message, options) {
  const check = () => {
    const result = checkJson(textarea.value, options);
    textarea.setAttribute("aria-invalid", String(!result.ok));
    message.textContent = result.ok ? (result.text ? "Valid JSON." : options?.emptyText ?? "No input.") : result.error;
    message.dataset.state = result.ok ? "ok" : "error";
    return result;
  };
  textarea.addEventListener("input", check);
  check();
  return check;
}

/** Ids the Durable API refuses (ext: DurableClient): leading @, / \ # ?, control chars, > 256. */
export function instanceIdProblem(id) {
  if (!id) return "";
  if (id.length > 256) return "Instance IDs are at most 256 characters.";
  if (id.startsWith("@")) return "Instance IDs must not start with @.";
  if (/[/\\#?]/.test(id)) return "Instance IDs must not contain / \\ # or ?.";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return "Instance IDs must not contain control characters.";
  return "";
}
