// The Bulk import screen: add, update and delete users from a CSV file, seeing exactly what would
// change before anything does.
//   1. The file: "Download sample", "Choose file…" (the native dialog), or a path typed or pasted
//      and "Open". The shell reads and plans it (a progress bar with Cancel on big files).
//   2. The plan: file problems and warnings, an SVG bar of the outcomes, and a table of the rows
//      paged from the core (50 at a time, never all: a million-row plan stays responsive),
//      filtered by outcome, each row with its field changes (old → new) and its problems.
//      "Next error" (or N) jumps to the page holding the next error and focuses its row.
//   3. Apply: refused while rows have errors unless "Skip rows with errors" is ticked; a plan that
//      deletes many users asks for their number typed. All or nothing, with progress and Cancel.
//   4. The results: counts, the batch id, "Save results" and "Save failed rows".
//   5. History: every batch, with Undo (bulk-history.js).
// The shell keeps the open plan; `state` (kept by main.js) keeps what this screen showed, so
// coming back to it shows the same plan, page and results. Messages are the core's.
import {
  bulkApply, bulkCancel, bulkNextError, bulkOpen, bulkRows, bulkSaveResults, bulkSaveTemplate, chooseOpenFile, chooseSaveFile,
} from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount } from "../format.js";
import { announce, clearNotice } from "../notice.js";
import { refreshWorkspace } from "../workspace.js";
import { OUTCOMES, planSummary } from "./bulk-chart.js";
import { BulkHistory } from "./bulk-history.js";
import { confirmDeletion } from "./delete-confirm.js";
import { ErrorSummary } from "./error-summary.js";
import { createField } from "./form-field.js";
import { ProgressPanel } from "./progress-panel.js";
import { OffsetPager, emptyRow, tableShell } from "./table.js";

const PAGE_SIZE = 50;
const TEMPLATE_NAME = "bulkUserCsvSample.csv";

/** What the shell's progress phases are called on screen. */
const PHASES = {
  reading: "Reading the file",
  checking: "Checking the rows against the workspace",
  "hashing passwords": "Hashing passwords",
  applying: "Applying the changes",
  undoing: "Undoing",
};

const ACTION_LABELS = { add: "Add", update: "Update", delete: "Delete" };
/** The fields a row changes, as the core names them (BulkRowView.changes[].field). */
const FIELD_LABELS = {
  username: "Username", email: "Email", firstName: "First name", lastName: "Last name", phone: "Phone", password: "Password",
  groups: "Groups", roles: "Roles", status: "Status", secondFactor: "Second factor", deviceLimit: "Device limit",
  passwordExpiry: "Password expiry",
};
const fieldLabel = (field) => (field.startsWith("attributes.") ? field.slice("attributes.".length) : FIELD_LABELS[field] ?? field);
const OUTCOME_LABELS = { create: "Create", update: "Update", delete: "Delete", unchanged: "Unchanged", error: "Error" };

/** What the work under way is doing, on screen: its phase, or what it is before the first one. */
function phaseLabel({ kind, phase }) {
  if (PHASES[phase]) return PHASES[phase];
  if (phase) return phase[0].toUpperCase() + phase.slice(1);
  return kind === "apply" ? "Applying" : "Opening the file";
}

const rows = (n) => `${formatCount(n)} ${n === 1 ? "row" : "rows"}`;
const users = (n) => `${formatCount(n)} ${n === 1 ? "user" : "users"}`;

/** What the screen shows, kept between visits (main.js holds it). */
export function initialBulkState() {
  return {
    path: "",
    /** The open plan's summary (BulkPlanSummaryView), or null, and the path it was read from. */
    plan: null,
    planPath: "",
    /** What applying the open plan did (BulkResultView), or null. */
    result: null,
    filter: null,
    offset: 0,
    skipInvalid: false,
    /** A plan or an apply under way: {kind: "open"|"apply", phase, done, total, cancelling}. */
    busy: null,
    /** The view on screen, told about progress and outcomes of work it may not have started. */
    view: null,
  };
}

/**
 * @param {HTMLElement} root
 * @param {ReturnType<typeof initialBulkState>} state
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startBulkView(root, state) {
  const view = new BulkView(root, state);
  return { ready: view.start(), destroy: () => view.destroy() };
}

/** A value of a field change as text: empty shown as a dash, lists joined. */
function showValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The file name of a path, for default names of saved files. */
function stem(fileName) {
  const name = String(fileName ?? "").split(/[\\/]/).pop() || "bulk";
  return name.replace(/\.(csv|txt)$/i, "");
}

/** A key pressed where typing goes (fields, menus, dialogs) is not a shortcut. */
function typingTarget(event) {
  const target = event.target;
  return target instanceof HTMLElement
    && (target.isContentEditable || Boolean(target.closest("input, textarea, select, [role=menu]")) || Boolean(document.querySelector("dialog[open]")));
}

class BulkView {
  #requestId = 0;

  constructor(root, state) {
    this.root = root;
    this.state = state;
    this.onKey = (event) => this.#onKey(event);
    this.summary = new ErrorSummary(el("div", { id: "bulk-errors" }));
    this.history = new BulkHistory({ busy: () => Boolean(this.state.busy), undone: (batchId) => this.#afterUndo(batchId) });
    this.#build();
  }

  async start() {
    this.state.view = this;
    document.addEventListener("keydown", this.onKey);
    this.#render();
    await Promise.all([this.history.load(), this.state.plan && !this.state.result ? this.#loadRows() : null]);
  }

  destroy() {
    if (this.state.view === this) this.state.view = null;
    document.removeEventListener("keydown", this.onKey);
    this.#requestId += 1;
  }

  // ---- building ----------------------------------------------------------------------------

  #build() {
    // 1. The file.
    this.chooseButton = el("button", { id: "bulk-choose", type: "button", class: "button", text: "Choose file…", on: { click: () => this.#choose() } });
    this.templateButton = el("button", {
      id: "bulk-template", type: "button", class: "button button--secondary", text: "Download sample",
      "aria-describedby": "bulk-template-hint", on: { click: () => this.#saveTemplate() },
    });
    this.pathField = createField({
      id: "bulk-path", label: "Or type the file's path",
      hint: "The full path of a CSV file on this computer, for example /home/me/new-starters.csv",
      attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "none", dir: "ltr" },
    });
    this.pathField.control.addEventListener("input", () => { this.state.path = this.pathField.value; });
    this.openButton = el("button", { id: "bulk-open", type: "submit", class: "button button--secondary", text: "Open" });
    const filePanel = el("section", { class: "panel bulk-file", "aria-labelledby": "bulk-file-title" },
      el("h2", { id: "bulk-file-title", class: "panel__title", text: "The file" }),
      el("p", { class: "bulk-file__text", text: "A CSV file with an Action column (add, update or delete) and the user's columns. A file without an Action column adds every row, so the user templates of Entra, Google Workspace and Okta import as they are." }),
      el("div", { class: "bulk-file__choose" },
        this.chooseButton,
        this.templateButton,
        el("p", { id: "bulk-template-hint", class: "toolbar__hint", text: `${TEMPLATE_NAME}: every column, with one example row each for add, update and delete` })),
      el("form", { id: "bulk-path-form", class: "inline-form", novalidate: true, on: { submit: (e) => { e.preventDefault(); this.#openTyped(); } } },
        el("div", { class: "inline-form__fields" },
          this.pathField.root,
          el("div", { class: "inline-form__submit" }, this.openButton))));

    // Progress of a plan or an apply: drawn from `state.busy`, which outlives this view (the
    // run goes on while another screen is shown, and this one shows it again when it comes back).
    this.progress = new ProgressPanel({
      idPrefix: "bulk-progress",
      ariaLabel: "Progress",
      describe: (busy) => ({ label: `${phaseLabel(busy)}…`, count: `${formatCount(busy.done)} of ${formatCount(busy.total)}` }),
      // A failed cancel is said on the screen now shown (the run may outlive this view).
      cancel: () => bulkCancel().catch((error) => this.state.view?.#showError(error)),
    });

    // 2. The plan.
    this.planTitle = el("h2", { id: "bulk-plan-title", class: "bulk-section__title", tabindex: "-1" });
    this.planMeta = el("p", { id: "bulk-plan-meta", class: "view-header__meta" });
    this.fileProblems = el("div", { id: "bulk-file-problems", class: "banner banner--error", hidden: true });
    this.warnings = el("div", { id: "bulk-warnings", class: "banner banner--warning", hidden: true });
    this.chart = el("div", { class: "bulk-chart" });
    this.filterButtons = [{ key: null, label: "All" }, ...OUTCOMES].map((o) => el("button", {
      type: "button", class: "filter-button", dataset: { outcome: o.key ?? "all" }, "aria-pressed": "false",
      on: { click: () => this.#filter(o.key) },
    }, el("span", { class: "filter-button__label", text: o.label }), el("span", { class: "filter-button__count" })));
    this.nextErrorButton = el("button", {
      id: "bulk-next-error", type: "button", class: "button button--secondary", "aria-keyshortcuts": "N",
      on: { click: () => this.#nextError() },
    }, "Next error ", el("kbd", { text: "N" }));
    this.pager = new OffsetPager({ idPrefix: "bulk-page", pageSize: PAGE_SIZE, onPage: () => { this.state.offset = this.pager.offset; this.#loadRows(); } });
    this.columns = [
      { label: "Row", key: "row", numeric: true },
      { label: "Action", key: "action" },
      { label: "Username", key: "username" },
      { label: "Outcome", key: "outcome" },
      { label: "Changes (old → new)", key: "changes" },
      { label: "Problems", key: "problems" },
    ];
    this.rowsTable = tableShell({ id: "bulk-rows-table", caption: "Planned rows", columns: this.columns });
    this.rowsTable.table.classList.add("table--plan");
    this.skipBox = el("input", {
      id: "bulk-skip-invalid", type: "checkbox", class: "checkbox", "aria-describedby": "bulk-skip-hint",
      on: { change: () => { this.state.skipInvalid = this.skipBox.checked; this.#renderApply(); } },
    });
    this.skipField = el("div", { class: "bulk-apply__skip" },
      el("label", { class: "checkbox-label" }, this.skipBox, el("span", { class: "field__label", text: "Skip rows with errors" })),
      el("p", { id: "bulk-skip-hint", class: "field__hint", text: "Only the rows without errors are applied. Save the failed rows afterwards, fix them and import them again." }));
    this.applyButton = el("button", {
      id: "bulk-apply", type: "button", class: "button", text: "Apply", "aria-describedby": "bulk-apply-reason",
      on: { click: () => this.#applyClicked() },
    });
    this.applyReason = el("p", { id: "bulk-apply-reason", class: "bulk-apply__reason" });
    this.applyPanel = el("section", { id: "bulk-apply-panel", class: "panel bulk-apply", "aria-labelledby": "bulk-apply-title" },
      el("h3", { id: "bulk-apply-title", class: "panel__title", text: "Apply the plan" }),
      el("p", { class: "bulk-apply__text", text: "Every change is made in one go, or none is. The batch can be undone from History." }),
      this.skipField,
      el("div", { class: "bulk-apply__row" }, this.applyButton, this.applyReason));
    this.planSection = el("section", { id: "bulk-plan", class: "bulk-section", "aria-labelledby": "bulk-plan-title", hidden: true },
      el("div", { class: "bulk-section__header" }, this.planTitle, this.planMeta),
      this.fileProblems,
      this.warnings,
      this.planBody = el("div", { class: "bulk-plan__body" },
        this.chart,
        el("div", { class: "toolbar bulk-toolbar" },
          el("div", { class: "filter-group", role: "group", "aria-label": "Show rows" },
            el("span", { class: "toolbar__label filter-group__label", "aria-hidden": "true", text: "Show" }),
            this.filterButtons),
          el("div", { class: "bulk-toolbar__next" }, this.nextErrorButton),
          this.pager.root),
        this.rowsTable.wrap,
        el("p", { class: "bulk-keys toolbar__hint" }, "Press ", el("kbd", { text: "N" }), " (outside a text field) to go to the next row with an error."),
        this.applyPanel));

    // 3. The results.
    this.resultTitle = el("h2", { id: "bulk-result-title", class: "bulk-section__title", tabindex: "-1" });
    this.resultBody = el("div", { class: "bulk-result__body" });
    this.saveResultsButton = el("button", { id: "bulk-save-results", type: "button", class: "button button--secondary", text: "Save results", on: { click: () => this.#saveResults(false) } });
    this.saveFailedButton = el("button", { id: "bulk-save-failed", type: "button", class: "button button--secondary", text: "Save failed rows", on: { click: () => this.#saveResults(true) } });
    this.resultSection = el("section", { id: "bulk-result", class: "panel bulk-result", "aria-labelledby": "bulk-result-title", hidden: true },
      this.resultTitle,
      this.resultBody,
      el("div", { class: "button-row" }, this.saveResultsButton, this.saveFailedButton),
      el("p", { class: "toolbar__hint", text: "Results: the file's columns plus Result and Message for each row. Failed rows: only the rows that were not applied, in the file's own columns, ready to fix and import again." }));

    replaceChildren(this.root,
      el("div", { class: "view-header" }, el("h1", { class: "view-title", tabindex: "-1", text: "Bulk import" })),
      el("p", { class: "view-intro", text: "Add, update and delete many users from a CSV file. Roster shows exactly what each row would change before anything changes." }),
      this.summary.root,
      filePanel,
      this.progress.root,
      this.resultSection,
      this.planSection,
      this.history.root);
  }

  // ---- rendering from state ------------------------------------------------------------------

  #render() {
    this.pathField.value = this.state.path;
    this.#renderPlan();
    this.#renderResult();
    this.#renderBusy();
  }

  #renderPlan() {
    const plan = this.state.plan;
    // An applied plan is spent: its rows would now be compared with the users it made. The
    // results say what it did.
    this.planSection.hidden = !plan || Boolean(this.state.result);
    if (!plan) return;
    this.planTitle.textContent = `Plan of ${plan.fileName}`;
    this.planMeta.textContent = `${rows(plan.rows)} · ${users(plan.userCount)} in the workspace now`;

    // A file that cannot be used has no rows to show: only why.
    this.fileProblems.hidden = !plan.fileProblems.length;
    this.planBody.hidden = plan.fileProblems.length > 0;
    replaceChildren(this.fileProblems,
      el("p", { class: "strong", text: "This file cannot be used:" }),
      el("ul", { class: "notice-list" }, plan.fileProblems.map((p) => el("li", { dataset: { code: p.code }, text: p.message }))));
    this.warnings.hidden = !plan.warnings.length;
    replaceChildren(this.warnings,
      el("p", { class: "strong", text: `${plan.warnings.length === 1 ? "Warning" : "Warnings"}: the rest of the file is planned` }),
      el("ul", { class: "notice-list" }, plan.warnings.map((w) => el("li", { dataset: { code: w.code, column: w.column ?? "" }, text: w.message }))));

    replaceChildren(this.chart, planSummary(plan));
    for (const button of this.filterButtons) {
      const key = button.dataset.outcome === "all" ? null : button.dataset.outcome;
      const count = key ? plan.summary[key] ?? 0 : plan.rows;
      button.querySelector(".filter-button__count").textContent = formatCount(count);
      button.setAttribute("aria-pressed", String(key === this.state.filter));
      button.setAttribute("aria-label", `${key ? OUTCOME_LABELS[key] : "All rows"}: ${rows(count)}`);
    }
    this.rowsTable.caption.textContent = `Rows of ${plan.fileName}${this.state.filter ? `: ${OUTCOME_LABELS[this.state.filter]}` : ""}`;
    this.#renderApply();
  }

  /** Apply: what it does, or why it cannot. */
  #renderApply() {
    const plan = this.state.plan;
    if (!plan) return;
    const { create, update, delete: deletes, error } = plan.summary;
    const applied = Boolean(this.state.result);
    this.applyPanel.hidden = applied || plan.fileProblems.length > 0;
    this.skipField.hidden = !error;
    this.skipBox.checked = this.state.skipInvalid;
    let reason = "";
    if (error && !this.state.skipInvalid) {
      reason = `${rows(error)} ${error === 1 ? "has" : "have"} errors. Fix the file and open it again, or tick “Skip rows with errors”.`;
    }
    const blocked = Boolean(reason) || Boolean(this.state.busy);
    this.applyButton.disabled = blocked;
    this.applyButton.textContent = `Apply: create ${formatCount(create)}, update ${formatCount(update)}, delete ${formatCount(deletes)}`;
    this.applyReason.textContent = reason
      || (this.state.skipInvalid && error ? `The ${rows(error)} with errors ${error === 1 ? "is" : "are"} skipped.` : "");
    this.applyReason.classList.toggle("bulk-apply__reason--blocked", Boolean(reason));
  }

  #renderResult() {
    const result = this.state.result;
    this.resultSection.hidden = !result;
    if (!result) return;
    this.resultTitle.textContent = `${this.state.plan.fileName}: ${result.undone ? "applied, then undone" : "applied"}`;
    const counts = [["created", "Created"], ["updated", "Updated"], ["deleted", "Deleted"], ["unchanged", "Unchanged"], ["failed", "Failed (not applied)"]];
    replaceChildren(this.resultBody,
      el("p", { class: "bulk-result__batch" }, "Batch ", el("code", { id: "bulk-batch-id", text: result.batchId ?? "none" }),
        result.undone ? " · undone from History" : result.batchId ? " · undo it from History below" : " · nothing was changed"),
      el("dl", { id: "bulk-result-counts", class: "result-counts" }, counts.map(([key, label]) => el("div", { class: `result-counts__item result-counts__item--${key}` },
        el("dt", { text: label }),
        el("dd", { id: `bulk-result-${key}`, dataset: { value: String(result[key] ?? 0) }, text: formatCount(result[key] ?? 0) })))),
      result.alert?.message ? el("p", { id: "bulk-alert", class: "muted", dataset: { status: result.alert.status }, text: result.alert.message }) : null);
    this.saveFailedButton.disabled = !result.failed;
    this.saveFailedButton.title = result.failed ? "" : "No row failed";
  }

  /** Progress, Cancel, and which controls wait while a plan or an apply runs. */
  #renderBusy() {
    const busy = this.state.busy;
    this.progress.attach(busy);
    for (const control of [this.chooseButton, this.openButton, this.templateButton, this.nextErrorButton, this.skipBox,
      this.saveResultsButton, ...this.filterButtons]) {
      control.disabled = Boolean(busy);
    }
    if (busy) {
      this.pager.prev.disabled = true;
      this.pager.nextButton.disabled = true;
    } else if (this.state.plan) {
      this.pager.update({ total: this.pager.total, shown: this.rowsTable.tbody.querySelectorAll("tr[data-row]").length });
      if (this.state.result) this.saveFailedButton.disabled = !this.state.result.failed;
    }
    this.history.setBusy(Boolean(busy));
    this.#renderApply();
  }

  // ---- the file ------------------------------------------------------------------------------

  async #choose() {
    if (this.state.busy) return;
    this.summary.clear();
    try {
      const path = await chooseOpenFile();
      if (!path) return;
      this.state.path = path;
      this.pathField.value = path;
      await this.#open(path);
    } catch (error) {
      this.#showError(error);
    }
  }

  async #openTyped() {
    if (this.state.busy) return;
    this.summary.clear();
    this.pathField.clearError();
    const path = this.pathField.value.trim();
    if (!path) {
      // Which file to open is a question for the admin, not a rule of the core: say so here.
      this.pathField.setError("Enter the path of a CSV file, or use “Choose file…”");
      this.summary.showFields([{ field: "path", message: "Enter the path of a CSV file, or use “Choose file…”" }], () => "bulk-path");
      return;
    }
    await this.#open(path);
  }

  async #saveTemplate() {
    if (this.state.busy) return;
    this.summary.clear();
    try {
      const path = await chooseSaveFile(TEMPLATE_NAME);
      if (!path) return;
      const saved = await bulkSaveTemplate(path);
      announce(`Saved the sample file to ${saved.path}`);
    } catch (error) {
      this.#showError(error);
    }
  }

  /** Plans the file at `path`; the shell keeps it as the open plan. */
  async #open(path) {
    const state = this.state;
    const onProgress = BulkView.#begin(state, { kind: "open", phase: "reading" });
    try {
      const plan = await bulkOpen(path, onProgress);
      state.plan = plan;
      state.planPath = path;
      state.result = null;
      state.filter = null;
      state.offset = 0;
      state.skipInvalid = false;
      state.busy = null;
      const view = state.view;
      announce(plan.fileProblems.length ? `${plan.fileName} cannot be used: see why below` : `Planned ${plan.fileName}: ${rows(plan.rows)}`);
      if (!view) return;
      view.summary.clear();
      view.#render();
      await view.#loadRows();
      view.planTitle.focus();
    } catch (error) {
      state.busy = null;
      state.view?.#render();
      if (error.code === "cancelled") announce("Cancelled: no file was opened");
      else state.view?.#showError(error);
    }
  }

  // ---- the plan's rows -----------------------------------------------------------------------

  #filter(outcome) {
    if (this.state.busy) return;
    this.state.filter = outcome;
    this.state.offset = 0;
    this.#renderPlan();
    this.#loadRows();
  }

  /** Fetches the current page of rows; answers to an older request are dropped. */
  async #loadRows() {
    if (!this.state.plan) return;
    const id = ++this.#requestId;
    this.pager.offset = this.state.offset;
    this.rowsTable.table.setAttribute("aria-busy", "true");
    try {
      const page = await bulkRows(this.state.filter, this.state.offset, PAGE_SIZE);
      if (id !== this.#requestId) return;
      // A page past the end (the filter shrank): show the last one instead.
      if (!page.rows.length && page.total > 0 && this.state.offset > 0) {
        this.pager.showIndex(page.total - 1);
        this.state.offset = this.pager.offset;
        await this.#loadRows();
        return;
      }
      this.rowsTable.tbody.replaceChildren(...page.rows.map((r) => planRow(r)));
      if (!page.rows.length) {
        this.rowsTable.tbody.append(emptyRow(this.columns.length, this.state.filter
          ? `No row is planned as “${OUTCOME_LABELS[this.state.filter]}”.`
          : "The file has no rows to plan."));
      }
      this.pager.update({ total: page.total, shown: page.rows.length, empty: "No rows" });
      if (this.state.busy) this.#renderBusy();
    } catch (error) {
      if (id !== this.#requestId) return;
      // not_found: the shell holds no plan (restarted): forget ours.
      if (error.code === "not_found") {
        this.state.plan = null;
        this.state.result = null;
        this.#render();
      }
      this.#showError(error);
    } finally {
      if (id === this.#requestId) this.rowsTable.table.setAttribute("aria-busy", "false");
    }
  }

  /** Goes to the page holding the next row with an error and focuses that row. */
  async #nextError() {
    if (!this.state.plan || this.state.result || this.state.busy) return;
    const focusedRow = document.activeElement?.closest?.("#bulk-rows-table tr[data-row]");
    const after = Number(focusedRow?.dataset.row ?? this.lastErrorRow ?? 0);
    try {
      const next = await bulkNextError(after);
      if (!next) {
        announce("This plan has no rows with errors");
        return;
      }
      this.lastErrorRow = next.row;
      // In the Errors filter the row is at its place among errors; otherwise among all rows.
      if (this.state.filter !== "error" && this.state.filter !== null) {
        this.state.filter = null;
        this.#renderPlan();
      }
      this.pager.showIndex(this.state.filter === "error" ? next.errorIndex : next.index);
      if (this.pager.offset !== this.state.offset || !this.#rowElement(next.row)) {
        this.state.offset = this.pager.offset;
        await this.#loadRows();
      }
      const row = this.#rowElement(next.row);
      if (!row) return;
      for (const current of this.rowsTable.tbody.querySelectorAll(".is-current")) current.classList.remove("is-current");
      row.classList.add("is-current");
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "center" });
      const count = this.state.plan.summary.error;
      announce(`Row ${formatCount(next.row)}: error ${formatCount(next.errorIndex + 1)} of ${formatCount(count)}`);
    } catch (error) {
      this.#showError(error);
    }
  }

  #rowElement(row) {
    return this.rowsTable.tbody.querySelector(`tr[data-row="${row}"]`);
  }

  #onKey(event) {
    if (event.key !== "n" && event.key !== "N") return;
    if (event.ctrlKey || event.metaKey || event.altKey || typingTarget(event)) return;
    if (!this.state.plan || this.planSection.hidden) return;
    event.preventDefault();
    this.#nextError();
  }

  // ---- apply ---------------------------------------------------------------------------------

  async #applyClicked() {
    const plan = this.state.plan;
    if (!plan || this.state.busy || this.applyButton.disabled) return;
    this.summary.clear();
    if (!plan.deletesNeedConfirmation) {
      await this.#apply(null);
      return;
    }
    const n = plan.summary.delete;
    let names = [];
    try {
      names = (await bulkRows("delete", 0, 20)).rows.map((r) => r.username);
    } catch (error) {
      this.#showError(error);
      return;
    }
    confirmDeletion({
      count: n,
      typed: true,
      title: `Delete ${users(n)}?`,
      body: [
        el("p", { text: `This plan deletes ${users(n)} of the ${users(plan.userCount)} in the workspace, together with their group memberships, roles and sessions.` }),
        el("ul", { id: "confirm-delete-list", class: "name-list", "aria-label": "Users to delete", tabindex: "0" },
          names.map((u) => el("li", { text: u })),
          n > names.length ? el("li", { class: "name-list__more", text: `and ${formatCount(n - names.length)} more (filter the plan by Delete)` }) : null),
      ],
      warning: "The deletions are part of the batch: Undo in History re-creates these users.",
      confirmLabel: `Apply and delete ${users(n)}`,
      countHint: "The number of users this plan deletes. The Apply button works once it matches.",
      returnFocus: () => this.applyButton,
      onConfirm: (d, confirmed) => {
        d.close();
        this.#apply(confirmed);
      },
    });
  }

  async #apply(confirmedDeletes) {
    const state = this.state;
    const plan = state.plan;
    const onProgress = BulkView.#begin(state, { kind: "apply", phase: "" });
    try {
      const result = await bulkApply(Boolean(state.skipInvalid && plan.summary.error), confirmedDeletes, onProgress);
      state.result = result;
      state.busy = null;
      announce(result.batchId
        ? `Applied batch ${result.batchId}: created ${users(result.created)}, updated ${users(result.updated)}, deleted ${users(result.deleted)}`
        : "Nothing was changed");
      refreshWorkspace().catch(() => {});
      const view = state.view;
      if (!view) return;
      view.#render();
      await view.history.load();
      view.resultTitle.focus();
    } catch (error) {
      state.busy = null;
      const view = state.view;
      view?.#render();
      switch (error.code) {
        case "cancelled":
          announce("Cancelled: nothing was changed");
          view?.applyButton.focus();
          break;
        default:
          view?.#showError(error);
      }
    }
  }

  // ---- results -------------------------------------------------------------------------------

  async #saveResults(failedOnly) {
    if (this.state.busy || !this.state.plan) return;
    this.summary.clear();
    const name = `${stem(this.state.plan.fileName)}-${failedOnly ? "failed" : "results"}.csv`;
    try {
      const path = await chooseSaveFile(name);
      if (!path) return;
      const saved = await bulkSaveResults(path, failedOnly);
      announce(`Saved ${rows(saved.rows)} to ${saved.path}`);
    } catch (error) {
      this.#showError(error);
    }
  }

  /** After an undo from History: the results of that batch say it was undone. */
  #afterUndo(batchId) {
    const result = this.state.result;
    if (result && result.batchId === batchId) {
      result.undone = true;
      this.#renderResult();
    }
  }

  /**
   * A plan or an apply begins from this screen: `state` holds it busy (it outlives the view), the
   * view on screen shows its progress with Cancel focused. Returns what takes the shell's progress.
   * @param {{kind: "open"|"apply", phase: string}} work
   */
  static #begin(state, work) {
    clearNotice();
    const busy = { ...work, done: 0, total: 0, cancelling: false };
    state.busy = busy;
    state.view?.#renderBusy();
    state.view?.progress.focus();
    return (p) => BulkView.#progressed(state, busy, p);
  }

  /** A progress message of `busy` from the shell: kept in `state`, drawn by the view on screen (if any). */
  static #progressed(state, busy, { phase, done, total }) {
    if (state.busy !== busy) return; // its run is over (a message that came late)
    Object.assign(busy, { phase, done, total });
    state.view?.progress.update();
  }

  /** A failed command: field problems listed (the path links to its field), else its message. */
  #showError(error) {
    if (error.code === "stale") {
      // The workspace changed since the plan: its rows no longer say what applying would do.
      this.summary.showMessage(error.message, [{
        label: "Plan the file again", id: "bulk-replan",
        onClick: () => { this.summary.clear(); this.#open(this.state.planPath); },
      }]);
      return;
    }
    const fields = error.fields ?? [];
    if (fields.length) {
      if (fields.some((f) => f.field === "path")) this.pathField.setError(fields.filter((f) => f.field === "path").map((f) => f.message));
      this.summary.showFields(fields, (field) => (field === "path" ? "bulk-path" : ""), error.message);
    } else {
      this.summary.showMessage(error.message);
    }
  }
}

/** One planned row: number, action, username, outcome, field changes (old → new), problems. */
function planRow(r) {
  return el("tr", { tabindex: "-1", dataset: { row: String(r.row), outcome: r.outcome, username: r.username ?? "" } },
    el("td", { class: "num cell-row", text: formatCount(r.row) }),
    el("td", { class: "cell-action" }, r.action
      ? el("span", { class: "action-tag", dataset: { action: r.action === "add" ? "create" : r.action }, text: ACTION_LABELS[r.action] ?? r.action })
      : el("span", { class: "muted", text: "—" })),
    el("td", { class: "cell-username", title: r.username || null, text: r.username || "—" }),
    el("td", { class: "cell-outcome" }, el("span", { class: "outcome-tag", dataset: { outcome: r.outcome }, text: OUTCOME_LABELS[r.outcome] ?? r.outcome })),
    el("td", { class: "cell-changes" }, r.changes.length
      ? el("ul", { class: "diff-list" }, r.changes.map((c) => el("li", { class: "diff", dataset: { field: c.field } },
        el("span", { class: "diff__field", text: fieldLabel(c.field) }), ": ",
        r.outcome === "create" || c.old === null
          ? null
          : [el("del", { class: "diff__old", text: showValue(c.old) }), el("span", { class: "diff__arrow", text: " → " })],
        el("ins", { class: "diff__new", text: showValue(c.new) }))))
      : null),
    el("td", { class: "cell-problems" }, r.problems.length
      ? el("ul", { class: "problem-list" }, r.problems.map((p) => el("li", { class: "problem", dataset: { code: p.code, column: p.column } },
        p.column ? [el("span", { class: "problem__column", text: p.column }), ": "] : null,
        p.message)))
      : null));
}
