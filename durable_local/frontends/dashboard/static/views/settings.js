// Settings: which host to talk to and with which key. Stored in this browser's localStorage.

import { h, replace, field, uid } from "../lib/dom.js";
import { saveSettings, normalizeBaseUrl } from "../lib/settings.js";
import { notify } from "../lib/dialog.js";
import { DurableApi } from "../lib/api.js";

export function renderSettings(ctx, root) {
  const base = h("input", { id: uid("base-url"), type: "url", value: ctx.settings.baseUrl, placeholder: location.origin, autocomplete: "url", spellcheck: false });
  const key = h("input", { id: uid("function-key"), type: "password", value: ctx.settings.key, autocomplete: "off", spellcheck: false });
  const show = h("input", { id: uid("show-key"), type: "checkbox" });
  show.addEventListener("change", () => { key.type = show.checked ? "text" : "password"; });
  const testResult = h("p", { class: "test-result", role: "status" });

  const values = () => ({ ...ctx.settings, baseUrl: normalizeBaseUrl(base.value), key: key.value.trim() });

  async function test() {
    testResult.textContent = "Testing…";
    const api = new DurableApi(values());
    try {
      await api.listInstances({ top: 1 });
      const info = await api.info();
      testResult.textContent = info
        ? `Connected: task hub ${info.hub}, ${info.orchestrators.length} orchestrator(s), ${info.clock} clock.`
        : "Connected to the Durable HTTP API (this host offers no /_dashboard/api/info: orchestrator names and virtual time are not shown).";
    } catch (err) {
      testResult.textContent = `Failed${err.status ? ` (HTTP ${err.status})` : ""}: ${err.message}`;
    }
  }

  const form = h("form", { class: "settings-form", "aria-labelledby": "settings-title" },
    field("Base URL", base, `Empty: this page's origin (${location.origin}). For func start, e.g. http://localhost:7071 (start it with --cors '*').`),
    field("Function key", key, "Sent as the x-functions-key header. On Azure: the durabletask_extension system key or the master key. Stored in this browser only."),
    h("p", { class: "check" }, show, h("label", { for: show.id, text: "Show key" })),
    h("div", { class: "form-buttons" },
      h("button", { type: "submit", class: "primary", text: "Save" }),
      h("button", { type: "button", text: "Test connection", on: { click: test } })),
    testResult);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    Object.assign(ctx.settings, values());
    saveSettings(ctx.settings);
    ctx.reconnect();
    await ctx.refreshInfo();
    notify("success", `Settings saved: ${ctx.settings.baseUrl || location.origin}${ctx.settings.key ? " with a function key" : ""}.`);
  });
  replace(root, h("h1", { id: "settings-title", text: "Settings" }), form);
  return { dispose() {} };
}
