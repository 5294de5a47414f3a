// The Sync screen (#/sync): where the workspace stands with its linked remote directory (changes
// waiting, conflicts, last pull and push), Pull, Plan (what Push would send, as a table), Push with
// a progress bar and Cancel and then every operation's result, and the conflicts: per field, mine
// (this workspace), theirs (the remote) and base (what both last agreed on), resolved per field with
// a radio per row, or whole (sync-conflict.js).
// Started on an empty root element. Sentences about users, fields and the server come from the
// core; this module counts, labels and places them.
import { syncCancel, syncConflicts, syncPlan, syncPull, syncPush, syncResolve } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { currentSyncStatus, refreshSyncStatus } from "../sync-status.js";
import { refreshWorkspace } from "../workspace.js";
import { ErrorSummary } from "./error-summary.js";
import { ProgressPanel } from "./progress-panel.js";
import { ENTITY_LABELS, PushHistory, resultRow } from "./push-history.js";
import { ROSTER_FIELDS, scimSentence } from "./remotes-view.js";
import { choiceId, conflictPanel, fieldLabel } from "./sync-conflict.js";
import { emptyRow, tableShell } from "./table.js";

export const REMOTES_ROUTE = "#/settings/remotes";

const OPERATION_LABELS = { create: "Create", patch: "Update", delete: "Delete", held: "Held: conflict" };

/** What a progress phase is, and what its counts count. */
const PHASES = {
  "reading users": { label: (r) => `Reading users from ${r}`, unit: "users" },
  "reading groups": { label: (r) => `Reading groups from ${r}`, unit: "groups" },
  merging: { label: () => "Merging into the workspace", unit: "users and groups" },
  pushing: { label: (r) => `Pushing changes to ${r}`, unit: "operations" },
};

const plural = (n, one, many) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startSyncView(root) {
  const view = new SyncView(root);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class SyncView {
  constructor(root) {
    this.root = root;
    this.busy = false;
    this.status = currentSyncStatus();
    this.onStatus = ({ detail }) => this.#renderStatus(detail);
    document.addEventListener("roster:sync", this.onStatus);

    this.remoteLine = el("p", { id: "sync-remote", class: "view-header__meta" });
    this.summary = new ErrorSummary(el("div", { id: "sync-errors" }));
    this.notLinked = el("div", { id: "sync-not-linked", class: "banner banner--warning", hidden: true },
      el("p", { class: "strong", text: "This workspace is local only." }),
      el("p", {}, "Link it to a remote directory in ", el("a", { href: REMOTES_ROUTE, text: "Settings → Remotes" }), "; from then on every change waits here for a push."));
    this.counts = el("dl", { id: "sync-counts", class: "result-counts" });
    this.pull = el("button", { id: "sync-pull", type: "button", class: "button button--secondary", text: "Pull", "aria-describedby": "sync-pull-hint", on: { click: () => this.#pull() } });
    this.plan = el("button", { id: "sync-plan", type: "button", class: "button button--secondary", text: "Plan", "aria-describedby": "sync-plan-hint", on: { click: () => this.#plan() } });
    this.push = el("button", { id: "sync-push", type: "button", class: "button", text: "Push", "aria-describedby": "sync-push-hint", on: { click: () => this.#push() } });
    this.progress = new SyncProgress("sync-progress");
    this.result = el("div", { id: "sync-result-slot" });
    this.planSlot = el("div", { id: "sync-plan-slot" });
    this.conflicts = el("section", { id: "sync-conflicts", class: "sync-conflicts", "aria-labelledby": "sync-conflicts-title", hidden: true });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Sync" }),
        this.remoteLine),
      el("p", { class: "view-intro", text: "Changes you make wait here until you push them. Pull first to take in what changed on the remote directory: where both sides changed the same user or group, you choose which version to keep." }),
      this.summary.root,
      this.notLinked,
      el("section", { class: "panel sync-status", "aria-labelledby": "sync-status-title" },
        el("h2", { id: "sync-status-title", class: "panel__title", text: "Where things stand" }),
        this.counts,
        el("div", { class: "sync-actions" },
          el("div", { class: "sync-action" }, this.pull, el("p", { id: "sync-pull-hint", class: "sync-action__hint", text: "Take in the remote's users and groups" })),
          el("div", { class: "sync-action" }, this.plan, el("p", { id: "sync-plan-hint", class: "sync-action__hint", text: "See what Push would send; nothing is sent" })),
          el("div", { class: "sync-action" }, this.push, el("p", { id: "sync-push-hint", class: "sync-action__hint", text: "Send the waiting changes" })))),
      this.progress.root,
      this.result,
      this.conflicts,
      this.planSlot,
      (this.history = new PushHistory()).root);
  }

  destroy() {
    document.removeEventListener("roster:sync", this.onStatus);
  }

  async load() {
    if (this.status) this.#renderStatus(this.status);
    try {
      const status = await refreshSyncStatus();
      if (status.remote) await this.#loadConflicts();
    } catch (error) {
      this.summary.showMessage(error.message);
    }
    await this.history.load();
  }

  #renderStatus(s) {
    this.status = s;
    const linked = Boolean(s.remote);
    this.notLinked.hidden = linked;
    this.remoteLine.textContent = linked ? `Linked to ${s.remote}` : "Local only";
    const item = (key, term, value, text = formatCount(value)) => el("div", { class: `result-counts__item result-counts__item--${key}` },
      el("dt", { text: term }),
      el("dd", { id: `sync-count-${key}`, dataset: { value: String(value) }, text }));
    const time = (t) => (t ? formatDateTime(t) : "Never");
    replaceChildren(this.counts,
      item("pending", "Changes waiting", s.pending),
      item("conflicts", "Conflicts", s.conflicts),
      item("last-pull", "Last pull", s.lastPull ?? "", time(s.lastPull)),
      item("last-push", "Last push", s.lastPush ?? "", time(s.lastPush)));
    for (const b of [this.pull, this.plan, this.push]) b.setAttribute("aria-disabled", String(this.busy || !linked));
    this.root.querySelector("#sync-push-hint").textContent = !linked ? "Link a remote first"
      : s.pending ? `Send the ${plural(s.pending, "waiting change", "waiting changes")} to ${s.remote}` : "Nothing waits to be pushed";
  }

  #setBusy(busy) {
    this.busy = busy;
    if (this.status) this.#renderStatus(this.status);
    for (const b of this.conflicts.querySelectorAll("button")) b.setAttribute("aria-disabled", String(busy));
  }

  #canAct(button) {
    return !this.busy && button.getAttribute("aria-disabled") !== "true";
  }

  /** After a pull, push or resolve: the header, the user count and the conflicts, fetched again. */
  async #refreshAll() {
    await Promise.all([refreshSyncStatus().catch(() => {}), refreshWorkspace().catch(() => {}), this.#loadConflicts()]);
  }

  #showError(error, what) {
    if (error.code === "cancelled") {
      announce(`${what} cancelled: nothing changed`);
      this.summary.clear();
      replaceChildren(this.result, el("p", { id: "sync-cancelled", class: "banner banner--warning", text: `${what} cancelled before anything changed in the workspace.` }));
      return;
    }
    this.summary.showMessage(scimSentence(error), error.code === "not_configured" ? [{
      label: "Open Settings → Remotes", id: "sync-open-remotes", note: "Add or link a remote directory",
      onClick: () => { location.hash = REMOTES_ROUTE; },
    }] : []);
  }

  async #pull() {
    if (!this.#canAct(this.pull)) return;
    this.summary.clear();
    replaceChildren(this.result);
    this.#setBusy(true);
    let panel = null;
    try {
      const pulled = await this.progress.run(this.status.remote, (onProgress) => syncPull(onProgress));
      panel = pullResult(pulled);
      announce(pullLine(pulled));
      replaceChildren(this.planSlot); // a plan made before the pull may be out of date
    } catch (error) {
      this.#showError(error, "Pull");
    } finally {
      this.#setBusy(false);
      await this.#refreshAll();
    }
    if (panel) showPanel(this.result, panel);
  }

  async #plan() {
    if (!this.#canAct(this.plan)) return;
    this.summary.clear();
    this.#setBusy(true);
    try {
      const plan = await syncPlan();
      const panel = planPanel(plan);
      showPanel(this.planSlot, panel);
      announce(plan.operations.length ? `Push would send ${plural(plan.operations.length, "operation", "operations")} to ${plan.remote}` : "Push has nothing to send");
    } catch (error) {
      this.#showError(error, "Plan");
    } finally {
      this.#setBusy(false);
    }
  }

  async #push() {
    if (!this.#canAct(this.push)) return;
    this.summary.clear();
    replaceChildren(this.result);
    this.#setBusy(true);
    let panel = null;
    try {
      const pushed = await this.progress.run(this.status.remote, (onProgress) => syncPush(onProgress));
      panel = pushResult(pushed);
      announce(pushLine(pushed));
      replaceChildren(this.planSlot);
    } catch (error) {
      this.#showError(error, "Push");
    } finally {
      this.#setBusy(false);
      await this.#refreshAll();
    }
    if (panel) showPanel(this.result, panel);
    await this.history.load();
  }

  async #loadConflicts() {
    if (!this.status?.remote) {
      this.conflicts.hidden = true;
      return;
    }
    try {
      const conflicts = await syncConflicts();
      this.#renderConflicts(conflicts);
    } catch (error) {
      if (error.code === "not_configured") this.conflicts.hidden = true;
      else this.summary.showMessage(error.message);
    }
  }

  #renderConflicts(conflicts) {
    const remote = this.status?.remote ?? "the remote";
    this.conflicts.hidden = conflicts.length === 0;
    replaceChildren(this.conflicts,
      el("h2", { id: "sync-conflicts-title", class: "sync-section__title", tabindex: "-1", text: `Conflicts (${formatCount(conflicts.length)})` }),
      el("p", { class: "panel__text", text: `Both this workspace and ${remote} changed these since they last agreed (the base). Mine: your value goes to ${remote} with the next push. Theirs: ${remote}'s value replaces yours here.` }),
      conflicts.map((c) => conflictPanel(c, { remote, onResolve: (conflict, choice, button) => this.#resolve(conflict, choice, button) })));
  }

  async #resolve(conflict, choice, button) {
    if (!this.#canAct(button)) return;
    this.summary.clear();
    this.#setBusy(true);
    let done = false;
    try {
      const resolved = await syncResolve(conflict.id, choice.keep ?? null, choice.fields ?? null);
      done = true;
      const remote = this.status?.remote ?? "the remote";
      announce({
        mine: conflict.deletedOnRemote ? `${conflict.name} will be created again on ${remote} with the next push` : `Kept your version of ${conflict.name}: it goes with the next push`,
        theirs: conflict.deletedOnRemote ? `Deleted ${conflict.name} here, as on ${remote}` : `Kept ${remote}'s version of ${conflict.name}`,
      }[resolved.resolution] ?? `Resolved ${conflict.name} field by field: your fields go with the next push`);
    } catch (error) {
      if (error.code === "validation" && error.fields?.length) {
        // Each field still to choose (or unknown) links to its Keep mine radio.
        this.summary.showFields(error.fields, (field) => choiceId(conflict.id, field, "mine"), error.message);
        this.summary.root.focus();
      } else {
        this.#showError(error, "Resolve");
      }
    } finally {
      this.#setBusy(false);
      if (done) await this.#refreshAll();
    }
    if (!done) return;
    // Focus the next conflict, else the Push button (the usual next step).
    const next = this.conflicts.hidden ? null : this.conflicts.querySelector("article h3");
    (next ?? this.push).focus();
  }
}

/** The progress panel of a pull or push: the phase, a bar, and Cancel (focused while it runs). */
class SyncProgress {
  constructor(idPrefix) {
    this.panel = new ProgressPanel({
      idPrefix,
      ariaLabel: "Sync under way",
      describe: (busy) => {
        const phase = PHASES[busy.phase];
        return {
          label: busy.cancelling ? "Stopping…" : `${phase ? phase.label(busy.remote) : `Connecting to ${busy.remote}`}…`,
          count: `${formatCount(busy.done)} of ${formatCount(busy.total)} ${phase?.unit ?? ""}`.trim(),
        };
      },
      cancel: syncCancel,
    });
    this.root = this.panel.root;
  }

  /** Shows the panel (Cancel focused) while `work(onProgress)` runs; hides it after. */
  run(remote, work) {
    return this.panel.run({ remote }, work);
  }
}

/** Replaces `slot`'s content with `panel`, focusing its title with the panel in view. */
function showPanel(slot, panel) {
  replaceChildren(slot, panel);
  panel.querySelector("h2")?.focus({ preventScroll: true });
  panel.scrollIntoView({ block: "nearest" });
}

function pullLine(p) {
  const conflicts = p.users.conflicts + p.groups.conflicts;
  const changed = p.users.created + p.users.updated + p.users.deleted + p.groups.created + p.groups.updated + p.groups.deleted;
  return `Pulled from ${p.remote}: ${changed ? plural(changed, "change", "changes") : "no changes"}${conflicts ? `, ${plural(conflicts, "conflict", "conflicts")} to resolve` : ""}`;
}

function pullResult(p) {
  const columns = [
    { label: "", key: "what" }, { label: "New", numeric: true }, { label: "Updated", numeric: true },
    { label: "Unchanged", numeric: true }, { label: "Removed", numeric: true }, { label: "Conflicts", numeric: true },
  ];
  const table = el("table", { id: "sync-pull-table", class: "table table--admin table--counts" },
    el("caption", { class: "visually-hidden", text: "What the pull changed, by users and groups" }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Kind" })), columns.slice(1).map((c) => el("th", { scope: "col", class: "num", text: c.label })))),
    el("tbody", {}, [["users", "Users", p.users], ["groups", "Groups", p.groups]].map(([key, label, n]) => el("tr", { dataset: { kind: key } },
      el("th", { scope: "row", text: label }),
      [n.created, n.updated, n.unchanged, n.deleted, n.conflicts].map((v, i) => el("td", { class: `num${i === 4 && v ? " sync-warn" : ""}`, text: formatCount(v) }))))));
  return el("section", { id: "sync-pull-result", class: "panel sync-result", "aria-labelledby": "sync-pull-result-title" },
    el("h2", { id: "sync-pull-result-title", class: "panel__title", tabindex: "-1", text: pullLine(p) }),
    el("div", { class: "table-wrap table-wrap--flow table-wrap--counts" }, table),
    p.localOnlyFields.length ? el("p", { class: "panel__text", text: `${p.remote} does not keep Roster's own fields: ${ROSTER_FIELDS} stay local only for this remote.` }) : null,
    p.problems.length ? [
      el("h3", { class: "send-result__subtitle", text: "Not taken as they are" }),
      el("ul", { id: "sync-pull-problems", class: "notice-list" }, p.problems.map((x) => el("li", {},
        el("span", { class: "strong", text: `${ENTITY_LABELS[x.entity] ?? x.entity} ${x.name}` }), `, ${fieldLabel(x.field)}: ${x.message}`))),
    ] : null);
}

function planPanel(plan) {
  const columns = [
    { label: "#", key: "n", numeric: true }, { label: "Kind", key: "entity" }, { label: "Name", key: "name" },
    { label: "Operation", key: "operation" }, { label: "Fields sent", key: "fields" },
  ];
  const { wrap, table, tbody } = tableShell({ id: "sync-plan-table", caption: `What Push would send to ${plan.remote}`, columns });
  table.classList.add("table--sync-plan");
  tbody.append(...plan.operations.map((op, i) => el("tr", { dataset: { name: op.name, operation: op.operation } },
    el("td", { class: "num", text: String(i + 1) }),
    el("td", { text: ENTITY_LABELS[op.entity] ?? op.entity }),
    el("th", { scope: "row", text: op.name }),
    el("td", {}, el("span", { class: `badge badge--op-${op.operation}`, text: OPERATION_LABELS[op.operation] ?? op.operation })),
    el("td", { class: "cell-fields" },
      op.operation === "delete" ? el("span", { class: "muted", text: "—" }) : op.fields.map(fieldLabel).join(", "),
      op.password ? el("span", { class: "badge badge--password", text: "with password" }) : null))));
  if (!plan.operations.length) tbody.append(emptyRow(columns.length, "Nothing to send: every change is on the remote already."));
  const counts = [
    plan.creates ? plural(plan.creates, "create", "creates") : null,
    plan.patches ? plural(plan.patches, "update", "updates") : null,
    plan.deletes ? plural(plan.deletes, "delete", "deletes") : null,
  ].filter(Boolean);
  return el("section", { id: "sync-plan-panel", class: "panel", "aria-labelledby": "sync-plan-title" },
    el("h2", { id: "sync-plan-title", class: "panel__title", tabindex: "-1", text: `Plan: what Push would send to ${plan.remote}` }),
    el("p", { class: "panel__text", text: [
      counts.length ? `${counts.join(", ")}.` : "Nothing to send.",
      plan.nothingToSend ? `${plural(plan.nothingToSend, "change cancels itself out", "changes cancel themselves out")} (made and undone offline) and will simply be cleared.` : "",
      plan.held ? `${plural(plan.held, "change waits", "changes wait")} until its conflict is resolved (below) and is not sent.` : "",
      plan.localOnlyFields.length ? `${ROSTER_FIELDS} stay local only for this remote.` : "",
    ].filter(Boolean).join(" ") }),
    wrap);
}

function pushLine(p) {
  const parts = [p.done ? `Pushed ${plural(p.done, "change", "changes")} to ${p.remote}` : `Nothing was pushed to ${p.remote}`];
  if (p.failed) parts.push(`${formatCount(p.failed)} failed`);
  if (p.conflicts) parts.push(`${plural(p.conflicts, "conflict", "conflicts")}`);
  if (p.notSent) parts.push(`${formatCount(p.notSent)} not sent`);
  if (p.held) parts.push(`${formatCount(p.held)} held for conflicts`);
  return `${parts.join("; ")}${p.cancelled ? " (cancelled)" : ""}`;
}

function pushResult(p) {
  const notes = [];
  if (p.cancelled) notes.push(`Cancelled: ${p.notSent ? `${plural(p.notSent, "change stays", "changes stay")} queued for the next push.` : "nothing was left to send."}`);
  if (p.stopped) notes.push(`The push stopped early: ${p.stopped} What was not sent stays queued for the next push.`);
  if (p.conflicts) notes.push(`${p.remote} changed ${p.conflicts === 1 ? "a user or group" : "users or groups"} since the last pull: resolve the conflicts below, then push again.`);
  if (p.failed) notes.push("Failed changes stay queued: fix what the server said, then push again.");
  const problem = p.failed || p.conflicts || p.notSent;
  const columns = [
    { label: "#", key: "n", numeric: true }, { label: "Kind", key: "entity" }, { label: "Name", key: "name" },
    { label: "Request", key: "method" }, { label: "Status", key: "status", numeric: true }, { label: "Result", key: "result" },
    { label: "Server's message", key: "message" },
  ];
  const { wrap, table, tbody } = tableShell({ id: "sync-results-table", caption: `The result of each operation sent to ${p.remote}`, columns });
  table.classList.add("table--sync-results");
  tbody.append(...p.results.map(resultRow));
  if (!p.results.length) tbody.append(emptyRow(columns.length, "Nothing was waiting to be sent."));
  const count = (key, term, value) => el("div", { class: `result-counts__item result-counts__item--${key}` },
    el("dt", { text: term }),
    el("dd", { id: `sync-push-${key}`, dataset: { value: String(value) }, text: formatCount(value) }));
  return el("section", { id: "sync-push-result", class: `panel sync-result${problem ? " sync-result--problem" : ""}`, "aria-labelledby": "sync-push-result-title" },
    el("h2", { id: "sync-push-result-title", class: "panel__title", tabindex: "-1", text: pushLine(p) }),
    el("dl", { class: "result-counts" },
      count("done", "Done", p.done),
      count("failed", "Failed", p.failed),
      count("conflicts", "Conflicts", p.conflicts),
      count("not-sent", "Not sent", p.notSent)),
    notes.map((text) => el("p", { class: "send-result__note", text })),
    el("p", { class: "panel__text", text: `${p.usedBulk ? "Sent as bulk requests" : "Sent one request at a time"}: ${plural(p.requests, "request", "requests")}, ${formatDateTime(p.pushedAt)}.` }),
    wrap);
}
