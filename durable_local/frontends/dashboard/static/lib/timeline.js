// The timeline model: the "friendly" history of GET instances/{id}?showHistory=true turned into
// rows to draw. Pure (no DOM), so it can be checked on its own.
//
// The friendly history is what the extension returns (and the local host mirrors): EventType
// names; each TaskCompleted/TaskFailed (and sub-orchestration completion) already carries its
// FunctionName and ScheduledTime, its scheduling event removed; a TaskScheduled still present
// is an activity that has not finished. TimerFired carries no TimerId there, so a timer is
// paired with its TimerCreated by FireAt (first open timer with that FireAt, else the oldest).
// A timer that never fired in an instance that has finished was cancelled.

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

/**
 * A time string as milliseconds with the sub-millisecond digits kept as a fraction, so events
 * microseconds apart (a manual clock) still sort in order. NaN when unparseable.
 */
export function preciseTime(value) {
  if (!value) return NaN;
  const text = String(value);
  const match = /\.(\d+)/.exec(text);
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  if (Number.isNaN(ms) || !match || match[1].length <= 3) return ms;
  return ms + Number(`0.${match[1].slice(3)}`);
}

function failureReason(event) {
  const failure = event.FailureDetails;
  if (failure && typeof failure === "object") {
    const text = [failure.ErrorType && `${failure.ErrorType}:`, failure.ErrorMessage].filter(Boolean).join(" ");
    if (text) return text;
  }
  return event.Reason || "";
}

/** The stack trace or details of a failure, when there is more than its reason. */
function failureDetails(event) {
  const failure = event.FailureDetails;
  const details = (failure && typeof failure === "object" && failure.StackTrace) || event.Details;
  return typeof details === "string" && details && details !== event.Reason ? details : undefined;
}

/** A multi-line reason (message + traceback) split into its first line and the rest. */
function splitReason(row) {
  if (!row.reason || !row.reason.includes("\n")) return row;
  const [first, ...rest] = row.reason.split("\n");
  row.details = [rest.join("\n").trim(), row.details].filter(Boolean).join("\n\n") || undefined;
  row.reason = first.trim();
  return row;
}

function resultText(value) {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Rows of the timeline.
 *
 * @param {object[]} history friendly historyEvents
 * @param {object} status the status payload (runtimeStatus, lastUpdatedTime, ...)
 * @param {number} nowMs the host's current time (virtual under a skipped clock), epoch ms
 * @returns {{rows: object[], start: number, end: number, now: number, finished: boolean}}
 *   row: {kind, label, name, from, to, state, reason?, details?, result?, fireAt?, instanceId?, index}
 *   kind: activity | timer | suborchestration | event | lifecycle
 *   state: completed | failed | running | fired | pending | cancelled | mark
 *   from/to: epoch ms (to null for a mark); marks have to === from
 */
export function buildTimeline(history, status, nowMs) {
  const rows = [];
  const openTimers = [];
  let finished = TERMINAL.has(status?.runtimeStatus);
  const add = (row) => { splitReason(row); row.index = rows.length; rows.push(row); return row; };
  const mark = (kind, label, at, extra = {}) => add({ kind, label, name: "", from: at, to: at, state: "mark", ...extra });

  for (const event of history ?? []) {
    const at = preciseTime(event.Timestamp);
    switch (event.EventType) {
      case "ExecutionStarted":
        mark("lifecycle", "Started", at, { name: event.FunctionName ?? "" });
        break;
      case "TaskScheduled":
        add({ kind: "activity", label: "Activity", name: event.Name ?? "", from: at, to: null, state: "running" });
        break;
      case "TaskCompleted":
      case "TaskFailed": {
        const failed = event.EventType === "TaskFailed";
        add({
          kind: "activity", label: "Activity", name: event.FunctionName ?? event.Name ?? "(unknown activity)",
          from: Number.isNaN(preciseTime(event.ScheduledTime)) ? at : preciseTime(event.ScheduledTime), to: at,
          state: failed ? "failed" : "completed",
          reason: failed ? failureReason(event) || "failed (no reason recorded)" : undefined,
          details: failed ? failureDetails(event) : undefined,
          result: failed ? undefined : resultText(event.Result),
        });
        break;
      }
      case "SubOrchestrationInstanceCreated":
        add({
          kind: "suborchestration", label: "Sub-orchestration", name: event.Name ?? "", from: at, to: null,
          state: "running", instanceId: event.InstanceId,
        });
        break;
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        const failed = event.EventType === "SubOrchestrationInstanceFailed";
        add({
          kind: "suborchestration", label: "Sub-orchestration", name: event.FunctionName ?? "",
          from: Number.isNaN(preciseTime(event.ScheduledTime)) ? at : preciseTime(event.ScheduledTime), to: at,
          state: failed ? "failed" : "completed", instanceId: event.InstanceId,
          reason: failed ? failureReason(event) || "failed (no reason recorded)" : undefined,
          details: failed ? failureDetails(event) : undefined,
          result: failed ? undefined : resultText(event.Result),
        });
        break;
      }
      case "TimerCreated": {
        const row = add({
          kind: "timer", label: "Timer", name: "", from: at, to: null, state: "pending",
          fireAt: preciseTime(event.FireAt),
        });
        openTimers.push(row);
        break;
      }
      case "TimerFired": {
        const fireAt = preciseTime(event.FireAt);
        let slot = openTimers.findIndex((t) => t.fireAt === fireAt);
        if (slot < 0) slot = openTimers.length ? 0 : -1;
        if (slot >= 0) {
          const [row] = openTimers.splice(slot, 1);
          row.to = at;
          row.state = "fired";
        } else {
          mark("timer", "Timer fired", at, { fireAt });
        }
        break;
      }
      case "EventRaised":
        mark("event", "Event", at, { name: event.Name ?? "", result: resultText(event.Input) });
        break;
      case "EventSent":
        mark("event", "Event sent", at, { name: `${event.Name ?? ""} → ${event.InstanceId ?? "?"}` });
        break;
      case "ExecutionCompleted": {
        const outcome = event.OrchestrationStatus ?? "Completed";
        const failed = outcome === "Failed";
        mark("lifecycle", outcome, at, {
          state: failed ? "failed" : "mark",
          reason: failed ? failureReason(event) || resultText(event.Result) || "failed (no reason recorded)" : undefined,
          details: failed ? failureDetails(event) : undefined,
        });
        finished = finished || outcome !== "ContinuedAsNew";
        break;
      }
      case "ExecutionTerminated":
        mark("lifecycle", "Terminated", at, { state: "failed", reason: resultText(event.Input) ?? undefined });
        finished = true;
        break;
      case "ExecutionSuspended":
        mark("lifecycle", "Suspended", at, { name: event.Reason ?? "" });
        break;
      case "ExecutionResumed":
        mark("lifecycle", "Resumed", at, { name: event.Reason ?? "" });
        break;
      case "ContinueAsNew":
        mark("lifecycle", "Continued as new", at);
        break;
      default:
        break;
    }
  }

  const times = rows.flatMap((r) => [r.from, r.to]).filter((t) => Number.isFinite(t));
  const start = times.length ? Math.min(...times) : nowMs;
  const lastEvent = times.length ? Math.max(...times) : start;
  let end = finished ? lastEvent : Math.max(lastEvent, nowMs);

  for (const row of rows) {
    if (row.kind === "timer" && row.state === "pending") {
      if (finished) {
        row.state = "cancelled";
        row.to = lastEvent;
      } else if (Number.isFinite(row.fireAt)) {
        row.to = Math.max(row.fireAt, row.from); // the bar ends where the timer is due
        end = Math.max(end, row.to); // so the axis shows how far away the deadline is
      }
    }
  }
  for (const row of rows) {
    if (row.to === null) row.to = finished ? lastEvent : Math.max(nowMs, row.from);
  }
  rows.sort((a, b) => a.from - b.from || a.index - b.index);
  return { rows, start, end: Math.max(end, start), now: nowMs, finished };
}
