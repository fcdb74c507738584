// The page's settings, kept in this browser's localStorage.
//
// baseUrl: origin (and optional path) of the Functions host; "" means the page's own origin.
// key: a function key (system or master key on Azure), sent as the x-functions-key header.

const STORAGE_KEY = "durable-dashboard.settings";

export const DEFAULTS = Object.freeze({
  baseUrl: "",
  key: "",
  autoRefresh: true,
  refreshSeconds: 5,
  pageSize: 25,
});

export const REFRESH_CHOICES = [2, 5, 10, 30, 60];
export const PAGE_SIZES = [10, 25, 50, 100];

export function loadSettings() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
    return { ...DEFAULTS, ...(stored && typeof stored === "object" ? stored : {}) };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

/** The base URL without a trailing slash; "" stays "" (same origin). */
export function normalizeBaseUrl(value) {
  return String(value ?? "").trim().replace(/\/+$/, "");
}
