// Modal dialogs of the admin screens (groups, roles, attributes) on the native <dialog> element
// (showModal): focus stays inside, Escape cancels, and focus returns to the control that opened
// the dialog when it closes.
//   confirmDialog: "Delete group Sales?" with a confirm and a Cancel button.
//   formDialog:    a small form (rename a group) whose errors, the core's, show inside the dialog.
import { el } from "../dom.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";

/** Creates, opens and later removes a dialog; `build(dialog, close, titleId)` fills it. */
function openDialog(id, build) {
  const opener = document.activeElement;
  const titleId = `${id}-title`;
  const dialog = el("dialog", { id, class: "modal", "aria-labelledby": titleId });
  let settle;
  const closed = new Promise((resolve) => { settle = resolve; });
  const close = (value) => {
    if (dialog.open) dialog.close();
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    settle(value);
  };
  // Escape: the browser fires `cancel`; close through our path so the promise settles.
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(null); });
  build(dialog, close, titleId);
  document.body.append(dialog);
  dialog.showModal();
  return closed;
}

/**
 * Asks before a change that cannot be taken back.
 * @param {object} spec
 * @param {string} spec.title         a question: "Delete group Sales?"
 * @param {string|string[]} spec.body one paragraph per string: what goes, what stays
 * @param {string} spec.confirmLabel  says the action: "Delete group"
 * @param {boolean} [spec.danger]     styles the confirm button as destructive (default true)
 * @returns {Promise<boolean>} true when confirmed
 */
export function confirmDialog({ title, body, confirmLabel, danger = true }) {
  return openDialog("confirm-dialog", (dialog, close, titleId) => {
    const cancel = el("button", { id: "confirm-cancel", type: "button", class: "button button--secondary", text: "Cancel", on: { click: () => close(false) } });
    dialog.append(
      el("h2", { id: titleId, class: "modal__title", text: title }),
      ...[body].flat().map((text) => el("p", { class: "modal__text", text })),
      el("div", { class: "modal__actions" },
        el("button", {
          id: "confirm-ok", type: "button", class: `button${danger ? " button--danger" : ""}`, text: confirmLabel,
          on: { click: () => close(true) },
        }),
        cancel));
    // The least destructive choice has focus first (ARIA APG, alert dialog).
    queueMicrotask(() => cancel.focus());
  }).then(Boolean);
}

/**
 * A small form in a dialog. `submit(values)` runs the change; if it throws an ApiError the
 * dialog stays open with the core's messages (summary and inline); if it resolves, the dialog
 * closes and resolves with that result.
 * @param {object} spec
 * @param {string} spec.id                  the dialog's id; fields are `<id>-<name>`, the button `<id>-save`
 * @param {string} spec.title
 * @param {string} [spec.intro]
 * @param {{name: string, label: string, value?: string, hint?: string}[]} spec.fields
 *        `name` is the field name the core uses in its errors
 * @param {string} spec.submitLabel
 * @param {(values: Record<string, string>) => Promise<any>} spec.submit
 * @returns {Promise<any|null>} the submit result, or null when cancelled
 */
export function formDialog({ id, title, intro, fields, submitLabel, submit }) {
  return openDialog(id, (dialog, close, titleId) => {
    const summary = new ErrorSummary(el("div", { id: `${id}-errors` }));
    const controls = new Map(fields.map((spec) => {
      const field = createField({ id: `${id}-${spec.name}`, label: spec.label, hint: spec.hint, attrs: { autocomplete: "off", spellcheck: "false" } });
      field.value = spec.value ?? "";
      return [spec.name, field];
    }));
    const save = el("button", { id: `${id}-save`, type: "submit", class: "button", text: submitLabel });
    let busy = false;
    const onSubmit = async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      save.setAttribute("aria-disabled", "true");
      summary.clear();
      for (const field of controls.values()) field.clearError();
      try {
        const values = Object.fromEntries([...controls].map(([name, field]) => [name, field.value]));
        close(await submit(values));
      } catch (error) {
        showApiError(summary, controls, error);
      } finally {
        busy = false;
        save.removeAttribute("aria-disabled");
      }
    };
    const form = el("form", { class: "modal__form", novalidate: true, on: { submit: onSubmit } },
      summary.root,
      intro ? el("p", { class: "modal__text", text: intro }) : null,
      [...controls.values()].map((f) => f.root),
      el("div", { class: "modal__actions" },
        save,
        el("button", { id: `${id}-cancel`, type: "button", class: "button button--secondary", text: "Cancel", on: { click: () => close(null) } })));
    dialog.append(el("h2", { id: titleId, class: "modal__title", text: title }), form);
    queueMicrotask(() => {
      const first = controls.values().next().value?.control;
      first?.focus();
      first?.select?.();
    });
  });
}
