// The Users screen: search, filters, a sortable table of users, keyset paging; per row a
// checkbox (multi-select, acted on by the bulk bar) and a "Select" menu of the user actions.
// Started on an empty root element; `data-page-size` sets the page size (default 50).
import { listUsers, undo } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { debounce } from "../timing.js";
import { currentWorkspace, refreshWorkspace } from "../workspace.js";
import { openDialog, openedDialog } from "./action-dialog.js";
import { ONBOARD_LABELS, sortIcon, userIcon } from "./icons.js";
import { announceOutcome } from "./undo-notice.js";
import { menuEntries, runUserAction } from "./user-actions.js";
import { closeMenus, menuButton } from "./user-menu.js";
import { BulkActions } from "./users-bulk.js";

const SEARCH_DELAY_MS = 200;

/**
 * The data columns in display order (after the row checkbox, before the Actions column).
 * `key` names the CSS width class (col-<key>) and cell class; `sort` is the list_users sort key
 * of sortable columns.
 */
const COLUMNS = [
  { key: "email", label: "Email", sort: "email", cell: emailCell },
  { key: "username", label: "Username", sort: "username", cell: usernameCell },
  { key: "firstName", label: "First name", sort: "firstName", cell: (u) => u.firstName },
  { key: "lastName", label: "Last name", sort: "lastName", cell: (u) => u.lastName },
  { key: "phone", label: "Phone", cell: (u) => u.phone ?? "" },
  { key: "status", label: "Status", cell: statusCell },
  // Newest first is the useful order for a date, so its first click sorts descending.
  { key: "createdAt", label: "Created", sort: "createdAt", firstDirection: "desc", cell: createdCell },
];

const STATUS_OPTIONS = [["", "All"], ["active", "Active"], ["disabled", "Disabled"]];
const ONBOARDED_OPTIONS = [["", "All"], ["true", "Onboarded"], ["false", "Not onboarded"]];

/**
 * The list's state, kept by the caller between visits so that coming back from a form
 * shows the same search, filters, sort and page.
 */
export function initialListState() {
  return { search: "", status: "", onboarded: "", sort: "username", direction: "asc", pages: [null] };
}

/**
 * @param {HTMLElement} root
 * @param {ReturnType<typeof initialListState>} state  mutated as the admin works
 * @returns {{ready: Promise<void>, destroy(): void}}  `ready` settles once the first page
 *          (or an empty-state or error message) is shown
 */
export function startUsersList(root, state) {
  const list = new UsersList(root, state, Number(root.dataset.pageSize) || 50);
  return { ready: list.load(), destroy: () => list.destroy() };
}

class UsersList {
  #requestId = 0;

  constructor(root, state, pageSize) {
    this.root = root;
    this.state = state;
    this.pageSize = pageSize;
    this.next = null;
    this.loading = false;
    this.searchLater = debounce(() => this.#restart(), SEARCH_DELAY_MS);
    /** @type {Map<string, object>} the shown page's users by username */
    this.users = new Map();
    this.lastChecked = null; // for Shift+click ranges
    this.bulk = new BulkActions({
      visible: () => [...this.users.keys()],
      changed: () => this.#syncChecks(),
      done: (outcome) => this.#afterBulk(outcome),
    });
    this.#build();
  }

  destroy() {
    this.searchLater.cancel();
    closeMenus();
    this.#requestId += 1; // responses still in flight are ignored
  }

  #build() {
    const s = this.state;
    this.search = el("input", {
      id: "user-search", class: "input", type: "search", value: s.search, autocomplete: "off",
      spellcheck: "false", "aria-describedby": "user-search-hint", placeholder: "Username, email, name or phone",
      on: {
        input: () => { s.search = this.search.value; this.searchLater(); },
        keydown: (e) => { if (e.key === "Enter") { e.preventDefault(); this.searchLater.cancel(); this.#restart(); } },
      },
    });
    this.statusFilter = filterSelect("status-filter", STATUS_OPTIONS, s.status, (v) => { s.status = v; this.#restart(); });
    this.onboardedFilter = filterSelect("onboarded-filter", ONBOARDED_OPTIONS, s.onboarded, (v) => { s.onboarded = v; this.#restart(); });

    this.status = el("p", { id: "users-status", class: "pager__status", role: "status", "aria-live": "polite" });
    this.prev = el("button", { id: "prev-page", type: "button", class: "button button--secondary", text: "Previous", on: { click: () => this.#previous() } });
    this.nextButton = el("button", { id: "next-page", type: "button", class: "button button--secondary", text: "Next", on: { click: () => this.#nextPage() } });

    this.caption = el("caption", { class: "visually-hidden" });
    this.headerCells = COLUMNS.map((col) => el("th", { scope: "col", class: col.sort ? "sortable" : null },
      col.sort
        ? el("button", { type: "button", class: "sort-button", dataset: { sort: col.sort }, on: { click: () => this.#sortBy(col) } },
          el("span", { text: col.label }), sortIcon(null))
        : col.label));
    this.selectAll = el("input", {
      id: "select-all-rows", type: "checkbox", class: "row-check-all", "aria-label": "Select all users on this page",
      on: { change: () => this.#selectPage(this.selectAll.checked) },
    });
    this.tbody = el("tbody", { on: { click: (e) => this.#onRowCheckClick(e) } });
    this.table = el("table", { id: "users-table", class: "table table--users" },
      this.caption,
      el("colgroup", {},
        el("col", { class: "col-check" }),
        COLUMNS.map((col) => el("col", { class: `col-${col.key}` })),
        el("col", { class: "col-actions" })),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", class: "cell-check" }, el("label", { class: "check-hit" }, this.selectAll)),
        this.headerCells,
        el("th", { scope: "col", class: "cell-actions", text: "Actions" }))),
      this.tbody);
    this.message = el("div", { class: "list-message", hidden: true });
    this.problem = el("div", { class: "banner banner--error", role: "alert", hidden: true });
    this.tableWrap = el("div", { class: "table-wrap" }, this.table, this.message);

    replaceChildren(this.root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Users" }),
        el("button", { id: "add-user", type: "button", class: "button", text: "Add User", on: { click: () => { location.hash = "#/users/new"; } } })),
      el("div", { class: "toolbar" },
        el("div", { class: "toolbar__item toolbar__item--grow" },
          el("label", { class: "toolbar__label", for: "user-search", text: "Search" }),
          this.search,
          el("p", { id: "user-search-hint", class: "visually-hidden", text: "Matches the start of a username, email, name or phone number" })),
        labelled("status-filter", "Status", this.statusFilter),
        labelled("onboarded-filter", "Onboarding", this.onboardedFilter),
        el("div", { class: "pager" }, this.status, this.prev, this.nextButton)),
      this.bulk.root,
      this.problem,
      this.tableWrap,
      legend());
    this.#renderSortHeaders();
  }

  /** Back to the first page (after a search, filter or sort change). */
  #restart() {
    this.state.pages = [null];
    this.load();
  }

  #nextPage() {
    if (this.loading || !this.next) return;
    this.state.pages.push(this.next);
    this.load();
  }

  #previous() {
    if (this.loading || this.state.pages.length < 2) return;
    this.state.pages.pop();
    this.load();
  }

  #sortBy(col) {
    const s = this.state;
    if (s.sort === col.sort) s.direction = s.direction === "asc" ? "desc" : "asc";
    else { s.sort = col.sort; s.direction = col.firstDirection ?? "asc"; }
    this.#renderSortHeaders();
    this.#restart();
  }

  /** Fetches the current page and renders it; stale responses (a newer request started) are dropped. */
  async load() {
    const id = ++this.#requestId;
    closeMenus();
    this.loading = true;
    this.table.setAttribute("aria-busy", "true");
    try {
      const page = await listUsers(this.#query());
      if (id !== this.#requestId) return;
      this.problem.hidden = true;
      this.next = page.next ?? null;
      this.#renderRows(page.users);
      this.tableWrap.scrollTop = 0;
    } catch (error) {
      if (id !== this.#requestId) return;
      this.next = null;
      this.#renderProblem(error);
    } finally {
      if (id === this.#requestId) {
        this.loading = false;
        this.table.setAttribute("aria-busy", "false");
        this.#updatePager();
      }
    }
  }

  /** Enables Previous/Next; a focused button that becomes disabled hands focus to the other. */
  #updatePager() {
    const focused = document.activeElement;
    this.prev.disabled = this.state.pages.length < 2;
    this.nextButton.disabled = !this.next;
    if (focused instanceof HTMLButtonElement && focused.disabled) {
      const other = focused === this.prev ? this.nextButton : this.prev;
      (other.disabled ? this.search : other).focus();
    }
  }

  #query() {
    const s = this.state;
    const query = { sort: s.sort, direction: s.direction, limit: this.pageSize };
    const search = s.search.trim();
    if (search) query.search = search;
    if (s.status) query.status = s.status;
    if (s.onboarded) query.onboarded = s.onboarded === "true";
    const after = s.pages[s.pages.length - 1];
    if (after) query.after = after;
    return query;
  }

  #renderSortHeaders() {
    const { sort, direction } = this.state;
    COLUMNS.forEach((col, i) => {
      const th = this.headerCells[i];
      if (!col.sort) return;
      const sorted = col.sort === sort;
      const aria = direction === "asc" ? "ascending" : "descending";
      if (sorted) th.setAttribute("aria-sort", aria);
      else th.removeAttribute("aria-sort");
      th.querySelector(".sort-icon").replaceWith(sortIcon(sorted ? aria : null));
    });
    const col = COLUMNS.find((c) => c.sort === sort);
    this.caption.textContent = `Users, sorted by ${col?.label ?? sort}, ${direction === "asc" ? "ascending" : "descending"}`;
  }

  #renderRows(users) {
    this.users = new Map(users.map((u) => [u.username, u]));
    const rows = users.map((user) => el("tr", { dataset: { username: user.username } },
      el("td", { class: "cell-check" }, el("label", { class: "check-hit" },
        el("input", {
          type: "checkbox", class: "row-check", value: user.username, "aria-label": `Select ${user.username}`,
        }))),
      COLUMNS.map((col) => el("td", { class: `cell-${col.key}` }, col.cell(user))),
      el("td", { class: "cell-actions" }, menuButton({
        username: user.username,
        items: () => menuEntries(this.users.get(user.username) ?? user),
        onChoose: (action) => this.#act(action, user.username),
      }))));
    this.tbody.replaceChildren(...rows);
    this.#syncChecks();
    this.bulk.update();
    const empty = users.length === 0;
    this.message.hidden = !empty; // shown under the column headings, which stay in place
    if (empty) this.#renderEmpty();
    else this.status.textContent = this.#rangeText(users.length);
  }

  /** "Showing 51–100", with the total when no search or filter narrows the list. */
  #rangeText(count) {
    const first = (this.state.pages.length - 1) * this.pageSize + 1;
    const range = `Showing ${formatCount(first)}–${formatCount(first + count - 1)}`;
    const total = currentWorkspace()?.userCount;
    return this.#isFiltered() || total === undefined ? range : `${range} of ${formatCount(total)}`;
  }

  #isFiltered() {
    const s = this.state;
    return Boolean(s.search.trim() || s.status || s.onboarded);
  }

  /** No rows: an empty workspace, no match for the search/filters, or past the last page. */
  #renderEmpty() {
    const search = this.state.search.trim();
    if (this.state.pages.length > 1) {
      this.status.textContent = "No more users";
      replaceChildren(this.message, el("p", { text: "There are no more users on this page. Go back with Previous." }));
    } else if (this.#isFiltered()) {
      this.status.textContent = search ? `No users match “${search}”` : "No users match these filters";
      replaceChildren(this.message,
        el("p", { class: "list-message__title", text: this.status.textContent }),
        el("p", { text: "Check the spelling, or search for the start of a username, email, name or phone number." }),
        el("button", { type: "button", class: "button button--secondary", text: "Clear search and filters", on: { click: () => this.#clearFilters() } }));
    } else {
      this.status.textContent = "No users yet";
      replaceChildren(this.message,
        el("p", { class: "list-message__title", text: "This workspace has no users yet" }),
        el("p", {}, "Add the first one with ", el("a", { href: "#/users/new", text: "Add User" }), "."),
        el("p", {}, "To try Roster with sample data, run this in a terminal: ",
          el("code", { text: demoCommand() })));
    }
  }

  #clearFilters() {
    Object.assign(this.state, { search: "", status: "", onboarded: "" });
    this.search.value = "";
    this.statusFilter.value = "";
    this.onboardedFilter.value = "";
    this.search.focus();
    this.#restart();
  }

  // ---- Row actions (the Select menu) ------------------------------------------------------------

  #act(action, username) {
    const user = this.users.get(username);
    if (!user) return;
    runUserAction(action, user, {
      done: (outcome) => this.#afterAction(outcome),
      returnFocus: () => this.#selectButton(username) ?? this.root.querySelector("h1"),
    });
  }

  /** The row's Select button, if the row is shown. */
  #selectButton(username) {
    return [...this.tbody.querySelectorAll("button.row-select")].find((b) => b.dataset.username === username) ?? null;
  }

  /** After an action: show the list as it is now, put focus back on the row, say what happened. */
  async #afterAction({ message, undo: seq = null, username, deleted = false, refresh = true }) {
    announceOutcome(message, { undo: seq, onUndo: (s, button) => this.#undo(s, button) });
    if (!refresh) return;
    if (deleted) {
      this.bulk.set([username], false);
      await refreshWorkspace().catch(() => {});
    }
    await this.load();
    this.#focusAfter(username);
  }

  /** Focus to the row's Select button (or the heading when the row is gone), unless a dialog is open. */
  #focusAfter(username) {
    if (openedDialog() || !this.root.isConnected) return;
    (this.#selectButton(username) ?? this.root.querySelector("h1"))?.focus();
  }

  async #undo(seq, button) {
    try {
      const result = await undo(seq);
      announceOutcome(result.message);
      await this.load();
      this.#focusAfter(result.user.username);
    } catch (error) {
      button.removeAttribute("aria-disabled");
      openDialog({ title: "Could not undo", cancelLabel: "Close", returnFocus: () => button }).showError(error);
    }
  }

  // ---- Multi-select -------------------------------------------------------------------------------

  /** Ticks or unticks every row of the page. */
  #selectPage(on) {
    this.bulk.set([...this.users.keys()], on);
    this.#syncChecks();
  }

  /** A row checkbox was clicked; Shift+click ticks (or unticks) the range from the last one clicked. */
  #onRowCheckClick(event) {
    const box = event.target.closest?.("input.row-check");
    if (!box) return;
    const boxes = [...this.tbody.querySelectorAll("input.row-check")];
    const at = boxes.indexOf(box);
    const from = event.shiftKey && this.lastChecked ? boxes.findIndex((b) => b.value === this.lastChecked) : -1;
    const range = from >= 0 ? boxes.slice(Math.min(from, at), Math.max(from, at) + 1) : [box];
    this.bulk.set(range.map((b) => b.value), box.checked);
    this.lastChecked = box.value;
    this.#syncChecks();
  }

  /** Row checkboxes, row highlight and the page checkbox (ticked, mixed or not) follow the selection. */
  #syncChecks() {
    let ticked = 0;
    for (const box of this.tbody.querySelectorAll("input.row-check")) {
      const on = this.bulk.has(box.value);
      box.checked = on;
      box.closest("tr").classList.toggle("is-selected", on);
      if (on) ticked += 1;
    }
    const n = this.users.size;
    this.selectAll.disabled = n === 0;
    this.selectAll.checked = n > 0 && ticked === n;
    this.selectAll.indeterminate = ticked > 0 && ticked < n;
  }

  /**
   * After the bulk bar applied an action: the list as it is now, and what happened. Focus goes
   * back to the page checkbox, unless the bar shows a result that takes it (mails sent).
   */
  async #afterBulk({ message, deleted, keepFocus = false }) {
    announceOutcome(message);
    if (deleted) await refreshWorkspace().catch(() => {});
    await this.load();
    if (!keepFocus && !openedDialog()) this.selectAll.focus();
  }

  #renderProblem(error) {
    this.status.textContent = "";
    replaceChildren(this.problem,
      el("p", { text: error.message }),
      el("button", { type: "button", class: "button button--secondary", text: "Try again", on: { click: () => this.load() } }));
    this.problem.hidden = false;
  }
}

/** The CLI command that fills this workspace with sample users. */
function demoCommand() {
  const path = currentWorkspace()?.path;
  return path ? `roster demo --users 1000 --workspace "${path}"` : "roster demo --users 1000";
}

function filterSelect(id, options, value, onChange) {
  const select = el("select", { id, class: "select", on: { change: () => onChange(select.value) } },
    options.map(([v, label]) => el("option", { value: v, text: label })));
  select.value = value;
  return select;
}

function labelled(id, label, control) {
  return el("div", { class: "toolbar__item" }, el("label", { class: "toolbar__label", for: id, text: label }), control);
}

/** The key to the onboarding icons, shown below the table. */
function legend() {
  return el("p", { class: "legend", id: "onboard-legend" },
    [true, false].map((onboarded) => el("span", { class: "legend__item" },
      userIcon(onboarded, { decorative: true, className: "legend-icon" }), ONBOARD_LABELS[onboarded])));
}

function emailCell(user) {
  return el("span", { class: "email" }, userIcon(user.onboarded), el("span", { class: "email__text", title: user.email, text: user.email }));
}

function usernameCell(user) {
  return el("a", { class: "user-link", href: `#/users/${encodeURIComponent(user.username)}/edit`, text: user.username });
}

function statusCell(user) {
  const active = user.status === "active";
  return el("span", { class: `badge badge--${active ? "active" : "disabled"}`, text: active ? "Active" : "Disabled" });
}

function createdCell(user) {
  return el("time", { datetime: user.createdAt, title: formatDateTime(user.createdAt), text: formatDate(user.createdAt) });
}
