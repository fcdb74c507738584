// Auto-refresh control: a toggle, an interval, "Refresh now", and an indicator saying when the
// view was last updated (or that it is updating, paused, or failing).

import { h, uid } from "./dom.js";
import { REFRESH_CHOICES, saveSettings } from "./settings.js";
import { dialogOpen } from "./dialog.js";

/**
 * @param {object} ctx the app context (settings)
 * @param {() => Promise<void>} load refreshes the view; throws to report a failure
 * @returns {{element: HTMLElement, refresh: () => Promise<void>, followUp: () => void, dispose: () => void}}
 */
export function createRefresher(ctx, load) {
  const toggleId = uid("auto-refresh");
  const intervalId = uid("refresh-interval");
  const toggle = h("input", { type: "checkbox", id: toggleId, checked: ctx.settings.autoRefresh });
  const interval = h("select", { id: intervalId },
    REFRESH_CHOICES.map((s) => h("option", { value: String(s), text: `every ${s} s`, selected: s === ctx.settings.refreshSeconds })));
  const now = h("button", { type: "button", class: "small", text: "Refresh now" });
  const dot = h("span", { class: "refresh-dot", "aria-hidden": "true" });
  const state = h("span", { class: "refresh-state", text: "Loading…" });
  const indicator = h("span", { class: "refresh-indicator", dataset: { state: "loading" } }, dot, state);
  const element = h("div", { class: "refresher", role: "group", "aria-label": "Auto-refresh" },
    h("span", { class: "check" }, toggle, h("label", { for: toggleId, text: "Auto-refresh" })),
    h("label", { for: intervalId, class: "visually-hidden", text: "Refresh interval" }),
    interval, now, indicator);

  let timer = null;
  let running = false;
  let disposed = false;
  const followUps = new Set();

  function show(kind, text) {
    indicator.dataset.state = kind;
    state.textContent = text;
  }

  async function refresh() {
    if (running || disposed) return;
    running = true;
    show("loading", "Updating…");
    try {
      await load();
      const at = new Date();
      const stamp = at.toLocaleTimeString();
      show(toggle.checked ? "live" : "paused", toggle.checked ? `Live · updated ${stamp}` : `Paused · updated ${stamp}`);
      state.title = at.toISOString();
    } catch (err) {
      show("error", `Update failed: ${err?.message ?? err}`);
    } finally {
      running = false;
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    if (toggle.checked && !disposed) {
      timer = setInterval(() => {
        if (!dialogOpen() && document.visibilityState !== "hidden") refresh();
      }, Number(interval.value) * 1000);
    }
  }

  function persist() {
    ctx.settings.autoRefresh = toggle.checked;
    ctx.settings.refreshSeconds = Number(interval.value);
    saveSettings(ctx.settings);
  }

  toggle.addEventListener("change", () => {
    persist();
    schedule();
    if (indicator.dataset.state !== "loading" && indicator.dataset.state !== "error") {
      show(toggle.checked ? "live" : "paused", toggle.checked ? "Live" : "Paused");
    }
  });
  interval.addEventListener("change", () => { persist(); schedule(); });
  now.addEventListener("click", () => refresh());
  schedule();

  return {
    element,
    refresh,
    /** After an action: refresh now and a few times soon after, as the host applies it. */
    followUp() {
      refresh();
      for (const ms of [400, 1200, 3000]) {
        const id = setTimeout(() => { followUps.delete(id); refresh(); }, ms);
        followUps.add(id);
      }
    },
    dispose() {
      disposed = true;
      clearInterval(timer);
      for (const id of followUps) clearTimeout(id);
    },
  };
}
