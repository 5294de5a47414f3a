// The "On-Boarding Status" tab of the Users area: statistics (onboarded vs not, disabled, how long
// the not-onboarded have waited), then the users who have not onboarded, longest waiting first,
// to tick and "Send Activation Mail with Password Reset Link".
// Started on an empty root element; `data-page-size` sets the list's page size (default 50).
import { applyToUsers, listUsers, onboardingStats } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { ErrorSummary } from "./error-summary.js";
import { userIcon } from "./icons.js";
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

    this.columns = [
      { label: "Select", key: "select", cell: this.selection.headerCell },
      { label: "Email", key: "email" },
      { label: "Username", key: "username" },
      { label: "Name", key: "name" },
      { label: "Status", key: "status" },
      { label: "Created", key: "createdAt" },
      { label: "Waiting", key: "waiting" },
    ];
    this.list = tableShell({ id: "onboarding-table", caption: "Users who have not onboarded, longest waiting first", columns: this.columns });

    replaceChildren(root,
      el("h1", { class: "view-title", tabindex: "-1", text: "On-Boarding Status" }),
      el("p", { class: "view-intro", text: "Users who have not set a password yet cannot sign in. Send them an activation mail with a link to set one." }),
      this.statsBox,
      el("section", { class: "panel", "aria-labelledby": "not-onboarded-title" },
        el("h2", { id: "not-onboarded-title", class: "panel__title", text: "Not onboarded, longest waiting first" }),
        this.summary.root,
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

  #row(user, now) {
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    const active = user.status === "active";
    return el("tr", { dataset: { username: user.username } },
      el("td", { class: "cell-select" }, this.selection.checkbox(user.username, user.username)),
      el("td", { class: "cell-email" },
        el("span", { class: "email" }, userIcon(false), el("span", { class: "email__text", title: user.email, text: user.email }))),
      el("td", {}, el("a", { class: "user-link", href: `#/users/${encodeURIComponent(user.username)}/edit`, text: user.username })),
      el("td", { text: name }),
      el("td", {}, el("span", { class: `badge badge--${active ? "active" : "disabled"}`, text: active ? "Active" : "Disabled" })),
      el("td", {}, el("time", { datetime: user.createdAt, title: formatDateTime(user.createdAt), text: formatDate(user.createdAt) })),
      el("td", { class: "cell-waiting", text: waitedFor(user.createdAt, now) }));
  }

  #selectionChanged(count) {
    this.selectedText.textContent = count === 0 ? "No users selected" : `${formatCount(count)} ${count === 1 ? "user" : "users"} selected`;
  }

  /** Runs the chosen action on the ticked users; the core's message says what happened or why not. */
  async #apply() {
    if (this.busy) return;
    this.busy = true;
    this.apply.setAttribute("aria-disabled", "true");
    this.summary.clear();
    try {
      const result = await applyToUsers(this.selection.keys, { kind: this.action.value });
      announce(result.message);
      this.selection.clear();
      this.pager.restart();
      await Promise.all([this.#loadStats(), this.#loadList()]);
    } catch (error) {
      // not_configured until mail is set up: the core's sentence says so and what to do.
      this.summary.showMessage(error.message);
    } finally {
      this.busy = false;
      this.apply.removeAttribute("aria-disabled");
    }
  }
}
