// Approvals awaiting a decision: Running instances of the approval app's orchestrator whose
// custom status stage is awaiting_approval or escalated, with approve/reject buttons that call
// the app's own endpoint POST /api/approvals/{id}/decision (so the app's validation, 403 and 409
// rules apply, exactly as for any other client).
//
// The app takes the decider from App Service Authentication's X-MS-CLIENT-PRINCIPAL-NAME header,
// never from the body. On Azure the platform sets it for the signed-in user; here the "Act as"
// field at the top of the view says who you are, and every decision sends it in that header.

import { h, replace, field, uid } from "../lib/dom.js";
import { timeEl, decodeJsonText } from "../lib/format.js";
import { createRefresher } from "../lib/refresh.js";
import { confirmAction, runAction } from "../lib/dialog.js";
import { instanceLink } from "./common.js";

/** Names from approval/domain.py (APPROVAL_ORCHESTRATOR, DECISION_EVENT, Stage). */
export const APPROVAL_ORCHESTRATOR = "approval_orchestrator";
export const DECISION_EVENT = "ApprovalDecision";
const WAITING_STAGES = new Set(["awaiting_approval", "escalated"]);
const DECISION_ROUTE = "approvals/{instanceId}/decision";
/** The header App Service Authentication sets for the signed-in user (approval/identity.py). */
export const PRINCIPAL_NAME_HEADER = "X-MS-CLIENT-PRINCIPAL-NAME";
const ACT_AS_KEY = "durable-dashboard.actAs";

function loadActAs() {
  try { return localStorage.getItem(ACT_AS_KEY) ?? ""; } catch { return ""; }
}

function saveActAs(value) {
  try { localStorage.setItem(ACT_AS_KEY, value); } catch { /* storage disabled: keep it for this page only */ }
}

/** The decision endpoint's path for `instanceId`, from the app's routes when the host lists them. */
function decisionPath(ctx, instanceId) {
  const route = ctx.info?.appRoutes?.find((r) => r.route.toLowerCase().endsWith(DECISION_ROUTE.toLowerCase()));
  const template = route ? route.route : `/api/${DECISION_ROUTE}`;
  return template.replace(/\{instanceId\}/i, encodeURIComponent(instanceId));
}

/** Instances waiting for a decision, oldest deadline first. */
export async function waitingApprovals(api) {
  const { items } = await api.listAll({ statuses: ["Running"] });
  return items
    .filter((i) => i.name === APPROVAL_ORCHESTRATOR)
    .map((i) => ({ ...i, customStatus: decodeJsonText(i.customStatus) }))
    .filter((i) => i.customStatus && WAITING_STAGES.has(i.customStatus.stage))
    .sort((a, b) => String(a.customStatus.deadline).localeCompare(String(b.customStatus.deadline)));
}

function fact(term, ...value) {
  return h("div", {}, h("dt", { text: term }), h("dd", {}, value));
}

/** Who may decide now: the custom status's mayDecide, or its assignee (older instances). */
function mayDecide(state) {
  if (Array.isArray(state.mayDecide) && state.mayDecide.length) return state.mayDecide;
  return state.assignee ? [state.assignee] : [];
}

function approvalCard(ctx, item, actAs, onDecided) {
  const state = item.customStatus;
  const titleId = uid("approval-title");
  const comment = h("input", { id: uid("decision-comment"), type: "text", autocomplete: "off" });
  const sent = h("p", { class: "decision-sent", role: "status", hidden: true });
  const escalated = state.stage === "escalated";

  async function decide(decision) {
    const who = actAs.value.trim();
    if (!who) {
      actAs.setAttribute("aria-invalid", "true");
      actAs.focus();
      return;
    }
    actAs.removeAttribute("aria-invalid");
    const verb = decision === "approved" ? "Approve" : "Reject";
    const ok = await confirmAction({
      title: `${verb} "${state.title}"?`,
      message: h("p", {}, `${verb} the request of ${state.requester} as `, h("strong", { text: who }),
        comment.value.trim() ? ` with the comment "${comment.value.trim()}"` : "", "."),
      confirmLabel: verb,
      danger: decision === "rejected",
    });
    if (!ok) return;
    const body = { decision, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) };
    const outcome = await runAction(`${verb} "${state.title}"`,
      () => ctx.api.appPost(decisionPath(ctx, item.instanceId), body, { [PRINCIPAL_NAME_HEADER]: who }),
      ({ status }) => [`${verb === "Approve" ? "Approved" : "Rejected"} "${state.title}" (HTTP ${status}):`, instanceLink(item.instanceId)]);
    if (outcome.ok) {
      for (const button of card.querySelectorAll("button")) button.disabled = true;
      sent.hidden = false;
      sent.textContent = "Decision sent; the orchestration is finishing.";
      onDecided();
    }
  }

  const card = h("article", { class: `approval-card${escalated ? " escalated" : ""}`, "aria-labelledby": titleId,
    dataset: { instanceId: item.instanceId } },
  h("header", {},
    h("h2", { id: titleId, text: state.title ?? "(untitled)" }),
    h("span", { class: `badge stage-${state.stage}`, text: escalated ? "Escalated" : "Awaiting approval" })),
  h("dl", { class: "facts compact" },
    fact("Requested by", state.requester ?? "—"),
    fact("Assignee", state.assignee ?? "—"),
    fact("May decide", mayDecide(state).join(", ") || "—"),
    fact("Deadline", timeEl(state.deadline)),
    fact("Requested", timeEl(state.requestedAt)),
    escalated ? fact("Escalated", timeEl(state.escalatedAt)) : null,
    fact("Instance", instanceLink(item.instanceId))),
  h("form", { class: "decision-form", "aria-label": `Decision on ${state.title}`, on: { submit: (e) => e.preventDefault() } },
    field("Comment (optional)", comment),
    h("div", { class: "form-buttons" },
      h("button", { type: "button", class: "primary", text: "Approve…", on: { click: () => decide("approved") } }),
      h("button", { type: "button", class: "danger", text: "Reject…", on: { click: () => decide("rejected") } }))),
  sent);
  return card;
}

export function renderApprovals(ctx, root) {
  const list = h("div", { class: "approval-list" });
  const empty = h("p", { class: "empty", hidden: true, text: "No approval is waiting for a decision." });
  const note = ctx.info && !ctx.info.orchestrators.includes(APPROVAL_ORCHESTRATOR)
    ? h("p", { class: "muted", text: `This app has no ${APPROVAL_ORCHESTRATOR}.` }) : null;
  const cards = new Map(); // "<instanceId>|<stage>" -> card, so typed text survives a refresh
  const actAs = h("input", { id: uid("act-as"), type: "text", autocomplete: "username", value: loadActAs(),
    placeholder: "bob@contoso.com", on: { input: (e) => { e.target.removeAttribute("aria-invalid"); saveActAs(e.target.value.trim()); } } });
  const actAsField = h("form", { class: "act-as", "aria-label": "Who you are", on: { submit: (e) => e.preventDefault() } },
    field("Act as", actAs, `Sent as the ${PRINCIPAL_NAME_HEADER} header, which App Service Authentication sets `
      + "for the signed-in user on Azure. Only someone who may decide an approval can approve or reject it."));

  async function load() {
    const [items] = await Promise.all([waitingApprovals(ctx.api), ctx.refreshInfo()]);
    const keep = new Set(items.map((i) => `${i.instanceId}|${i.customStatus.stage}`));
    // Existing cards are left in place (never re-inserted), so focus and typed text survive.
    for (const [key, card] of cards) {
      if (!keep.has(key)) {
        card.remove();
        cards.delete(key);
      }
    }
    for (const item of items) {
      const key = `${item.instanceId}|${item.customStatus.stage}`;
      if (!cards.has(key)) {
        const card = approvalCard(ctx, item, actAs, () => refresher.followUp());
        cards.set(key, card);
        list.append(card);
      }
    }
    empty.hidden = cards.size > 0;
  }

  const refresher = createRefresher(ctx, load);
  replace(root,
    h("div", { class: "view-head" }, h("h1", { text: "Approvals awaiting a decision" }), refresher.element),
    h("p", { class: "lead" }, "Running ", h("code", { text: APPROVAL_ORCHESTRATOR }),
      " instances at stage awaiting_approval or escalated. Decisions go to the app's own endpoint ",
      h("code", { text: "POST /api/approvals/{id}/decision" }), ", as the user named below."),
    actAsField, note, empty, list);
  refresher.refresh();
  return { dispose: refresher.dispose };
}
