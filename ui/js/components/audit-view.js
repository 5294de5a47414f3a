// The Audit log screen: every change, newest first, filtered by user (or group, role, attribute)
// and by action, with "Older entries" to read further back (keyset: `before` = the last seq).
// Each entry shows what changed (before → after, only the fields that differ), and entries that
// can be reverted have an Undo button; the core refuses (stale) when the user changed since.
import { auditLog, undo } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { debounce } from "../timing.js";
import { refreshWorkspace } from "../workspace.js";
import { ErrorSummary } from "./error-summary.js";
import { emptyRow, tableShell } from "./table.js";

const PAGE_SIZE = 50;
const FILTER_DELAY_MS = 300;

/** The audit actions (docs/ipc.md, AuditView), with how the filter names them. */
export const AUDIT_ACTIONS = Object.freeze([
  ["create", "Create"], ["update", "Update (edit)"], ["delete", "Delete"],
  ["disable", "Disable"], ["enable", "Enable"],
  ["second_factor", "Second factor"], ["remove_identity", "Remove identity"],
  ["expire_password", "Password expiry"], ["reset_mfa", "Reset MFA"], ["device_limit", "Device limit"],
  ["assign_groups", "Assign groups"], ["unassign_groups", "Unassign groups"], ["roles", "Roles"],
  ["revoke_sessions", "Revoke sessions"], ["undo", "Undo"],
  ["rename", "Rename"], ["define", "Define attribute"], ["drop", "Drop attribute"], ["seed", "Demo data"],
  ["bulk_apply", "Bulk import"], ["bulk_undo", "Bulk undo"],
]);

/** Fields every change touches; listing them would hide the change itself. */
const BOOKKEEPING = new Set(["updatedAt", "version", "id"]);

/** Labels for the fields of a user as the audit entries record them (UserView). */
const FIELD_LABELS = {
  username: "Username", email: "Email", firstName: "First name", lastName: "Last name", phone: "Phone",
  status: "Status", onboarded: "Onboarded", passwordExpiresAt: "Password expires", secondFactor: "Second factor",
  mfaEnrolled: "MFA enrolled", deviceLimit: "Device limit", groups: "Groups", roles: "Roles", createdAt: "Created",
};

/**
 * The fields that differ between two snapshots (null on one side for a create or a delete),
 * flattening `attributes` into one row each. Bookkeeping fields are left out.
 * @returns {{field: string, label: string, before: any, after: any}[]}
 */
export function changedFields(before, after) {
  const flat = (snapshot) => {
    const out = new Map();
    for (const [key, value] of Object.entries(snapshot ?? {})) {
      if (BOOKKEEPING.has(key)) continue;
      if (key === "attributes" && value && typeof value === "object") {
        for (const [name, v] of Object.entries(value)) out.set(`attributes.${name}`, v);
      } else out.set(key, value);
    }
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((k) => JSON.stringify(a.get(k) ?? null) !== JSON.stringify(b.get(k) ?? null))
    .map((k) => ({
      field: k,
      label: k.startsWith("attributes.") ? k.slice("attributes.".length) : (FIELD_LABELS[k] ?? k),
      before: a.get(k) ?? null,
      after: b.get(k) ?? null,
    }));
}

/** A recorded value as text: lists joined, empty shown as a dash. */
function showValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startAuditView(root) {
  const view = new AuditView(root);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class AuditView {
  #requestId = 0;

  constructor(root) {
    this.root = root;
    this.next = null;
    this.shown = 0;
    this.filterLater = debounce(() => this.load(), FILTER_DELAY_MS);
    this.summary = new ErrorSummary(el("div", { id: "audit-errors" }));

    this.user = el("input", {
      id: "audit-user", class: "input", type: "search", autocomplete: "off", spellcheck: "false", autocapitalize: "none",
      "aria-describedby": "audit-user-hint", placeholder: "Username",
      on: {
        input: () => this.filterLater(),
        keydown: (e) => { if (e.key === "Enter") { e.preventDefault(); this.filterLater.cancel(); this.load(); } },
      },
    });
    this.action = el("select", { id: "audit-action", class: "select", on: { change: () => this.load() } },
      el("option", { value: "", text: "All actions" }),
      AUDIT_ACTIONS.map(([value, label]) => el("option", { value, text: label })));
    this.clearButton = el("button", {
      id: "audit-clear", type: "button", class: "button button--secondary", text: "Clear filters",
      on: { click: () => { this.user.value = ""; this.action.value = ""; this.load(); this.user.focus(); } },
    });
    this.status = el("p", { id: "audit-status", class: "pager__status", role: "status", "aria-live": "polite" });
    this.older = el("button", {
      id: "audit-older", type: "button", class: "button button--secondary", text: "Older entries",
      on: { click: () => this.#older() },
    });
    this.columns = [
      { label: "Time", key: "time" },
      { label: "Actor", key: "actor" },
      { label: "Action", key: "action" },
      { label: "Subject", key: "subject" },
      { label: "What changed", key: "summary" },
      { label: "Undo", key: "undo", hiddenLabel: true },
    ];
    this.list = tableShell({ id: "audit-table", caption: "Audit log, newest first", columns: this.columns });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Audit log" })),
      el("p", { class: "view-intro", text: "Every change to users, groups, roles and attributes, newest first. Changes to a user's status, groups, roles, second factor, password expiry or device limit can be undone here." }),
      el("div", { class: "toolbar toolbar--filters" },
        el("div", { class: "toolbar__item toolbar__item--grow" },
          el("label", { class: "toolbar__label", for: "audit-user", text: "User" }),
          this.user,
          el("p", { id: "audit-user-hint", class: "toolbar__hint", text: "The exact username, or a group, role or attribute name" })),
        el("div", { class: "toolbar__item" },
          el("label", { class: "toolbar__label", for: "audit-action", text: "Action" }),
          this.action),
        el("div", { class: "toolbar__item toolbar__item--end" }, this.clearButton),
        el("div", { class: "pager" }, this.status)),
      this.summary.root,
      this.list.wrap,
      el("div", { class: "list-footer" }, this.older));
  }

  destroy() {
    this.filterLater.cancel();
    this.#requestId += 1;
  }

  #query(before) {
    const query = { limit: PAGE_SIZE };
    const user = this.user.value.trim();
    if (user) query.user = user;
    if (this.action.value) query.action = this.action.value;
    if (before !== undefined && before !== null) query.before = before;
    return query;
  }

  /** The newest page for the current filters. */
  async load() {
    await this.#fetch(undefined, false);
  }

  async #older() {
    if (!this.next) return;
    const firstNew = this.list.tbody.rows.length;
    await this.#fetch(this.next, true);
    // Keyboard users continue from the first older entry.
    this.list.tbody.rows[firstNew]?.querySelector("summary, button")?.focus?.();
  }

  async #fetch(before, append) {
    const id = ++this.#requestId;
    this.list.table.setAttribute("aria-busy", "true");
    try {
      const page = await auditLog(this.#query(before));
      if (id !== this.#requestId) return;
      const rows = page.entries.map((e) => this.#row(e));
      if (append) this.list.tbody.append(...rows);
      else {
        this.shown = 0;
        this.list.tbody.replaceChildren(...rows);
      }
      this.shown += page.entries.length;
      this.next = page.next ?? null;
      if (!this.shown) this.list.tbody.append(emptyRow(this.columns.length, this.#filtered() ? "No entries match these filters." : "Nothing has been recorded yet."));
      this.status.textContent = this.shown
        ? `${formatCount(this.shown)} ${this.shown === 1 ? "entry" : "entries"}${this.next ? ", older ones below" : ""}`
        : "No entries";
      this.older.hidden = !this.next;
    } catch (error) {
      if (id !== this.#requestId) return;
      this.summary.showMessage(error.message);
    } finally {
      if (id === this.#requestId) this.list.table.setAttribute("aria-busy", "false");
    }
  }

  #filtered() {
    return Boolean(this.user.value.trim() || this.action.value);
  }

  #row(entry) {
    const actionLabel = AUDIT_ACTIONS.find(([v]) => v === entry.action)?.[1] ?? entry.action;
    return el("tr", { dataset: { seq: String(entry.seq), action: entry.action, subject: entry.subject } },
      el("td", { class: "cell-time" }, el("time", { datetime: entry.at, text: formatDateTime(entry.at) })),
      el("td", { class: "cell-actor", text: entry.actor }),
      el("td", { class: "cell-action" }, el("span", { class: "action-tag", dataset: { action: entry.action }, text: actionLabel })),
      // "*" is the subject of entries about many at once (demo data).
      el("td", { class: "cell-subject" }, entry.subject === "*"
        ? el("span", { class: "entity", text: `many ${entry.entity}s` })
        : [el("span", { class: "entity", text: entry.entity }), " ", el("span", { class: "subject", title: entry.subject, text: entry.subject })]),
      el("td", { class: "cell-summary" }, el("div", { class: "summary-text", text: entry.summary }), details(entry)),
      el("td", { class: "cell-undo" }, entry.undoable
        ? el("button", {
          type: "button", class: "button button--small button--secondary audit-undo", text: "Undo",
          "aria-label": `Undo: ${entry.summary}`, on: { click: (e) => this.#undo(entry, e.currentTarget) },
        })
        : null));
  }

  async #undo(entry, button) {
    this.summary.clear();
    button.setAttribute("aria-disabled", "true");
    try {
      const result = await undo(entry.seq);
      announce(result.message);
      refreshWorkspace().catch(() => {});
      await this.load();
      this.list.tbody.rows[0]?.querySelector(".audit-undo, summary")?.focus();
    } catch (error) {
      // stale: the user changed since; usage: this entry cannot be undone. The core says which.
      this.summary.showMessage(error.message);
      button.removeAttribute("aria-disabled");
    }
  }
}

/** "Show changes": the fields that differ, before → after. Nothing for entries without snapshots. */
function details(entry) {
  if (!entry.before && !entry.after) return null;
  const changes = changedFields(entry.before, entry.after);
  if (!changes.length) return el("p", { class: "changes__none", text: "No field changed" });
  const heading = entry.before && entry.after ? ["Before", "After"] : entry.after ? ["", "Recorded"] : ["Recorded", ""];
  const oneSided = !(entry.before && entry.after);
  return el("details", { class: "changes" },
    el("summary", { class: "changes__summary", text: oneSided ? `Show details (${changes.length} fields)` : `Show changes (${changes.length} ${changes.length === 1 ? "field" : "fields"})` }),
    el("table", { class: "changes__table" },
      el("caption", { class: "visually-hidden", text: `Changes recorded in entry ${entry.seq}` }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Field" }),
        oneSided ? el("th", { scope: "col", text: heading[0] || heading[1] })
          : [el("th", { scope: "col", text: heading[0] }), el("th", { scope: "col", text: heading[1] })])),
      el("tbody", {}, changes.map((c) => el("tr", { dataset: { field: c.field } },
        el("th", { scope: "row", text: c.label }),
        oneSided ? el("td", { text: showValue(entry.after ? c.after : c.before) })
          : [el("td", { class: "changes__before", text: showValue(c.before) }), el("td", { class: "changes__after", text: showValue(c.after) })])))));
}
