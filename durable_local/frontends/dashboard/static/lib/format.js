// Times, durations and JSON for display. Times are shown in the viewer's time zone; the exact
// UTC instant is in the title attribute (hover) and the <time datetime> attribute.

import { h } from "./dom.js";

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A Date from an ISO string (7-digit .NET fractions included), or null. */
export function parseTime(value) {
  if (!value) return null;
  // Date.parse takes at most millisecond fractions reliably; cut longer ones.
  const text = String(value).replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** The instant as ISO 8601 UTC, for titles. */
export function utcText(date) {
  return date.toISOString().replace(".000Z", "Z");
}

/** A <time> element: local time as text, UTC on hover. `style`: "datetime" | "time". */
export function timeEl(value, style = "datetime") {
  const date = value instanceof Date ? value : parseTime(value);
  if (!date) return h("span", { class: "muted", text: "—" });
  const text = style === "time" ? timeOnly.format(date) : dateTime.format(date);
  return h("time", { datetime: date.toISOString(), title: `${utcText(date)} (UTC)`, text });
}

/** A short human duration: "350 ms", "42 s", "5 min 3 s", "2 h 10 min", "3 d 4 h". */
export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return m % 60 ? `${hrs} h ${m % 60} min` : `${hrs} h`;
  const d = Math.floor(hrs / 24);
  return hrs % 24 ? `${d} d ${hrs % 24} h` : `${d} d`;
}

/**
 * A JSON value for display. A string that holds JSON text of an object or array (inputs stored
 * double-encoded, as the Python client sends them) is decoded first.
 */
export function decodeJsonText(value) {
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    try { return JSON.parse(value); } catch { return value; }
  }
  return value;
}

export function prettyJson(value) {
  if (value === undefined) return "";
  return JSON.stringify(decodeJsonText(value), null, 2);
}

/** One line of JSON, cut to `max` characters. */
export function compactJson(value, max = 120) {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(decodeJsonText(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `datetime-local` input value (local time) -> ISO UTC string, or "" when empty/invalid. */
export function localInputToIso(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** ISO UTC string -> `datetime-local` input value in local time. */
export function isoToLocalInput(iso) {
  const date = parseTime(iso);
  if (!date) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
