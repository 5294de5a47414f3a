// The progress panel of long work started from a screen (sending mails, a sync pull or push):
// a label, a bar with a count, and Cancel, focused while the work runs. The screen says what
// the label and the count read; the panel keeps the bar, the focus and the Cancel button.
import { el } from "../dom.js";

export class ProgressPanel {
  /**
   * @param {object} options
   * @param {string} options.idPrefix  ids: `<prefix>`, `<prefix>-label`, `-bar`, `-count`, `-cancel`
   * @param {string} options.ariaLabel  the panel's accessible name
   * @param {string} [options.className]  classes added to `panel bulk-progress`
   * @param {(busy: {phase: string, done: number, total: number, cancelling: boolean}) => {label: string, count: string}} options.describe
   *   the label and the count (shown while `total` is known) for the work's state; `busy` also
   *   holds what `run` was started with
   * @param {() => Promise<unknown>} options.cancel  asks the shell to stop
   */
  constructor({ idPrefix, ariaLabel, className = "", describe, cancel }) {
    this.busy = null;
    this.describe = describe;
    this.stop = cancel;
    this.label = el("p", { id: `${idPrefix}-label`, class: "bulk-progress__label" });
    this.bar = el("progress", { id: `${idPrefix}-bar`, class: "bulk-progress__bar", "aria-labelledby": `${idPrefix}-label`, "aria-describedby": `${idPrefix}-count` });
    this.count = el("p", { id: `${idPrefix}-count`, class: "bulk-progress__count" });
    this.cancel = el("button", { id: `${idPrefix}-cancel`, type: "button", class: "button button--secondary", text: "Cancel", on: { click: () => this.#cancel() } });
    this.root = el("div", { id: idPrefix, class: `panel bulk-progress ${className}`.trim(), role: "group", "aria-label": ariaLabel, hidden: true },
      el("div", { class: "bulk-progress__text" }, this.label, this.count),
      this.bar,
      this.cancel);
  }

  /**
   * Shows the panel (Cancel focused) while `work(onProgress)` runs; hides it after.
   * @template T
   * @param {object} start  what the work is, kept in `busy` for `describe`
   * @param {(onProgress: (p: {phase, done, total}) => void) => Promise<T>} work
   * @returns {Promise<T>}
   */
  async run(start, work) {
    this.busy = { ...start, phase: "", done: 0, total: 0, cancelling: false };
    this.#render();
    this.root.hidden = false;
    this.cancel.focus();
    try {
      return await work((p) => this.#progressed(p));
    } finally {
      this.busy = null;
      this.root.hidden = true;
    }
  }

  #progressed({ phase, done, total }) {
    if (!this.busy) return;
    Object.assign(this.busy, { phase: phase ?? this.busy.phase, done, total });
    this.#render();
  }

  // Texts are written only when they change: replacing the text node under a pressed pointer
  // makes WebKit drop the click (the press and the release no longer share a node).
  #render() {
    const busy = this.busy;
    if (!busy) return;
    const { label, count } = this.describe(busy);
    setText(this.label, label);
    this.root.dataset.phase = busy.phase;
    if (busy.total > 0) {
      this.bar.max = busy.total;
      this.bar.value = Math.min(busy.done, busy.total);
      setText(this.count, count);
    } else {
      this.bar.removeAttribute("value"); // indeterminate until the shell counts the work
      setText(this.count, "");
    }
    setText(this.cancel, busy.cancelling ? "Cancelling…" : "Cancel");
    this.cancel.setAttribute("aria-disabled", String(busy.cancelling));
  }

  async #cancel() {
    if (!this.busy || this.busy.cancelling) return;
    this.busy.cancelling = true;
    this.#render();
    // A failed cancel leaves the work to finish by itself; nothing else to do.
    await this.stop().catch(() => {});
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
