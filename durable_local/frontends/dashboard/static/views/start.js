// Start a new orchestration: POST orchestrators/{name}/{instanceId?} with a JSON input that is
// checked in the browser before anything is sent.

import { h, replace, field, uid } from "../lib/dom.js";
import { confirmAction, runAction } from "../lib/dialog.js";
import { watchJson, instanceIdProblem, instanceLink } from "./common.js";
import { APPROVAL_ORCHESTRATOR } from "./approvals.js";

/** Input examples for the orchestrators of this repository's approval app (placeholders only). */
const EXAMPLES = {
  [APPROVAL_ORCHESTRATOR]: JSON.stringify({
    title: "New laptop", requester: "ada@contoso.com", approver: "bob@contoso.com",
    escalateTo: "head-of-department@contoso.com", deadline: "PT24H", escalationDeadline: "PT24H",
  }, null, 2),
  reminders_orchestrator: JSON.stringify({ recipient: "ada@contoso.com", message: "Please review", interval: "PT10S", count: 3 }, null, 2),
};

export function renderStart(ctx, root, query) {
  const names = ctx.info?.orchestrators ?? [];
  const wanted = query.get("name") ?? "";
  const nameId = uid("start-name");
  const nameControl = names.length
    ? h("select", { id: nameId, required: true },
      names.map((n) => h("option", { value: n, text: n, selected: n === wanted })))
    : h("input", { id: nameId, type: "text", required: true, autocomplete: "off", spellcheck: false, value: wanted });
  const nameHint = names.length
    ? "The app's orchestrators, as the host reports them."
    : "This host does not list its orchestrators (no /_dashboard/api/info): type the orchestrator function's name.";
  const idInput = h("input", { id: uid("start-id"), type: "text", autocomplete: "off", spellcheck: false });
  const input = h("textarea", { id: uid("start-input"), rows: "10", spellcheck: false, class: "code" });
  const jsonState = h("small", { class: "json-state", id: uid("start-input-state"), "aria-live": "polite" });
  input.setAttribute("aria-describedby", jsonState.id);
  const check = watchJson(input, jsonState, { emptyText: "Empty: the orchestration starts without input (null)." });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const result = h("div", { class: "start-result" });

  const showExample = () => {
    input.placeholder = EXAMPLES[nameControl.value] ?? '{"key": "value"}';
  };
  nameControl.addEventListener("change", showExample);
  nameControl.addEventListener("input", showExample);
  showExample();

  const form = h("form", { class: "start-form", "aria-labelledby": "start-title" },
    field("Orchestrator", nameControl, nameHint),
    field("Instance ID (optional)", idInput, "Empty: the host generates one."),
    h("div", { class: "field" }, h("label", { for: input.id, text: "Input (JSON)" }), input, jsonState),
    error,
    h("div", { class: "form-buttons" }, h("button", { type: "submit", class: "primary", text: "Start…" })));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameControl.value.trim();
    const instanceId = idInput.value.trim();
    const json = check();
    const problem = !name ? "Choose an orchestrator." : instanceIdProblem(instanceId) || (json.ok ? "" : json.error);
    error.hidden = !problem;
    error.textContent = problem;
    if (problem) {
      (!name ? nameControl : !json.ok ? input : idInput).focus();
      return;
    }
    const ok = await confirmAction({
      title: "Start orchestration",
      message: h("div", {},
        h("p", {}, "Start ", h("code", { text: name }), instanceId ? [" as ", h("code", { text: instanceId })] : null,
          json.text ? " with this input?" : " without input?"),
        json.text ? h("pre", { class: "json" }, h("code", { text: JSON.stringify(JSON.parse(json.text), null, 2) })) : null),
      confirmLabel: "Start",
    });
    if (!ok) return;
    const outcome = await runAction(`Start ${name}`, () => ctx.api.start(name, instanceId, json.text),
      ({ payload, status }) => [`Started ${name} (HTTP ${status}):`, instanceLink(payload.id)]);
    if (outcome.ok) {
      replace(result, h("p", {}, "Started instance ", instanceLink(outcome.result.payload.id), "."));
    }
  });

  replace(root, h("h1", { id: "start-title", text: "Start an orchestration" }), form, result);
  return { dispose() {} };
}
