// The "On-Boarding Status" tab of the Users area: statistics (onboarded vs not, invited, disabled,
// how long the not-onboarded have waited), the invited users due a reminder with "Send reminder",
// then the users who have not onboarded, longest waiting first, with whether and when they were
// invited, to tick and "Send Activation Mail with Password Reset Link". Sending shows a progress
// bar with Cancel, then what happened: sent, failed, still queued, and who was skipped and why.
// Started on an empty root element; `data-page-size` sets the list's page size (default 50).
import { listUsers, mailSendTo, onboardingStats } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { ErrorSummary } from "./error-summary.js";
import { userIcon } from "./icons.js";
import { SendProgress, sendLine, sendResult, showResult } from "./mail-send.js";
import { onboardingSummary, waitingTable } from "./onboarding-chart.js";
import { KeysetPager, RowSelection, emptyRow, tableShell } from "./table.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The actions of the Select Action menu: [value, label as admins know it]. */
const ACTIONS = [
  ["send_activation_mail", "Send Activation Mail with Password Reset Link"],
];

/** How long a user created at `createdAt` has waited: "under 1 day", "1 day", "42 days". */
export function waitedFor(createdAt, now = Date.now()) {
  const days = Math.floor((now - new Date(createdAt).getTime()) / DAY_MS);
  if (!(days >= 1)) return "under 1 day";
  return days === 1 ? "1 day" : `${formatCount(days)} days`;
}

/** When something happened, in days: "today", "1 day ago", "3 days ago". */
export function daysAgo(at, now = Date.now()) {
  const days = Math.floor((now - new Date(at).getTime()) / DAY_MS);
  if (!(days >= 1)) return "today";
  return days === 1 ? "1 day ago" : `${formatCount(days)} days ago`;
}

const users = (n) => `${formatCount(n)} ${n === 1 ? "user" : "users"}`;

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startOnboardingView(root) {
  const view = new OnboardingView(root, Number(root.dataset.pageSize) || 50);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class OnboardingView {
  #requestId = 0;

  constructor(root, pageSize) {
    this.root = root;
    this.pageSize = pageSize;
    this.stats = null;
    this.busy = false;

    this.statsBox = el("div", { id: "onboarding-stats", class: "onboarding-stats", "aria-busy": "true" },
      el("p", { class: "loading", text: "Loading statistics…" }));
    this.summary = new ErrorSummary(el("div", { id: "onboarding-errors" }));
    this.selection = new RowSelection({ idPrefix: "onboarding-select", noun: "user", onChange: (n) => this.#selectionChanged(n) });
    this.pager = new KeysetPager({ idPrefix: "onboarding-page", pageSize, onPage: () => this.#loadList() });
    this.action = el("select", { id: "onboarding-action", class: "select" },
      ACTIONS.map(([value, label]) => el("option", { value, text: label })));
    this.apply = el("button", { id: "onboarding-apply", type: "button", class: "button", text: "Apply", on: { click: () => this.#apply() } });
    this.selectedText = el("p", { id: "onboarding-selected", class: "selection-count", "aria-live": "polite" });
    this.reminder = el("section", { id: "onboarding-reminder", class: "panel reminder", "aria-labelledby": "onboarding-reminder-title", hidden: true });
    this.progress = new SendProgress("onboarding-progress");
    this.result = el("div", { id: "onboarding-result-slot" });

    this.columns = [
      { label: "Select", key: "select", cell: this.selection.headerCell },
      { label: "Email", key: "email" },
      { label: "Username", key: "username" },
      { label: "Name", key: "name" },
      { label: "Status", key: "status" },
      { label: "Invitation", key: "invitation" },
      { label: "Created", key: "createdAt" },
      { label: "Waiting", key: "waiting" },
    ];
    this.list = tableShell({ id: "onboarding-table", caption: "Users who have not onboarded, longest waiting first", columns: this.columns });

    replaceChildren(root,
      el("h1", { class: "view-title", tabindex: "-1", text: "On-Boarding Status" }),
      el("p", { class: "view-intro", text: "Users who have not set a password yet cannot sign in. Send them an activation mail with a link to set one, or a temporary password (Settings → Mail says which)." }),
      this.statsBox,
      this.reminder,
      el("section", { class: "panel", "aria-labelledby": "not-onboarded-title" },
        el("h2", { id: "not-onboarded-title", class: "panel__title", text: "Not onboarded, longest waiting first" }),
        this.summary.root,
        this.progress.root,
        this.result,
        el("div", { class: "toolbar toolbar--actions" },
          el("div", { class: "toolbar__item" },
            el("label", { class: "toolbar__label", for: "onboarding-action", text: "Select Action" }),
            el("div", { class: "apply-row" }, this.action, this.apply)),
          this.selectedText,
          this.pager.root),
        this.list.wrap));
    this.#selectionChanged(0);
  }

  destroy() {
    this.#requestId += 1;
  }

  /** Statistics and the first page, together. */
  load() {
    return Promise.all([this.#loadStats(), this.#loadList()]).then(() => {});
  }

  async #loadStats() {
    this.statsBox.setAttribute("aria-busy", "true");
    try {
      this.stats = await onboardingStats();
      if (!this.root.isConnected) return;
      replaceChildren(this.statsBox,
        el("section", { class: "panel panel--chart", "aria-labelledby": "onboarding-summary-title" },
          el("h2", { id: "onboarding-summary-title", class: "panel__title", text: "Who has onboarded" }),
          onboardingSummary(this.stats)),
        el("section", { class: "panel panel--chart" },
          waitingTable(this.stats.waiting)));
      this.#renderReminder();
    } catch (error) {
      replaceChildren(this.statsBox, el("div", { class: "banner banner--error", role: "alert" }, el("p", { text: error.message })));
    } finally {
      this.statsBox.setAttribute("aria-busy", "false");
    }
  }

  async #loadList() {
    const id = ++this.#requestId;
    const { table, tbody } = this.list;
    table.setAttribute("aria-busy", "true");
    try {
      const query = { onboarded: false, sort: "createdAt", direction: "asc", limit: this.pageSize };
      if (this.pager.after) query.after = this.pager.after;
      const page = await listUsers(query);
      if (id !== this.#requestId) return;
      const now = Date.now();
      this.selection.startPage();
      tbody.replaceChildren(...page.users.map((user) => this.#row(user, now)));
      if (!page.users.length) {
        tbody.append(emptyRow(this.columns.length, this.pager.pages.length > 1
          ? "There are no more users on this page. Go back with Previous."
          : "Everyone has onboarded: every user has set a password."));
      }
      this.selection.pageDone();
      this.pager.update({
        next: page.next, shown: page.users.length,
        total: this.stats?.notOnboarded, empty: this.pager.pages.length > 1 ? "No more users" : "",
      });
    } catch (error) {
      if (id !== this.#requestId) return;
      tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      if (id === this.#requestId) table.setAttribute("aria-busy", "false");
    }
  }

  /** The invited users due a reminder, and the button that sends it to them. */
  #renderReminder() {
    const { invited = 0, reminderDue = 0, remindAfterDays = 7 } = this.stats ?? {};
    const waiting = `waiting over ${formatCount(remindAfterDays)} ${remindAfterDays === 1 ? "day" : "days"}`;
    this.reminder.hidden = invited === 0;
    this.reminder.classList.toggle("reminder--due", reminderDue > 0);
    replaceChildren(this.reminder,
      el("h2", { id: "onboarding-reminder-title", class: "panel__title", text: "Reminders" }),
      el("p", { id: "onboarding-reminder-text", class: `reminder__text${reminderDue ? " strong" : ""}`, dataset: { due: String(reminderDue) } },
        reminderDue
          ? `${formatCount(reminderDue)} invited ${reminderDue === 1 ? "user is" : "users are"} due a reminder (${waiting} since their last mail)`
          : `No invited user is due a reminder: none has been ${waiting} since their last mail.`),
      reminderDue
        ? el("button", { id: "onboarding-remind", type: "button", class: "button", text: "Send reminder", on: { click: () => this.#remind() } })
        : null);
    this.reminder.querySelector("#onboarding-remind")?.setAttribute("aria-disabled", String(this.busy));
  }

  #row(user, now) {
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    const active = user.status === "active";
    return el("tr", { dataset: { username: user.username, invited: String(Boolean(user.invitedAt)) } },
      el("td", { class: "cell-select" }, this.selection.checkbox(user.username, user.username)),
      el("td", { class: "cell-email" },
        el("span", { class: "email" }, userIcon(false), el("span", { class: "email__text", title: user.email, text: user.email }))),
      el("td", {}, el("a", { class: "user-link", href: `#/users/${encodeURIComponent(user.username)}/edit`, text: user.username })),
      el("td", { text: name }),
      el("td", {}, el("span", { class: `badge badge--${active ? "active" : "disabled"}`, text: active ? "Active" : "Disabled" })),
      el("td", { class: "cell-invitation" }, invitation(user, now)),
      el("td", {}, el("time", { datetime: user.createdAt, title: formatDateTime(user.createdAt), text: formatDate(user.createdAt) })),
      el("td", { class: "cell-waiting", text: waitedFor(user.createdAt, now) }));
  }

  #selectionChanged(count) {
    this.selectedText.textContent = count === 0 ? "No users selected" : `${formatCount(count)} ${count === 1 ? "user" : "users"} selected`;
  }

  /** Sends the chosen mail to the ticked users, with progress; then what happened, and the list again. */
  async #apply() {
    const usernames = this.selection.keys;
    await this.#send(`Sending activation mails to ${users(usernames.length)}`, { kind: this.action.value === "send_activation_mail" ? "activation" : this.action.value, usernames });
  }

  /** The activation mail again to the invited users due a reminder. */
  async #remind() {
    await this.#send("Sending reminders", { kind: "activation", reminderAfterDays: this.stats?.remindAfterDays ?? 7 });
  }

  async #send(what, input) {
    if (this.busy) return;
    this.#setBusy(true);
    this.summary.clear();
    replaceChildren(this.result);
    let panel = null;
    try {
      const done = await this.progress.run(what, (onProgress) => mailSendTo(input, onProgress));
      const { queued, sent } = done;
      const title = queued.queued || sent.sent
        ? `${sendLine(sent, "activation mail")}${queued.skipped.length ? `; ${users(queued.skipped.length)} skipped` : ""}`
        : `No activation mail was queued: ${users(queued.skipped.length)} skipped`;
      announce(title);
      panel = sendResult({ id: "onboarding-result", title, sent, skipped: queued.skipped });
      this.selection.clear();
      this.pager.restart();
    } catch (error) {
      this.#showError(error);
    } finally {
      this.#setBusy(false);
    }
    await Promise.all([this.#loadStats(), this.#loadList()]);
    if (panel && this.root.isConnected) showResult(this.result, panel);
  }

  /** Why nothing was sent: mail not set up (with the way there), no user ticked, …: the core's words. */
  #showError(error) {
    if (error.code === "not_configured") {
      this.summary.showMessage(error.message, [{
        label: "Set up mail", id: "onboarding-setup-mail", note: "Opens Settings → Mail",
        onClick: () => { location.hash = "#/settings/mail"; },
      }]);
    } else if (error.code === "validation" && error.fields?.length) {
      // "Name at least one user": about the ticks, which have no field of their own.
      this.summary.showMessage(error.fields.map((f) => f.message).join(". "));
    } else {
      this.summary.showMessage(error.message);
    }
  }

  #setBusy(busy) {
    this.busy = busy;
    this.apply.setAttribute("aria-disabled", String(busy));
    this.action.disabled = busy;
    this.reminder.querySelector("#onboarding-remind")?.setAttribute("aria-disabled", String(busy));
  }
}

/** "Invited 3 days ago", and "reminded today" when a reminder went since; "Not invited yet" otherwise. */
function invitation(user, now) {
  if (!user.invitedAt) return el("span", { class: "muted", text: "Not invited yet" });
  const reminded = user.lastInvitedAt && user.lastInvitedAt !== user.invitedAt;
  return [
    el("span", { class: "invitation" },
      el("span", { class: "badge badge--invited", text: "Invited" }),
      el("time", { datetime: user.invitedAt, title: formatDateTime(user.invitedAt), text: ` ${daysAgo(user.invitedAt, now)}` })),
    reminded
      ? el("span", { class: "invitation__reminded" }, "Reminded ",
        el("time", { datetime: user.lastInvitedAt, title: formatDateTime(user.lastInvitedAt), text: daysAgo(user.lastInvitedAt, now) }))
      : null,
  ];
}
