// The modal action dialog: a native <dialog id="action-dialog"> opened with showModal(), so the
// browser traps focus, makes the page behind it inert and closes it on Escape. One at a time.
//
//   <dialog id="action-dialog" aria-labelledby="action-dialog-title">
//     <form>  header (title, Close) · body (error summary, status line, content) · actions  </form>
//   </dialog>
//
// Errors are the core's: shown in an error summary (role=alert) at the top of the body, which
// takes focus; field errors link to their input when the dialog has one for that field.
import { el, replaceChildren } from "../dom.js";
import { ErrorSummary } from "./error-summary.js";

let current = null;

/**
 * Opens the dialog (closing one that is open).
 * @param {object} spec
 * @param {string} spec.title           the heading, which labels the dialog
 * @param {string} [spec.intro]         a sentence under the heading (describes the dialog)
 * @param {Node|Node[]} [spec.body]     the content between the intro and the buttons
 * @param {string} [spec.submitLabel]   the primary button (`#action-submit`, a submit button); none when absent
 * @param {boolean} [spec.danger]       the primary button is destructive (red)
 * @param {Node[]} [spec.extraActions]  more buttons, after the primary one
 * @param {string} [spec.cancelLabel]   "Cancel" unless given
 * @param {(dialog: ActionDialog) => void|Promise<void>} [spec.onSubmit]
 * @param {() => HTMLElement|null} [spec.returnFocus]  where focus goes when the dialog closes
 * @param {HTMLElement} [spec.initialFocus]  focused on open (else the first control)
 * @param {string} [spec.size]          "wide" for tables
 * @param {(field: string) => string} [spec.inputIdFor]  a field name in an error → the input's id
 * @returns {ActionDialog}
 */
export function openDialog(spec) {
  current?.close();
  current = new ActionDialog(spec);
  return current;
}

/** The open dialog, or null. */
export const openedDialog = () => current;

export class ActionDialog {
  constructor({ title, intro, body = [], submitLabel, danger = false, extraActions = [], cancelLabel = "Cancel",
    onSubmit, returnFocus, initialFocus, size, inputIdFor = () => "" }) {
    this.onSubmit = onSubmit;
    this.returnFocus = returnFocus;
    this.inputIdFor = inputIdFor;
    this.busy = false;
    this.closed = false;
    this.onClosed = [];

    this.summary = new ErrorSummary(el("div", { id: "action-error" }));
    this.status = el("p", { id: "action-status", class: "dialog__status", role: "status", "aria-live": "polite" });
    this.submit = submitLabel
      ? el("button", { id: "action-submit", type: "submit", class: `button${danger ? " button--danger" : ""}`, text: submitLabel })
      : null;
    this.cancel = el("button", {
      id: "action-cancel", type: "button", class: "button button--secondary", text: cancelLabel,
      on: { click: () => this.close() },
    });
    this.content = el("div", { class: "dialog__content" }, body);
    this.actions = el("div", { class: "dialog__actions" }, this.submit, extraActions, this.cancel);
    this.form = el("form", { class: "dialog__form", novalidate: true, on: { submit: (e) => this.#submit(e) } },
      el("div", { class: "dialog__header" },
        el("h2", { id: "action-dialog-title", class: "dialog__title", text: title }),
        el("button", {
          type: "button", class: "dialog__close", "aria-label": "Close", title: "Close (Esc)",
          on: { click: () => this.close() },
        }, closeIcon())),
      el("div", { class: "dialog__body" },
        intro ? el("p", { id: "action-dialog-intro", class: "dialog__intro", text: intro }) : null,
        this.summary.root,
        this.content,
        this.status),
      this.actions);
    this.root = el("dialog", {
      id: "action-dialog",
      class: `dialog${size ? ` dialog--${size}` : ""}`,
      "aria-labelledby": "action-dialog-title",
      "aria-describedby": intro ? "action-dialog-intro" : null,
      on: {
        close: () => this.#closed(),
        // Escape while a change is being saved would hide its outcome: wait for it.
        cancel: (e) => { if (this.busy) e.preventDefault(); },
      },
    }, this.form);

    document.body.append(this.root);
    this.root.showModal();
    (initialFocus ?? this.#firstControl())?.focus();
  }

  /** Replaces the content (for instance after switching between lists). */
  setBody(...nodes) {
    replaceChildren(this.content, nodes);
  }

  /** Replaces the buttons before Cancel. */
  setActions(...nodes) {
    replaceChildren(this.actions, nodes, this.cancel);
  }

  /** A short polite message inside the dialog (the page's notice is behind it). */
  setStatus(text) {
    this.status.textContent = text;
  }

  clearError() {
    this.summary.clear();
    for (const message of this.root.querySelectorAll(".field-error[data-from-core]")) message.remove();
    for (const group of this.root.querySelectorAll(".field--error")) group.classList.remove("field--error");
    for (const input of this.root.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && !id.startsWith("error-"));
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }
  }

  /** Shows a core error: field problems as links to their inputs, anything else as one message. */
  showError(error) {
    const fields = error.fields ?? [];
    if (fields.length) {
      for (const { field, message } of fields) this.#markField(this.inputIdFor(field), message);
      this.summary.showFields(fields, this.inputIdFor, error.message);
    } else {
      this.summary.showMessage(error.message);
    }
  }

  /**
   * Runs `work` with the dialog busy (buttons inert, Escape waits); an ApiError is shown in the
   * summary. Resolves with what `work` returned, or undefined when it failed.
   */
  async run(work) {
    if (this.busy) return undefined;
    this.clearError();
    this.#setBusy(true);
    try {
      return await work();
    } catch (error) {
      if (!this.closed) this.showError(error);
      return undefined;
    } finally {
      this.#setBusy(false);
    }
  }

  /** Closes the dialog; focus goes back where `returnFocus` says. */
  close() {
    if (this.closed) return;
    this.busy = false;
    if (this.root.open) this.root.close();
    else this.#closed();
  }

  /** The core's message for one field, inline above its input (GOV.UK), and aria-invalid. */
  #markField(id, message) {
    const input = id ? document.getElementById(id) : null;
    if (!input || !this.root.contains(input)) return;
    const errorId = `error-${id}`;
    const line = el("span", { class: "field-error__line", text: message });
    const existing = document.getElementById(errorId);
    if (existing) {
      existing.append(line);
      return;
    }
    const group = input.closest(".field, .choices");
    group?.classList.add("field--error");
    const where = group?.classList.contains("choices") ? group.querySelector("legend") : null;
    const error = el("p", { id: errorId, class: "field-error", dataset: { fromCore: "" } }, line);
    if (where) where.after(error);
    else input.before(error);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), errorId].filter(Boolean).join(" "));
  }

  #setBusy(busy) {
    this.busy = busy;
    this.form.setAttribute("aria-busy", String(busy));
    for (const button of this.actions.querySelectorAll("button")) {
      if (button !== this.cancel) button.setAttribute("aria-disabled", String(busy));
    }
  }

  async #submit(event) {
    event.preventDefault();
    if (this.busy || !this.onSubmit) return;
    if (this.submit?.disabled) return;
    await this.onSubmit(this);
  }

  #closed() {
    if (this.closed) return;
    this.closed = true;
    this.root.remove();
    if (current === this) current = null;
    const target = this.returnFocus?.();
    if (target?.isConnected) target.focus();
    for (const fn of this.onClosed) fn();
  }

  #firstControl() {
    return this.content.querySelector("input:checked, input:not([type=radio]):not([disabled]), select, textarea")
      ?? this.submit ?? this.cancel;
  }
}

function closeIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(ns, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "20");
  icon.setAttribute("height", "20");
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M6 6l12 12M18 6L6 18");
  icon.append(path);
  return icon;
}
