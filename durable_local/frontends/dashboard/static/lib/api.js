// The Durable Functions HTTP API (/runtime/webhooks/durabletask/...), the app's own HTTP
// functions, and the local host's /_dashboard/api/info and entity operations. Nothing else is
// called.
//
// Every failure becomes an ApiError whose message is what the API said: ExceptionMessage (the
// extension's HttpError shape), the app's {"error", "message", "errors": [...]}, or the text.

export const WEBHOOK = "/runtime/webhooks/durabletask";
export const CONTINUATION_HEADER = "x-ms-continuation-token";

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** What an error response says, in the API's own words. */
export function errorMessage(status, statusText, body) {
  if (body && typeof body === "object") {
    const main = body.ExceptionMessage || body.Message || body.message || body.error;
    const fields = Array.isArray(body.errors)
      ? body.errors.map((e) => (e && e.field ? `${e.field}: ${e.message}` : String(e?.message ?? e)))
      : [];
    const text = [main, ...fields].filter(Boolean).join("; ");
    if (text) return text;
  }
  if (typeof body === "string" && body.trim()) return body.trim();
  return `${status} ${statusText || "error"}`.trim();
}

const id = (value) => encodeURIComponent(value);

/** The HTTP API's key for the empty entity key (ext HttpApiHandler.EmptyEntityKeySymbol). */
export const EMPTY_ENTITY_KEY = "$";
/** An entity's path segments: name/key, the empty key as "$". */
const entityPath = (name, key) => `${id(name)}/${key === "" ? EMPTY_ENTITY_KEY : id(key)}`;

/** Entities are orchestration instances "@name@key" to the instance API (ext EntityId). */
export function entityOfInstance(instanceId) {
  const match = /^@([^@]+)@(.*)$/s.exec(instanceId ?? "");
  return match ? { name: match[1], key: match[2] } : null;
}

export class DurableApi {
  /** @param {{baseUrl: string, key: string}} settings */
  constructor(settings) {
    this.baseUrl = settings.baseUrl || "";
    this.key = settings.key || "";
  }

  url(path, query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  /** One HTTP call; returns {status, headers, body} for 2xx, throws ApiError otherwise. */
  async request(method, path, { query, json, headers = {} } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers } };
    if (this.key) init.headers["x-functions-key"] = this.key;
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = typeof json === "string" ? json : JSON.stringify(json);
    }
    const target = this.url(path, query);
    let response;
    try {
      response = await fetch(target, init);
    } catch (err) {
      throw new ApiError(0, `Cannot reach ${this.baseUrl || location.origin}: ${err.message}. `
        + "Check the base URL in Settings (a func start host on another origin needs CORS, e.g. func start --cors '*').");
    }
    const text = await response.text();
    let body = text;
    if (text && (response.headers.get("Content-Type") ?? "").includes("json")) {
      try { body = JSON.parse(text); } catch { body = text; }
    }
    if (!response.ok) {
      throw new ApiError(response.status, errorMessage(response.status, response.statusText, body), body);
    }
    return { status: response.status, headers: response.headers, body };
  }

  // -- the local host's extra endpoint ---------------------------------------------------------

  /** GET /_dashboard/api/info; null when the host does not offer it (func start, older hosts). */
  async info() {
    try {
      const { body } = await this.request("GET", "/_dashboard/api/info");
      return body && typeof body === "object" && Array.isArray(body.orchestrators) ? body : null;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      return null;
    }
  }

  /**
   * GET /_dashboard/api/entities/{name}/{key}/operations: the entity's recent operations,
   * newest first; null when the host does not offer them (404/405/501: func start, a static
   * server, older hosts). Other failures (401, 400, 5xx, unreachable) are thrown.
   */
  async entityOperations(name, key, limit = 20) {
    try {
      const { body } = await this.request("GET", `/_dashboard/api/entities/${entityPath(name, key)}/operations`, { query: { limit } });
      return body && typeof body === "object" && Array.isArray(body.operations) ? body.operations : null;
    } catch (err) {
      if (err instanceof ApiError && [404, 405, 501].includes(err.status)) return null;
      throw err;
    }
  }

  // -- Durable HTTP API ----------------------------------------------------------------------

  /**
   * GET instances with filters; `token` is the continuation token of the page to fetch.
   * Returns {items, token} where token is the next page's (null at the end).
   */
  async listInstances({ statuses = [], createdFrom, createdTo, prefix, top, showInput = false } = {}, token) {
    const headers = token ? { [CONTINUATION_HEADER]: token } : {};
    const { body, headers: replyHeaders } = await this.request("GET", `${WEBHOOK}/instances`, {
      headers,
      query: {
        runtimeStatus: statuses.join(","),
        createdTimeFrom: createdFrom,
        createdTimeTo: createdTo,
        instanceIdPrefix: prefix,
        top,
        showInput: String(showInput),
      },
    });
    return { items: Array.isArray(body) ? body : [], token: replyHeaders.get(CONTINUATION_HEADER) || null };
  }

  /** Every page of a query (at most `limit` instances); {items, truncated}. */
  async listAll(filters, limit = 5000) {
    const items = [];
    let token = null;
    do {
      const page = await this.listInstances({ ...filters, top: 500 }, token);
      items.push(...page.items);
      token = page.token;
    } while (token && items.length < limit);
    return { items, truncated: Boolean(token) };
  }

  /** GET instances/{id}, with history when asked; null for an unknown id (404, empty body). */
  async getInstance(instanceId, { history = false } = {}) {
    try {
      const query = history ? { showHistory: "true", showHistoryOutput: "true", showInput: "true" } : {};
      const { body } = await this.request("GET", `${WEBHOOK}/instances/${id(instanceId)}`, { query });
      return body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** POST orchestrators/{name}/{id?}; `inputText` is JSON text or "" for no input. */
  async start(name, instanceId, inputText) {
    const path = `${WEBHOOK}/orchestrators/${id(name)}${instanceId ? `/${id(instanceId)}` : ""}`;
    const { body, status } = await this.request("POST", path, { json: inputText ? inputText : undefined });
    return { status, payload: body };
  }

  async raiseEvent(instanceId, eventName, jsonText) {
    const path = `${WEBHOOK}/instances/${id(instanceId)}/raiseEvent/${id(eventName)}`;
    return (await this.request("POST", path, { json: jsonText })).status;
  }

  async lifecycle(instanceId, operation, reason) {
    const path = `${WEBHOOK}/instances/${id(instanceId)}/${operation}`;
    return (await this.request("POST", path, { query: { reason } })).status;
  }

  async restart(instanceId, newInstanceId = true) {
    const path = `${WEBHOOK}/instances/${id(instanceId)}/restart`;
    const { body, status } = await this.request("POST", path, {
      query: { restartWithNewInstanceId: String(newInstanceId) },
    });
    return { status, payload: body };
  }

  async purge(instanceId) {
    return (await this.request("DELETE", `${WEBHOOK}/instances/${id(instanceId)}`)).body;
  }

  async purgeMany({ createdFrom, createdTo, statuses = [] }) {
    const query = { createdTimeFrom: createdFrom, createdTimeTo: createdTo, runtimeStatus: statuses.join(",") };
    return (await this.request("DELETE", `${WEBHOOK}/instances`, { query })).body;
  }

  /**
   * GET entities[/{name}] with fetchState; `token` is the continuation token of the page to fetch.
   * Returns {items, token} where token is the next page's (null at the end).
   */
  async listEntities({ name = "", fetchState = false, top } = {}, token) {
    const headers = token ? { [CONTINUATION_HEADER]: token } : {};
    const path = `${WEBHOOK}/entities${name ? `/${id(name)}` : ""}`;
    const { body, headers: replyHeaders } = await this.request("GET", path, {
      headers, query: { fetchState: String(fetchState), top },
    });
    return { items: Array.isArray(body) ? body : [], token: replyHeaders.get(CONTINUATION_HEADER) || null };
  }

  /** Every page of an entity query (at most `limit` entities); {items, truncated}. */
  async listAllEntities(filters, limit = 5000) {
    const items = [];
    let token = null;
    do {
      const page = await this.listEntities({ ...filters, top: 500 }, token);
      items.push(...page.items);
      token = page.token;
    } while (token && items.length < limit);
    return { items, truncated: Boolean(token) };
  }

  /** GET entities/{name}/{key}: {state} (the state as JSON; null too), or null on 404 (no state). */
  async getEntity(name, key) {
    try {
      const { body } = await this.request("GET", `${WEBHOOK}/entities/${entityPath(name, key)}`);
      return { state: body };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /**
   * POST entities/{name}/{key}?op=X: signal an operation. `bodyText` is sent as the
   * application/json body, or nothing when null. Returns the HTTP status (202).
   */
  async signalEntity(name, key, operation, bodyText) {
    const path = `${WEBHOOK}/entities/${entityPath(name, key)}`;
    return (await this.request("POST", path, { query: { op: operation }, json: bodyText ?? undefined })).status;
  }

  // -- the app's own HTTP functions -----------------------------------------------------------

  /** POST to one of the app's functions; `headers` adds request headers (e.g. the caller's identity). */
  async appPost(path, json, headers = {}) {
    return this.request("POST", path, { json, headers });
  }
}
