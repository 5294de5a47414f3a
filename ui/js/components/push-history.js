// The Push history section of the Sync screen: every push kept, newest first (remote, when, what
// came of its operations; a push that never finished is marked Interrupted), and for the push
// chosen with its "Results" button, its operations a page at a time (a push of 10,000 operations
// is never drawn at once), filtered by result, and "Export CSV…", which asks for a file with the
// native save dialog and has the shell write it. Native buttons and a <select>: keyboard works.
import { chooseSaveFile, syncPushResults, syncPushResultsSave, syncPushes } from "../api.js";
import { el } from "../dom.js";
import { formatCount, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { OffsetPager, emptyRow, tableShell } from "./table.js";

const PUSHES_PAGE = 20;
const RESULTS_PAGE = 100;
/** What a sync result, conflict or problem is about (`attribute`: a custom attribute the pull could not take). */
export const ENTITY_LABELS = { user: "User", group: "Group", attribute: "Attribute" };
const RESULT_LABELS = { done: "Done", failed: "Failed", conflict: "Conflict", not_sent: "Not sent" };

/** One operation's result (a SyncResult) as a row of a results table: #, kind, name, request, status, result, message. */
export function resultRow(r) {
  return el("tr", { dataset: { name: r.name, result: r.result } },
    el("td", { class: "num", text: String(r.n) }),
    el("td", { text: ENTITY_LABELS[r.entity] ?? r.entity }),
    el("th", { scope: "row", text: r.name }),
    el("td", {}, el("code", { text: r.method })),
    el("td", { class: "num", text: r.status === null || r.status === undefined ? "—" : String(r.status) }),
    el("td", {}, el("span", { class: `badge badge--sync-${r.result}`, text: RESULT_LABELS[r.result] ?? r.result })),
    el("td", { class: "cell-message", text: r.message }));
}
const FILTERS = [["", "Every result"], ["done", "Done"], ["failed", "Failed"], ["conflict", "Conflict"], ["not_sent", "Not sent"]];

const time = (at) => el("time", { datetime: at, text: formatDateTime(at) });

export class PushHistory {
  constructor() {
    this.pushes = [];
    this.selected = null;
    this.pushColumns = [
      { label: "Push", key: "n", numeric: true }, { label: "Remote", key: "remote" }, { label: "Started", key: "when" },
      { label: "Finished", key: "when" }, { label: "Done", key: "n", numeric: true }, { label: "Failed", key: "n", numeric: true },
      { label: "Conflicts", key: "n", numeric: true }, { label: "Not sent", key: "n", numeric: true }, { label: "Results", key: "action" },
    ];
    this.list = tableShell({ id: "sync-pushes-table", caption: "Pushes to the remote directory, newest first", columns: this.pushColumns });
    this.list.table.classList.add("table--history");
    this.older = el("button", { id: "sync-pushes-older", type: "button", class: "button button--secondary", text: "Older pushes", hidden: true, on: { click: () => this.#loadOlder() } });
    this.problem = el("p", { id: "sync-history-error", class: "field-error", role: "alert", hidden: true });

    this.resultsTitle = el("h3", { id: "sync-push-results-title", class: "sync-section__title", tabindex: "-1" });
    this.filter = el("select", { id: "sync-push-results-filter", class: "select", on: { change: () => { this.pager.restart(); this.#loadResults(); } } },
      FILTERS.map(([value, label]) => el("option", { value, text: label })));
    this.exportButton = el("button", { id: "sync-push-results-export", type: "button", class: "button button--secondary", text: "Export CSV…", on: { click: () => this.#export() } });
    this.resultColumns = [
      { label: "#", key: "n", numeric: true }, { label: "Kind", key: "entity" }, { label: "Name", key: "name" },
      { label: "Request", key: "method" }, { label: "Status", key: "status", numeric: true }, { label: "Result", key: "result" },
      { label: "Server's message", key: "message" },
    ];
    this.results = tableShell({ id: "sync-push-results-table", caption: "Each operation of the push", columns: this.resultColumns });
    this.results.table.classList.add("table--sync-results");
    this.pager = new OffsetPager({ idPrefix: "sync-push-results-page", pageSize: RESULTS_PAGE, onPage: () => this.#loadResults() });
    this.detail = el("div", { id: "sync-push-results", class: "sync-push-results", hidden: true },
      this.resultsTitle,
      el("div", { class: "toolbar" },
        el("label", { for: "sync-push-results-filter", text: "Show " }), this.filter,
        this.exportButton),
      this.results.wrap,
      this.pager.root);

    this.root = el("section", { id: "sync-history", class: "panel sync-history", "aria-labelledby": "sync-history-title" },
      el("h2", { id: "sync-history-title", class: "panel__title", tabindex: "-1", text: "Push history" }),
      el("p", { class: "view-intro", text: "Every push is kept with the result of each operation, to read again or export." }),
      this.problem,
      this.list.wrap,
      this.older,
      this.detail);
  }

  /** Reloads the newest pushes; shows the results of the chosen push, else of the newest. */
  async load() {
    try {
      this.pushes = await syncPushes(PUSHES_PAGE, null);
      this.problem.hidden = true;
      this.older.hidden = this.pushes.length < PUSHES_PAGE;
      this.#renderPushes();
      const keep = this.pushes.find((p) => p.id === this.selected?.id);
      if (keep || this.pushes.length) await this.#select(keep ?? this.pushes[0], { focus: false, restart: !keep });
      else this.detail.hidden = true;
    } catch (error) {
      this.#fail(error);
    }
  }

  async #loadOlder() {
    try {
      const older = await syncPushes(PUSHES_PAGE, this.pushes[this.pushes.length - 1]?.id ?? null);
      this.pushes.push(...older);
      this.older.hidden = older.length < PUSHES_PAGE;
      this.#renderPushes();
      if (!this.older.hidden) this.older.focus();
      else this.list.tbody.querySelector("tr:last-child button")?.focus();
    } catch (error) {
      this.#fail(error);
    }
  }

  #renderPushes() {
    this.list.tbody.replaceChildren(...this.pushes.map((p) => el("tr", { dataset: { push: String(p.id), interrupted: String(p.interrupted) } },
      el("th", { scope: "row", class: "num", text: String(p.id) }),
      el("td", { text: p.remote }),
      el("td", {}, time(p.startedAt)),
      el("td", {}, p.interrupted
        ? el("span", { class: "badge badge--sync-failed", title: "Roster stopped while this push ran: the counts are what it recorded", text: "Interrupted" })
        : time(p.finishedAt)),
      ["done", "failed", "conflicts", "notSent"].map((k) => el("td", { class: `num cell-${k}`, text: formatCount(p[k]) })),
      el("td", {}, el("button", {
        type: "button", class: "button button--small button--secondary sync-push-show",
        "aria-pressed": String(this.selected?.id === p.id), "aria-label": `Results of push ${p.id}`, text: "Results",
        on: { click: () => this.#select(p, { focus: true, restart: true }) },
      })))));
    if (!this.pushes.length) this.list.tbody.append(emptyRow(this.pushColumns.length, "Nothing has been pushed yet."));
  }

  async #select(push, { focus, restart }) {
    this.selected = push;
    for (const b of this.list.tbody.querySelectorAll(".sync-push-show")) {
      b.setAttribute("aria-pressed", String(b.closest("tr").dataset.push === String(push.id)));
    }
    if (restart) {
      this.filter.value = "";
      this.pager.restart();
    }
    this.detail.hidden = false;
    await this.#loadResults();
    if (focus) this.resultsTitle.focus();
  }

  async #loadResults() {
    const push = this.selected;
    if (!push) return;
    this.results.table.setAttribute("aria-busy", "true");
    try {
      const page = await syncPushResults(push.id, this.filter.value || null, this.pager.offset, RESULTS_PAGE);
      const p = page.push;
      this.resultsTitle.textContent = `Push ${p.id} to ${p.remote}, ${formatDateTime(p.startedAt)}${p.interrupted ? " (interrupted)" : ""}`;
      this.results.caption.textContent = `Each operation of push ${p.id}`;
      this.results.tbody.replaceChildren(...page.results.map(resultRow));
      const empty = page.only ? "No operation of this push has that result." : "This push had nothing to send.";
      if (!page.results.length) this.results.tbody.append(emptyRow(this.resultColumns.length, empty));
      this.pager.update({ total: page.total, shown: page.results.length, empty });
      this.exportButton.disabled = page.total === 0;
      this.problem.hidden = true;
    } catch (error) {
      this.#fail(error);
    } finally {
      this.results.table.setAttribute("aria-busy", "false");
    }
  }

  async #export() {
    const push = this.selected;
    if (!push) return;
    const only = this.filter.value || null;
    try {
      const path = await chooseSaveFile(`push-${push.id}${only ? `-${only.replace("_", "-")}` : ""}.csv`);
      if (!path) return;
      const saved = await syncPushResultsSave(push.id, only, path);
      announce(`Saved ${formatCount(saved.rows)} ${saved.rows === 1 ? "result" : "results"} of push ${saved.push} to ${saved.path}`);
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error) {
    this.problem.textContent = error.message;
    this.problem.hidden = false;
  }
}
