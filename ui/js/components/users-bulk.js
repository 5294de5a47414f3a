// Multi-select on the Users list: the set of ticked usernames and the bar that acts on them
// (#bulk-bar: "N selected", a "Select Action" select, a group select for the group actions,
// Apply). The selection survives paging and searching, so the bar says how many of the ticked
// users the page does not show. Deleting asks first; more than ten users need the number typed.
// Mail actions go through the durable outbox (mail_send_to), as on the On-Boarding Status tab: a
// progress panel with Cancel while the mails go, then what happened (sent, failed, still queued,
// skipped and why, the way to the Outbox) under the bar.
import { applyToUsers, listGroups, mailSendTo } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount } from "../format.js";
import { confirmDeletion } from "./delete-confirm.js";
import { SendProgress, sendLine, sendResult, showResult } from "./mail-send.js";

/** Above this many users a delete needs the number typed (the core's rule, docs/ipc.md). */
const TYPED_CONFIRM_OVER = 10;

const ACTIONS = [
  { value: "disable", label: "Disable" },
  { value: "enable", label: "Enable" },
  { value: "delete", label: "Delete" },
  { value: "assign_group", label: "Assign to group…", group: true },
  { value: "remove_from_group", label: "Remove from group…", group: true },
  { value: "send_activation_mail", label: "Send Activation Mail with Password Reset Link", mail: "activation" },
];

const plural = (n) => `${formatCount(n)} ${n === 1 ? "user" : "users"}`;

export class BulkActions {
  /**
   * @param {object} hooks
   * @param {() => string[]} hooks.visible      the usernames the list shows now
   * @param {() => void} hooks.changed          the selection changed (the list updates its checkboxes)
   * @param {(outcome: {message: string, deleted: boolean, keepFocus?: boolean}) => Promise<void>|void} hooks.done
   *   after a successful apply (`keepFocus`: the bar shows a result that takes focus itself)
   */
  constructor({ visible, changed, done }) {
    this.hooks = { visible, changed, done };
    /** @type {Set<string>} */
    this.selected = new Set();
    this.groupsLoaded = false;

    this.count = el("p", { id: "bulk-count", class: "bulk-bar__count", "aria-live": "polite" });
    this.hint = el("span", { class: "bulk-bar__hint", text: "Tick users in the list to act on several at once" });
    this.clearButton = el("button", {
      id: "bulk-clear", type: "button", class: "button button--link", text: "Clear selection",
      on: { click: () => this.clear(true) },
    });
    this.action = el("select", { id: "bulk-action", class: "select", on: { change: () => this.#actionChanged() } },
      el("option", { value: "", text: "Choose an action" }),
      ACTIONS.map((a) => el("option", { value: a.value, text: a.label })));
    this.group = el("select", { id: "bulk-group", class: "select", on: { change: () => this.error.hidden = true } },
      el("option", { value: "", text: "Loading groups…" }));
    this.groupItem = el("div", { class: "bulk-bar__item", hidden: true },
      el("label", { class: "toolbar__label", for: "bulk-group", text: "Group" }), this.group);
    this.apply = el("button", { id: "bulk-apply", type: "button", class: "button", text: "Apply", on: { click: () => this.#apply() } });
    this.error = el("div", { id: "bulk-error", class: "banner banner--error bulk-error", role: "alert", tabindex: "-1", hidden: true });
    this.bar = el("div", { id: "bulk-bar", class: "bulk-bar", role: "group", "aria-label": "Act on the selected users" },
      el("div", { class: "bulk-bar__selection" }, this.count, this.hint, this.clearButton),
      el("div", { class: "bulk-bar__item" },
        el("label", { class: "toolbar__label", for: "bulk-action", text: "Select Action" }), this.action),
      this.groupItem,
      this.apply);
    this.progress = new SendProgress("bulk-mail-progress");
    this.result = el("div", { id: "bulk-mail-result-slot" });
    this.root = el("div", { class: "bulk" }, this.bar, this.error, this.progress.root, this.result);
    this.update();
  }

  has(username) {
    return this.selected.has(username);
  }

  /** Ticks or unticks some users. */
  set(usernames, on) {
    for (const name of usernames) {
      if (on) this.selected.add(name);
      else this.selected.delete(name);
    }
    this.error.hidden = true;
    this.update();
  }

  clear(focusList = false) {
    this.selected.clear();
    this.update();
    this.hooks.changed();
    if (focusList) document.getElementById("select-all-rows")?.focus();
  }

  /** Refreshes the count and what can be used. */
  update() {
    const n = this.selected.size;
    const shown = new Set(this.hooks.visible());
    const elsewhere = [...this.selected].filter((u) => !shown.has(u)).length;
    this.count.textContent = n === 0
      ? "No users selected"
      : `${formatCount(n)} selected${elsewhere ? ` (${formatCount(elsewhere)} not on this page)` : ""}`;
    this.bar.classList.toggle("bulk-bar--active", n > 0);
    this.clearButton.hidden = n === 0;
    this.hint.hidden = n > 0;
    this.action.disabled = n === 0;
    this.group.disabled = n === 0;
    this.apply.disabled = n === 0;
    this.apply.title = n === 0 ? "Tick users in the list first" : "";
  }

  async #actionChanged() {
    this.error.hidden = true;
    const needsGroup = ACTIONS.find((a) => a.value === this.action.value)?.group ?? false;
    this.groupItem.hidden = !needsGroup;
    if (needsGroup && !this.groupsLoaded) await this.#loadGroups();
  }

  async #loadGroups() {
    try {
      const groups = await listGroups();
      replaceChildren(this.group,
        el("option", { value: "", text: groups.length ? "Choose a group" : "No groups yet" }),
        groups.map((g) => el("option", { value: g.name, text: g.name })));
      this.groupsLoaded = true;
    } catch (error) {
      this.#showError(error.message);
    }
  }

  async #apply() {
    if (this.apply.getAttribute("aria-busy") === "true") return;
    const usernames = [...this.selected];
    const kind = this.action.value;
    const spec = ACTIONS.find((a) => a.value === kind);
    if (!usernames.length) return;
    if (!spec) {
      this.#showError("Choose an action in “Select Action”, then Apply.", this.action);
      return;
    }
    if (spec.group && !this.group.value) {
      this.#showError(`Choose the group for “${spec.label.replace("…", "")}”, then Apply.`, this.group);
      return;
    }
    const action = spec.group ? { kind, group: this.group.value } : { kind };
    if (kind === "delete") {
      this.#confirmDelete(usernames);
      return;
    }
    if (spec.mail) {
      await this.#sendMail(spec.mail, usernames);
      return;
    }
    this.apply.setAttribute("aria-busy", "true");
    this.error.hidden = true;
    try {
      const result = await applyToUsers(usernames, action, null);
      this.#succeeded(result.message, false);
    } catch (error) {
      this.#showError(error.message);
    } finally {
      this.apply.removeAttribute("aria-busy");
    }
  }

  #succeeded(message, deleted, keepFocus = false) {
    this.selected.clear();
    this.action.value = "";
    this.groupItem.hidden = true;
    this.update();
    this.hooks.changed();
    return this.hooks.done({ message, deleted, keepFocus });
  }

  /**
   * Queues `kind` mails for the ticked users in the outbox and sends them, with the progress
   * panel (Cancel stops before the next mail; the rest stay queued); then the result under the
   * bar. A failure before anything was queued (mail not set up, an unknown user) keeps the
   * selection and says why.
   */
  async #sendMail(kind, usernames) {
    this.#setBusy(true);
    this.error.hidden = true;
    replaceChildren(this.result);
    const noun = kind === "activation" ? "activation mail" : "mail";
    let panel = null;
    try {
      const done = await this.progress.run(`Sending ${noun}s to ${plural(usernames.length)}`,
        (onProgress) => mailSendTo({ kind, usernames }, onProgress));
      const { queued, sent } = done;
      const title = queued.queued || sent.sent
        ? `${sendLine(sent, noun)}${queued.skipped.length ? `; ${plural(queued.skipped.length)} skipped` : ""}`
        : `No ${noun} was queued: ${plural(queued.skipped.length)} skipped`;
      panel = sendResult({ id: "bulk-mail-result", title, sent, skipped: queued.skipped });
    } catch (error) {
      this.#showError(error.message, null, error.code === "not_configured");
    } finally {
      this.#setBusy(false);
    }
    if (!panel) return;
    // The list reloads (the users' onboarding as it is now) and announces the title; the result
    // then takes focus.
    await this.#succeeded(panel.querySelector("h2").textContent, false, true);
    if (this.result.isConnected) showResult(this.result, panel);
  }

  /** While mails go: the bar cannot start anything else (Cancel is in the progress panel). */
  #setBusy(busy) {
    if (busy) {
      this.apply.setAttribute("aria-busy", "true");
      this.apply.setAttribute("aria-disabled", "true");
    } else {
      this.apply.removeAttribute("aria-busy");
      this.apply.removeAttribute("aria-disabled");
    }
    this.action.disabled = busy || this.selected.size === 0;
    this.group.disabled = busy || this.selected.size === 0;
    this.clearButton.disabled = busy;
  }

  /**
   * A problem with the bar's request, shown under it; focus moves to the message (or `focus`).
   * `setUpMail`: mail is not set up, so the message links to Settings → Mail.
   */
  #showError(message, focus = null, setUpMail = false) {
    replaceChildren(this.error, el("p", { text: message }),
      setUpMail ? el("p", {}, el("a", { id: "bulk-setup-mail", href: "#/settings/mail", text: "Set up mail" }), " in Settings → Mail, then Apply again.") : null);
    this.error.hidden = false;
    (focus ?? this.error).focus();
  }

  /** Asks before deleting; above ten users the admin types the number of users to confirm. */
  #confirmDelete(usernames) {
    const n = usernames.length;
    confirmDeletion({
      count: n,
      typed: n > TYPED_CONFIRM_OVER,
      title: `Delete ${plural(n)}?`,
      body: [
        el("p", { text: `${n === 1 ? "This user is" : `These ${plural(n)} are`} deleted, together with their group memberships, roles and sessions.` }),
        el("ul", { id: "confirm-delete-list", class: "name-list", "aria-label": "Users to delete", tabindex: "0" },
          usernames.map((u) => el("li", { text: u }))),
      ],
      warning: "This cannot be undone. Each deletion is recorded in the audit log.",
      confirmLabel: `Delete ${plural(n)}`,
      countHint: "The number of users to delete. The Delete button works once it matches.",
      returnFocus: () => this.apply,
      onConfirm: async (d, confirm) => {
        const result = await d.run(() => applyToUsers(usernames, { kind: "delete" }, confirm));
        if (!result) return;
        d.close();
        this.#succeeded(result.message, true);
      },
    });
  }
}
