// The "On-Boarding Status" tab of the Users area: statistics (onboarded vs not, invited, disabled,
// how long the not-onboarded have waited), the invited users due a reminder with "Send reminder",
// then the users who have not onboarded, longest waiting first, with whether and when they were
// invited, to tick and "Send Activation Mail with Password Reset Link". Sending shows a progress
// bar with Cancel, then what happened: sent, failed, still queued, and who was skipped and why.
// How many days after their last mail invited users are due a reminder is the admin's to choose
// (as `--remind-after-days` on the command line; the core says which numbers it takes), kept
// while the window is open.
// Started on an empty root element; `data-page-size` sets the list's page size (default 50).
import { listUsers, mailSendTo, onboardingStats } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { debounce } from "../timing.js";
import { ErrorSummary } from "./error-summary.js";
import { createField } from "./form-field.js";
import { userIcon } from "./icons.js";
import { SendProgress, sendLine, sendResult, showResult } from "./mail-send.js";
import { onboardingSummary, waitingTable } from "./onboarding-chart.js";
import { KeysetPager, RowSelection, emptyRow, tableShell } from "./table.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Typing in the threshold counts again after this pause. */
const REMIND_DAYS_DELAY_MS = 300;

/** The threshold the admin chose while the window is open; null: the workspace's default. */
let sessionRemindAfterDays = null;

/**
 * The reminder threshold field's text as days: `{ days }`, or `{ message }` saying what to enter.
 * Only reading a number happens here; which numbers are allowed is the core's rule (its error
 * comes back from the count and is shown the same way).
 * @param {string} text  the field's value
 * @param {boolean} [unreadable]  the browser could not read the field as a number (`validity.badInput`)
 */
export function parseRemindDays(text, unreadable = false) {
  const value = String(text ?? "").trim();
  if (!value && !unreadable) return { message: "Enter the number of days after which invited users are due a reminder" };
  if (unreadable || !/^\d+$/.test(value)) return { message: "Enter the number of days as a whole number, like 7" };
  return { days: Number(value) };
}

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
  #reminderRequestId = 0;

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
    this.#buildReminder();
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
    this.#reminderRequestId += 1;
    this.countLater.cancel();
  }

  /** Statistics and the first page, together. */
  load() {
    return Promise.all([this.#loadStats(), this.#loadList()]).then(() => {});
  }

  async #loadStats() {
    this.statsBox.setAttribute("aria-busy", "true");
    try {
      this.stats = await onboardingStats(sessionRemindAfterDays);
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

  /**
   * The Reminders panel's parts that stay while counts change: the title, the error summary and
   * the threshold field (typing in it must keep its focus), the count and the button's place.
   */
  #buildReminder() {
    this.remindSummary = new ErrorSummary(el("div", { id: "onboarding-reminder-errors" }));
    this.remindDays = createField({
      id: "onboarding-remind-days",
      label: "Remind after (days)",
      hint: "Invited users whose last activation mail is at least this many days old (0: every invited user)",
      type: "number",
      attrs: {
        class: "input input--number", min: "0", step: "1",
        inputmode: "numeric", autocomplete: "off",
        on: {
          input: () => this.countLater(),
          change: () => { this.countLater.cancel(); this.#remindDaysChanged("left"); },
          keydown: (e) => { if (e.key === "Enter") { e.preventDefault(); this.countLater.cancel(); this.#remindDaysChanged("submitted"); } },
        },
      },
    });
    this.remindDays.root.classList.add("reminder__days");
    this.countLater = debounce(() => this.#remindDaysChanged("typing"), REMIND_DAYS_DELAY_MS);
    this.reminderText = el("p", { id: "onboarding-reminder-text", class: "reminder__text", "aria-live": "polite" });
    this.remindButton = el("button", { id: "onboarding-remind", type: "button", class: "button", text: "Send reminder", on: { click: () => this.#remind() } });
    replaceChildren(this.reminder,
      el("h2", { id: "onboarding-reminder-title", class: "panel__title", text: "Reminders" }),
      this.remindSummary.root,
      el("div", { class: "reminder__row" }, this.remindDays.root, this.reminderText, this.remindButton));
  }

  /** The invited users due a reminder (as the statistics last counted them), and the button that sends it to them. */
  #renderReminder() {
    const { invited = 0, reminderDue = 0, remindAfterDays } = this.stats ?? {};
    const waiting = `waiting over ${formatCount(remindAfterDays)} ${remindAfterDays === 1 ? "day" : "days"}`;
    this.reminder.hidden = invited === 0;
    this.reminder.classList.toggle("reminder--due", reminderDue > 0);
    if (document.activeElement !== this.remindDays.control && !this.remindDays.control.hasAttribute("aria-invalid")) {
      this.remindDays.value = String(remindAfterDays);
    }
    this.reminderText.classList.toggle("strong", reminderDue > 0);
    this.reminderText.dataset.due = String(reminderDue);
    this.reminderText.dataset.days = String(remindAfterDays);
    this.reminderText.textContent = reminderDue
      ? `${formatCount(reminderDue)} invited ${reminderDue === 1 ? "user is" : "users are"} due a reminder (${waiting} since their last mail)`
      : `No invited user is due a reminder: none has been ${waiting} since their last mail.`;
    this.remindButton.hidden = reminderDue === 0;
    this.remindButton.setAttribute("aria-disabled", String(this.busy));
  }

  /**
   * The threshold field changed: counts again for a number of days it can read. A problem is
   * not shown while the admin types; inline once they leave the field (focus stays where they
   * went); inline and in the error summary, which takes focus, on Enter or "Send reminder".
   * @param {"typing"|"left"|"submitted"} how
   * @returns {Promise<number|null>} the days the field holds, or null when it holds none
   */
  async #remindDaysChanged(how) {
    const control = this.remindDays.control;
    const parsed = parseRemindDays(control.value, control.validity?.badInput);
    if (parsed.message) {
      if (how !== "typing") this.remindDays.setError(parsed.message);
      if (how === "submitted") this.remindSummary.showFields([{ field: "remindAfterDays", message: parsed.message }], () => control.id);
      return null;
    }
    if (parsed.days !== this.stats?.remindAfterDays && !(await this.#countReminders(parsed.days, how))) return null;
    this.remindDays.clearError();
    this.remindSummary.clear();
    return parsed.days;
  }

  /**
   * The statistics again for `days` (the reminder's count); an answer overtaken by a newer
   * request is dropped. A threshold the core refuses is shown as the field's problem, as
   * `#remindDaysChanged` shows its own: not while typing, inline when left, with the summary
   * when submitted.
   * @param {number} days
   * @param {"typing"|"left"|"submitted"} how
   * @returns {Promise<boolean>} whether the core took `days` (it is then kept for the session)
   */
  async #countReminders(days, how) {
    const id = ++this.#reminderRequestId;
    this.reminderText.setAttribute("aria-busy", "true");
    try {
      const stats = await onboardingStats(days);
      if (id !== this.#reminderRequestId || !this.root.isConnected) return false;
      sessionRemindAfterDays = days;
      this.stats = stats;
      this.#renderReminder();
      return true;
    } catch (error) {
      if (id !== this.#reminderRequestId) return false;
      const message = error.fields?.[0]?.message ?? error.message;
      if (how !== "typing") this.remindDays.setError(message);
      if (how === "submitted") this.remindSummary.showFields([{ field: "remindAfterDays", message }], () => this.remindDays.control.id);
      return false;
    } finally {
      if (id === this.#reminderRequestId) this.reminderText.setAttribute("aria-busy", "false");
    }
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

  /**
   * The activation mail again to the invited users due a reminder, after the number of days the
   * field holds (refused, with the reason, while it holds none).
   */
  async #remind() {
    if (this.busy) return;
    this.countLater.cancel();
    const days = await this.#remindDaysChanged("submitted");
    if (days === null || !this.stats?.reminderDue) return; // recounted: nobody is due after all
    await this.#send("Sending reminders", { kind: "activation", reminderAfterDays: days });
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
    this.remindButton.setAttribute("aria-disabled", String(busy));
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
