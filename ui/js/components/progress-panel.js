// The progress panel of long work started from a screen (a bulk plan or apply, sending mails, a
// sync pull or push): a label, a bar with a count, and Cancel. The screen says what the label and
// the count read; the panel keeps the bar, the focus and the Cancel button.
// Two ways to drive it:
//   - `run(start, work)`: the panel owns the work's state for as long as `work` runs (mail, sync);
//   - `attach(busy)` / `update()`: the state lives elsewhere and outlives the panel (the bulk
//     screen keeps it between visits, so a screen opened again mid-run shows the run it did not
//     start); the panel draws that state and writes `cancelling` into it.
import { el } from "../dom.js";

/**
 * The state of work under way, as the panel reads it. `describe` gets it whole, so it may also
 * hold what the work is (`run`'s `start`, or whatever the owner of an attached state put there).
 * @typedef {{phase: string, done: number, total: number, cancelling: boolean}} Busy
 */

export class ProgressPanel {
  /**
   * @param {object} options
   * @param {string} options.idPrefix  ids: `<prefix>`, `<prefix>-label`, `-bar`, `-count`, `-cancel`
   * @param {string} options.ariaLabel  the panel's accessible name
   * @param {string} [options.className]  classes added to `panel bulk-progress`
   * @param {(busy: Busy) => {label: string, count: string}} options.describe
   *   the label and the count (shown while `total` is known) for the work's state
   * @param {() => Promise<unknown>} options.cancel  asks the shell to stop
   */
  constructor({ idPrefix, ariaLabel, className = "", describe, cancel }) {
    /** @type {Busy | null} */
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
    const busy = { ...start, phase: "", done: 0, total: 0, cancelling: false };
    this.attach(busy);
    this.focus();
    try {
      return await work((p) => {
        if (this.busy !== busy) return;
        Object.assign(busy, { phase: p.phase ?? busy.phase, done: p.done, total: p.total });
        this.update();
      });
    } finally {
      if (this.busy === busy) this.attach(null);
    }
  }

  /**
   * Shows the panel drawing `busy`, work whose state its owner keeps and changes (calling
   * `update` after), or hides it for null. The same state attached again is only redrawn.
   * Cancel sets `busy.cancelling`, so a panel attached later still says "Cancelling…".
   * @param {Busy | null} busy
   */
  attach(busy) {
    this.busy = busy;
    this.root.hidden = !busy;
    this.update();
  }

  /** Redraws the attached state after its owner changed it (progress came in). */
  update() {
    this.#render();
  }

  /** Moves focus to Cancel (the work has just started from this screen). */
  focus() {
    this.cancel.focus();
  }

  // Texts are written only when they change: replacing the text node under a pressed pointer
  // makes WebKit drop the click (the press and the release no longer share a node). Progress
  // comes up to 20 times a second, and a person holds the button some 100 ms.
  #render() {
    const busy = this.busy;
    if (!busy) return;
    const { label, count } = this.describe(busy);
    setText(this.label, label);
    this.root.dataset.phase = busy.phase ?? "";
    if (busy.total > 0) {
      this.bar.max = busy.total;
      this.bar.value = Math.min(busy.done, busy.total);
      setText(this.count, count);
    } else {
      this.bar.removeAttribute("value"); // indeterminate until the shell counts the work
      setText(this.count, "");
    }
    setText(this.cancel, busy.cancelling ? "Cancelling…" : "Cancel");
    this.cancel.setAttribute("aria-disabled", String(Boolean(busy.cancelling)));
  }

  async #cancel() {
    const busy = this.busy;
    if (!busy || busy.cancelling) return;
    busy.cancelling = true;
    this.#render();
    // A failed cancel leaves the work to finish by itself; `cancel` may say why, nothing else
    // is left to do here.
    await this.stop().catch(() => {});
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
