// The History section of the Bulk import screen: every batch applied from a file, newest first
// (when, who, which file, what it did, whether it was undone), each with "Undo". Undo asks first;
// when users the batch touched have changed since, the core refuses (code conflict, one field per
// user) and the dialog lists them and offers "Undo anyway", which puts them back as they were
// before the batch.
import { bulkHistory, bulkUndo } from "../api.js";
import { el } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { refreshWorkspace } from "../workspace.js";
import { openDialog } from "./action-dialog.js";
import { emptyRow, tableShell } from "./table.js";

const users = (n) => `${formatCount(n)} ${n === 1 ? "user" : "users"}`;

/** "removes the 3 users it created, reverts 1 updated user" — only the parts that apply. */
function undoEffects(batch) {
  const parts = [];
  if (batch.created) parts.push(`removes the ${users(batch.created)} it created`);
  if (batch.updated) parts.push(`puts back the ${users(batch.updated)} it updated as they were`);
  if (batch.deleted) parts.push(`re-creates the ${users(batch.deleted)} it deleted, with their groups, roles, attributes and passwords`);
  return parts;
}

export class BulkHistory {
  /**
   * @param {{busy: () => boolean, undone: (batchId: string) => void}} hooks
   *        `busy`: a plan or an apply runs (undo waits); `undone(batchId)`: after an undo
   */
  constructor({ busy, undone }) {
    this.hooks = { busy, undone };
    this.columns = [
      { label: "Applied", key: "when" },
      { label: "By", key: "actor" },
      { label: "File", key: "file" },
      { label: "Rows", key: "n", numeric: true },
      { label: "Created", key: "n", numeric: true },
      { label: "Updated", key: "n", numeric: true },
      { label: "Deleted", key: "n", numeric: true },
      { label: "Failed", key: "n", numeric: true },
      { label: "Undo", key: "undo-state" },
    ];
    this.list = tableShell({ id: "bulk-history-table", caption: "Batches applied from files, newest first", columns: this.columns });
    this.list.table.classList.add("table--history");
    this.problem = el("p", { id: "bulk-history-error", class: "field-error", role: "alert", hidden: true });
    this.root = el("section", { id: "bulk-history", class: "bulk-section", "aria-labelledby": "bulk-history-title" },
      el("h2", { id: "bulk-history-title", class: "bulk-section__title", tabindex: "-1", text: "History" }),
      el("p", { class: "view-intro", text: "Each batch is one change to the workspace. Undo puts every user it touched back as they were before it." }),
      this.problem,
      this.list.wrap);
  }

  async load() {
    this.list.table.setAttribute("aria-busy", "true");
    try {
      const batches = await bulkHistory();
      this.problem.hidden = true;
      this.list.tbody.replaceChildren(...batches.map((b) => this.#row(b)));
      if (!batches.length) this.list.tbody.append(emptyRow(this.columns.length, "No batch has been applied yet."));
    } catch (error) {
      this.problem.textContent = error.message;
      this.problem.hidden = false;
    } finally {
      this.list.table.setAttribute("aria-busy", "false");
    }
  }

  /** Makes every Undo button wait while a plan or an apply runs. */
  setBusy(busy) {
    for (const button of this.list.tbody.querySelectorAll(".bulk-undo")) button.disabled = busy;
  }

  #row(batch) {
    return el("tr", { dataset: { batch: batch.id, undone: String(Boolean(batch.undoneAt)) } },
      el("td", { class: "cell-when" }, el("time", { datetime: batch.appliedAt, title: formatDateTime(batch.appliedAt), text: formatDateTime(batch.appliedAt) })),
      el("td", { class: "cell-actor", text: batch.actor }),
      el("td", { class: "cell-file", title: `${batch.fileName}\nBatch ${batch.id}` },
        el("span", { class: "strong", text: batch.fileName }),
        el("span", { class: "batch-id", text: batch.id })),
      ["rows", "created", "updated", "deleted", "failed"].map((k) => el("td", { class: `num cell-${k}`, text: formatCount(batch[k]) })),
      el("td", { class: "cell-undo-state" }, batch.undoneAt
        ? el("span", { class: "muted", title: formatDateTime(batch.undoneAt) }, `Undone ${formatDate(batch.undoneAt)}`, batch.undoneBy ? ` by ${batch.undoneBy}` : "")
        : el("button", {
          type: "button", class: "button button--small button--secondary bulk-undo", text: "Undo",
          disabled: this.hooks.busy(), "aria-label": `Undo batch ${batch.id} (${batch.fileName})`,
          on: { click: (e) => this.#undo(batch, e.currentTarget) },
        })));
  }

  /** Asks, undoes; on a conflict lists the users changed since and offers "Undo anyway". */
  #undo(batch, button) {
    if (this.hooks.busy()) return;
    const effects = undoEffects(batch);
    let force = false;
    openDialog({
      title: `Undo the batch from ${batch.fileName}?`,
      intro: `Batch ${batch.id}, applied ${formatDateTime(batch.appliedAt)} by ${batch.actor}.`,
      body: [
        el("p", { text: effects.length ? `Undoing it ${effects.join(", ")}.` : "The batch changed no user, so undoing it changes nothing." }),
        el("p", { text: "If a user it touched has changed since, nothing is undone and you see who first." }),
      ],
      submitLabel: "Undo batch",
      returnFocus: () => (button.isConnected ? button : document.getElementById("bulk-history-title")),
      onSubmit: async (d) => {
        const outcome = await d.run(async () => {
          try {
            return { undone: await bulkUndo(batch.id, force) };
          } catch (error) {
            if (error.code === "conflict" && !force) return { conflict: error };
            throw error;
          }
        });
        if (outcome?.conflict) {
          force = true;
          this.#showConflict(d, outcome.conflict);
        } else if (outcome?.undone) {
          const u = outcome.undone;
          d.returnFocus = () => document.getElementById("bulk-history-title");
          d.close();
          announce(`Undid the batch from ${batch.fileName}: removed ${users(u.removed)}, reverted ${users(u.reverted)}, re-created ${users(u.restored)}`);
          refreshWorkspace().catch(() => {});
          await this.load();
          this.hooks.undone(batch.id);
        }
      },
    });
  }

  /** The users changed since the batch (the conflict's fields: field = username) and "Undo anyway". */
  #showConflict(dialog, error) {
    const changed = error.fields ?? [];
    dialog.setBody(
      el("p", { id: "bulk-undo-conflict-message", class: "dialog__warning", text: error.message }),
      el("ul", { id: "bulk-undo-conflicts", class: "name-list name-list--wide", "aria-label": "Users changed since the batch", tabindex: "0" },
        changed.map((f) => el("li", { dataset: { username: f.field }, text: f.message }))),
      el("p", { text: "Undo anyway puts these users back as they were before the batch too: their later changes are lost." }));
    // "taken": a deleted user's username or email is someone else's now; undo anyway cannot help.
    if (changed.some((f) => f.code === "taken")) {
      dialog.setBody(
        el("p", { id: "bulk-undo-conflict-message", class: "dialog__warning", text: error.message }),
        el("ul", { id: "bulk-undo-conflicts", class: "name-list name-list--wide", "aria-label": "Users who cannot be re-created", tabindex: "0" },
          changed.map((f) => el("li", { dataset: { username: f.field }, text: f.message }))),
        el("p", { text: "Rename or delete the users who hold those usernames or emails now, then undo again." }));
      dialog.setActions();
    } else {
      dialog.setActions(el("button", { id: "bulk-undo-force", type: "submit", class: "button button--danger", text: "Undo anyway" }));
    }
    document.getElementById("bulk-undo-conflicts")?.focus();
  }
}
