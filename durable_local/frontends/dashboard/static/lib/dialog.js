// Confirmation dialogs (<dialog>, modal: focus stays inside, Escape cancels) and the notices
// that show each action's result.

import { h, replace } from "./dom.js";

/**
 * Ask before an action. `body` holds extra nodes (form fields); `validate()` returns an error
 * text to show (and keeps the dialog open) or "" to proceed. Resolves true when confirmed.
 */
export function confirmAction({ title, message, confirmLabel = "Confirm", danger = false, body = [], validate }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const error = h("p", { class: "dialog-error", role: "alert", hidden: true });
    const confirm = h("button", { type: "submit", class: danger ? "danger" : "primary", text: confirmLabel });
    const cancel = h("button", { type: "button", text: "Cancel" });
    const heading = h("h2", { id: "dialog-title", text: title });
    const form = h("form", { method: "dialog", class: "dialog-form" },
      heading,
      message ? h("div", { class: "dialog-message" }, message) : null,
      body,
      error,
      h("div", { class: "dialog-buttons" }, cancel, confirm));
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": "dialog-title" }, form);
    let confirmed = false;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const problem = validate ? validate() : "";
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      confirmed = true;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && typeof opener.focus === "function" && opener.isConnected) opener.focus();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    // Start on the first field if there is one, else on the safe choice.
    (form.querySelector("input, textarea, select") ?? cancel).focus();
  });
}

/** True while a dialog is open (auto-refresh waits, so nothing moves under the user). */
export function dialogOpen() {
  return Boolean(document.querySelector("dialog[open]"));
}

let noticeArea = null;

export function setNoticeArea(element) {
  noticeArea = element;
}

/**
 * Show the result of an action. kind: "success" | "error" | "info". `extra` nodes (e.g. a link
 * to the new instance) follow the text. Errors stay until dismissed; others too, newest first,
 * at most five.
 */
export function notify(kind, text, ...extra) {
  if (!noticeArea) return null;
  const dismiss = h("button", { type: "button", class: "notice-dismiss", "aria-label": "Dismiss", text: "×" });
  const notice = h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "notice-text" }, h("span", { text }), extra.length ? " " : null, extra),
    dismiss);
  dismiss.addEventListener("click", () => notice.remove());
  noticeArea.prepend(notice);
  while (noticeArea.children.length > 5) noticeArea.lastElementChild.remove();
  return notice;
}

export function clearNotices() {
  if (noticeArea) replace(noticeArea);
}

/** Run `action` (async) and report: success text from `describe(result)`, or the API's error. */
export async function runAction(what, action, describe) {
  try {
    const result = await action();
    const [text, ...extra] = [].concat(describe(result));
    notify("success", text, ...extra);
    return { ok: true, result };
  } catch (err) {
    const code = err && err.status ? ` (HTTP ${err.status})` : "";
    notify("error", `${what} failed${code}: ${err?.message ?? err}`);
    return { ok: false, error: err };
  }
}
