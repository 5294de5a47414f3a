// The one module that talks to the Rust shell. Every command in docs/ipc.md has one async
// function here; callers never see `invoke` or raw rejection values, only results and ApiError.

/** Error codes the shell can return (docs/ipc.md); `internal` also covers anything unexpected. */
export const ERROR_CODES = Object.freeze([
  "validation", "not_found", "conflict", "stale", "usage", "not_configured", "cancelled", "workspace", "remote", "internal",
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

// ---- Manage users: the row's Select menu (docs/ipc.md, "Manage users") --------------------------

/** @param {"disable"|"enable"|"remove_identity"|"reset_mfa"|"reset_password"} action
 *  @returns {Promise<{message, user, undo: number|null}>} */
export const userAction = (username, action) => call("user_action", { username, action });

export const setSecondFactor = (username, method) => call("set_second_factor", { username, method });

/** @param {string|null} at YYYY-MM-DD, or null to clear */
export const expirePassword = (username, at) => call("expire_password", { username, at });

/** @param {string|null} limit a whole number as text, or null for the workspace default */
export const setDeviceLimit = (username, limit) => call("set_device_limit", { username, limit });

/** @returns {Promise<{username, memberOf: object[], available: object[]}>} */
export const userGroups = (username) => call("user_groups", { username });

export const assignGroups = (username, groups) => call("assign_groups", { username, groups });

export const unassignGroups = (username, groups) => call("unassign_groups", { username, groups });

export const changeRoles = (username, add, remove) => call("change_roles", { username, add, remove });

/** @returns {Promise<{id, device, ip, userAgent, startedAt, lastSeenAt}[]>} */
export const userSessions = (username) => call("user_sessions", { username });

/** @param {string|null} id one session, or null for all */
export const revokeSessions = (username, id) => call("revoke_sessions", { username, id });

/**
 * @param {string[]} usernames
 * @param {{kind: "disable"|"enable"|"delete"|"assign_group"|"remove_from_group"|"send_activation_mail", group?: string}} action
 * @param {number|null} confirm the number of users, needed to delete more than ten
 * @returns {Promise<{message, changed: string[], unchanged: string[]}>}
 */
export const applyToUsers = (usernames, action, confirm = null) => call("apply_to_users", { usernames, action, confirm });

/** Reverts the audit entry `seq` (an action's `undo`). */
export const undo = (seq) => call("undo", { seq });

// ---- Groups, roles, attributes ------------------------------------------------------------------

/** @returns {Promise<{id, name, description, members, createdAt, updatedAt}[]>} */
export const listGroups = () => call("list_groups");

export const addGroup = (name, description = "") => call("add_group", { name, description });

export const renameGroup = (name, newName) => call("rename_group", { name, newName });

export const deleteGroup = (name) => call("delete_group", { name });

/** The same query and page shape as listUsers. */
export const groupMembers = (name, query = {}) => call("group_members", { name, query });

export const changeGroupMembers = (name, add, remove) => call("change_group_members", { name, add, remove });

/** @returns {Promise<{name, description, users}[]>} */
export const listRoles = () => call("list_roles");

export const addRole = (name, description = "") => call("add_role", { name, description });

export const deleteRole = (name) => call("delete_role", { name });

/** @param {"string"|"number"|"boolean"|"date"} kind */
export const defineAttribute = (name, kind, required = false) => call("define_attribute", { name, kind, required });

export const dropAttribute = (name) => call("drop_attribute", { name });

// ---- Onboarding and the audit log ---------------------------------------------------------------

/**
 * @param {number|null} remindAfterDays  invited users last mailed at least this many days ago are
 *        due a reminder (null: the workspace default, 7)
 * @returns {Promise<{total, onboarded, notOnboarded, invited, disabled, waiting: {bucket, count}[],
 *                    remindAfterDays, reminderDue}>}
 */
export const onboardingStats = (remindAfterDays = null) => call("onboarding_stats", { remindAfterDays });

/** @param {{user?, action?, limit?, before?}} query
 *  @returns {Promise<{entries: object[], next: number|null}>} */
export const auditLog = (query = {}) => call("audit_log", { query });

// ---- Settings: mail (docs/ipc.md, "Settings") -----------------------------------------------------

/** @returns {Promise<{configured, host, port, security, user, from, passwordInKeyring: boolean, keyring: string}>} */
export const mailShow = () => call("mail_show");

/**
 * Saves the mail server. A password goes to the OS keyring; null keeps the stored one.
 * @param {{host, port: number|null, security: "none"|"starttls"|"tls", user, from, password: string|null}} input
 * @returns {Promise<object>} the MailView, as mailShow
 */
export const mailSetup = (input) => call("mail_setup", { input });

/**
 * Sends a test mail; fails with `remote` (fields[0].code says why) when the server cannot be
 * reached or refuses. @returns {Promise<{to, server}>}
 */
export const mailTest = (to) => call("mail_test", { to });

// ---- Mail: how users get a password, templates, the outbox, sending (docs/ipc.md, "Mail") --------

/** @returns {Promise<{resetMethod: "portal_link"|"temporary_password", portalUrl, organisation, expiresDays, alertTo, autoSendOnCreate}>} */
export const mailOptions = () => call("mail_options");

/**
 * Changes the options given: null keeps one, "" clears a text (no portal URL: temporary passwords).
 * @param {{portalUrl?: string|null, organisation?: string|null, expiresDays?: number|null, alertTo?: string|null, autoSendOnCreate?: boolean|null}} input
 * @returns {Promise<object>} the options, as mailOptions
 */
export const mailOptionsSet = (input) => call("mail_options_set", { input });

/** @returns {Promise<{kind, subject, text, html, edited: boolean, placeholders: string[]}[]>} every kind, in a fixed order */
export const mailTemplates = () => call("mail_templates");

/** @param {{kind, subject, text, html}} input  @returns {Promise<object>} the template, as in mailTemplates */
export const mailTemplateSave = (input) => call("mail_template_save", { input });

/** Back to Roster's default. @returns {Promise<object>} the default template */
export const mailTemplateReset = (kind) => call("mail_template_reset", { kind });

/**
 * The template filled in for `username` (null: a sample user), as it would be sent; nothing is
 * stored or sent. Fails with `validation` (fields subject, text, html) like saving would.
 * @returns {Promise<{to, subject, text, html}>}
 */
export const mailPreview = (input, username = null) => call("mail_preview", { input, username });

/**
 * A page of the outbox, newest first, with the count of mails in each state.
 * @param {{state?: "queued"|"sending"|"sent"|"failed", before?: number, limit?: number}} query
 * @returns {Promise<{queued, sending, sent, failed, mails: object[], next: number|null}>}
 */
export const mailOutbox = (query = {}) => call("mail_outbox", { query });

/**
 * Queues mails (`kind` activation, password_reset or welcome; `usernames`, or for activation
 * `allNotOnboarded` / `reminderAfterDays`) and sends everything queued, with progress; mailCancel
 * stops it (the rest stay queued).
 * @returns {Promise<{queued: {kind, queued, skipped: {username, code, reason}[]}, sent: object}>} sent as mailRetry's
 */
export const mailSendTo = async (input, onProgress) => call("mail_send_to", { input, onProgress: progressChannel(onProgress) });

/**
 * Failed mails (these ids, or all when null) go back to the queue, then the queue is sent.
 * @returns {Promise<{sent, failed, queued, cancelled, interrupted, stoppedBy: {field, code, message}|null, failures: object[]}>}
 */
export const mailRetry = async (ids, onProgress) => call("mail_retry", { ids, onProgress: progressChannel(onProgress) });

/** Asks the send under way to stop before its next mail. */
export const mailCancel = () => call("mail_cancel", { run: latestRun });

// ---- Bulk CSV: plan a file, apply it, results, history, undo (docs/ipc.md, "Bulk CSV") ----------

/**
 * A channel for a long command's progress: each message `{phase, done, total}` goes to `onProgress`.
 * Channels are how the shell streams to the window while a command runs.
 */
function progressChannel(onProgress) {
  const Channel = window.__TAURI__?.core?.Channel;
  if (typeof Channel !== "function") throw new ApiError("internal", "Roster's desktop shell is not available in this window.");
  const channel = new Channel();
  channel.onmessage = (message) => onProgress?.(message);
  latestRun = channel.id;
  return channel;
}

/**
 * The run the Cancel buttons stop: the progress channel of the long command started last (one
 * runs at a time). Named before the command starts, so a Cancel that reaches the shell first
 * still stops it, and a late one cannot stop the next run.
 * @type {number|null}
 */
let latestRun = null;

/** The native open dialog, filtered for CSV. @returns {Promise<string|null>} the path, or null if cancelled */
export const chooseOpenFile = () => call("choose_open_file");

/** The native save dialog. @returns {Promise<string|null>} the path, or null if cancelled */
export const chooseSaveFile = (defaultName) => call("choose_save_file", { defaultName });

/** Writes the sample CSV. @returns {Promise<{path, rows}>} */
export const bulkSaveTemplate = (path) => call("bulk_save_template", { path });

/**
 * Reads and plans a CSV file; it becomes the open plan (replacing any other).
 * @param {string} path
 * @param {(progress: {phase: string, done: number, total: number}) => void} onProgress
 * @returns {Promise<{fileName, rows, summary: {create, update, delete, unchanged, error}, warnings, fileProblems,
 *                    deletesNeedConfirmation: boolean, userCount}>}
 */
export const bulkOpen = async (path, onProgress) => call("bulk_open", { path, onProgress: progressChannel(onProgress) });

/**
 * A page of the open plan's rows.
 * @param {"create"|"update"|"delete"|"unchanged"|"error"|null} outcome  null: every row
 * @returns {Promise<{total, offset, rows: {row, action, outcome, username, changes, problems}[]}>}
 */
export const bulkRows = (outcome, offset, limit) => call("bulk_rows", { outcome, offset, limit });

/** The first error row after spreadsheet row `afterRow` (wrapping). @returns {Promise<{row, index, errorIndex}|null>} */
export const bulkNextError = (afterRow) => call("bulk_next_error", { afterRow });

/**
 * Applies the open plan in one transaction.
 * @param {boolean} skipInvalid  apply the valid rows of a plan with errors
 * @param {number|null} confirmedDeletes  the number of deletions, typed by the admin when the plan asks for it
 * @returns {Promise<{batchId, created, updated, deleted, unchanged, failed, alert: {status, message}}>}
 */
export const bulkApply = async (skipInvalid, confirmedDeletes, onProgress) =>
  call("bulk_apply", { skipInvalid, confirmedDeletes, onProgress: progressChannel(onProgress) });

/** Asks the running plan or apply to stop; it then fails with code `cancelled`, having changed nothing. */
export const bulkCancel = () => call("bulk_cancel", { run: latestRun });

/** Writes the open plan's results file (or only its failed rows). @returns {Promise<{path, rows}>} */
export const bulkSaveResults = (path, failedOnly) => call("bulk_save_results", { path, failedOnly });

/** @returns {Promise<{id, appliedAt, actor, fileName, rows, created, updated, deleted, unchanged, failed, undoneAt, undoneBy}[]>} newest first */
export const bulkHistory = () => call("bulk_history");

/** Undoes a batch; without `force` it fails with `conflict` (fields name the users changed since). */
export const bulkUndo = (batchId, force) => call("bulk_undo", { batchId, force });

// ---- Remotes and sync (docs/ipc.md, "Remotes and sync") ---------------------------------------

/**
 * Adds a remote directory; the token goes to the OS keyring only. The first remote is linked.
 * @param {{name, url, token: string|null, insecureSkipTlsVerify: boolean}} input
 * @returns {Promise<object>} a RemoteView
 */
export const remoteAdd = (input) => call("remote_add", { input });

/** @returns {Promise<{name, url, insecureSkipTlsVerify, linked, tokenInKeyring, capabilities, discoveredAt, lastPull, lastPush, createdAt}[]>} */
export const remoteList = () => call("remote_list");

export const remoteShow = (name) => call("remote_show", { name });

/** From now on the workspace's changes queue for this remote. */
export const remoteLink = (name) => call("remote_link", { name });

/** Removes a remote and its token; the linked one's queue goes with it. @returns the remote as it was */
export const remoteRemove = (name) => call("remote_remove", { name });

/** Test connection: reads the server's capabilities and keeps them. @returns {Promise<object>} the RemoteView */
export const remoteTest = (name) => call("remote_test", { name });

/** Cheap: the linked remote, pending changes, open conflicts, last pull and push. */
export const syncStatus = () => call("sync_status");

/** Pulls the linked remote's users and groups, with progress; syncCancel stops it before it commits. */
export const syncPull = async (onProgress) => call("sync_pull", { onProgress: progressChannel(onProgress) });

/** What a push would send now (contacts nobody). */
export const syncPlan = () => call("sync_plan");

/** Sends the pending changes, with progress; syncCancel stops it before the next request. */
export const syncPush = async (onProgress) => call("sync_push", { onProgress: progressChannel(onProgress) });

/** Asks the pull or push under way to stop. */
export const syncCancel = () => call("sync_cancel", { run: latestRun });

/** @returns {Promise<{id, entity, localId, remoteId, name, foundAt, fields: {field, mine, theirs, base}[], resolution}[]>} oldest first */
export const syncConflicts = () => call("sync_conflicts");

/**
 * Resolves a conflict: `keep` ("mine" or "theirs", or null) for every field not in `fields`
 * ({ field: "mine" | "theirs" }, or null).
 */
export const syncResolve = (id, keep, fields = null) => call("sync_resolve", { id, keep: keep ?? null, fields });

// ---- Push history (docs/ipc.md, "Push history") -----------------------------------------------

/** Pushes newest first. @returns {Promise<{id, remote, startedAt, finishedAt, interrupted, done, failed, conflicts, notSent, operations}[]>} */
export const syncPushes = (limit, before) => call("sync_pushes", { limit, before });

/** A page of a push's results (`push` null: the newest), `only` one result or null. @returns {Promise<{push, only, offset, total, results}>} */
export const syncPushResults = (push, only, offset, limit) => call("sync_push_results", { push, only, offset, limit });

/** Writes a push's results (`only` one result or null) as CSV to `path`. @returns {Promise<{push, path, rows}>} */
export const syncPushResultsSave = (push, only, path) => call("sync_push_results_save", { push, only, path });
