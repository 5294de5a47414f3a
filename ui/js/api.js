// The one module that talks to the Rust shell. Every command in docs/ipc.md has one async
// function here; callers never see `invoke` or raw rejection values, only results and ApiError.

/** Error codes the shell can return (docs/ipc.md); `internal` also covers anything unexpected. */
export const ERROR_CODES = Object.freeze([
  "validation", "not_found", "conflict", "stale", "usage", "workspace", "internal",
]);

/**
 * A failed command. `code` is one of ERROR_CODES (switch on it, never on `message`);
 * `fields` lists `{ field, code, message }` for `validation` and `conflict`.
 */
export class ApiError extends Error {
  constructor(code, message, fields = []) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.fields = fields;
  }
}

/** Turns whatever `invoke` rejected with into an ApiError. */
function toApiError(raw) {
  if (raw instanceof ApiError) return raw;
  if (raw && typeof raw === "object" && typeof raw.code === "string") {
    const code = ERROR_CODES.includes(raw.code) ? raw.code : "internal";
    const fields = Array.isArray(raw.fields) ? raw.fields : [];
    return new ApiError(code, String(raw.message ?? raw.code), fields);
  }
  // A plain string or an Error: the shell itself failed (missing command, IPC not available).
  const message = raw instanceof Error ? raw.message : String(raw);
  return new ApiError("internal", message);
}

/** Calls one shell command; rejects only with ApiError. */
async function call(command, args) {
  const invoke = window.__TAURI__?.core?.invoke;
  if (typeof invoke !== "function") {
    throw new ApiError("internal", "Roster's desktop shell is not available in this window.");
  }
  try {
    return await invoke(command, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

/** @returns {Promise<{path, schemaVersion, userCount, settings}>} */
export const workspaceInfo = () => call("workspace_info");

/**
 * @param {{search?, status?, onboarded?, sort?, direction?, limit?, after?}} query
 * @returns {Promise<{users: object[], next: string|null}>}
 */
export const listUsers = (query = {}) => call("list_users", { query });

export const getUser = (username) => call("get_user", { username });

/** @param {{username, email, firstName?, lastName?, phone?, password?, attributes?}} input */
export const addUser = (input) => call("add_user", { input });

/** @param {{expectedVersion, email?, firstName?, lastName?, phone?, attributes?}} input */
export const editUser = (username, input) => call("edit_user", { username, input });

export const deleteUser = (username) => call("delete_user", { username });

/** @returns {Promise<{name, type, required}[]>} */
export const listAttributes = () => call("list_attributes");
