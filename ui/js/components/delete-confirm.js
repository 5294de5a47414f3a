// Asking before users are deleted, in the action dialog: what goes, a warning, and, when the core
// asks for it (more than ten users, or a bulk file deleting many), the number typed to confirm
// (#confirm-count), which alone enables the Delete button (#confirm-delete). Cancel has focus
// first when nothing is to be typed. Used by the Users list's multi-select bar and by Bulk import.
import { el } from "../dom.js";
import { openDialog } from "./action-dialog.js";

/**
 * @param {object} spec
 * @param {number} spec.count            how many users are deleted
 * @param {boolean} spec.typed           the admin types `count` to confirm
 * @param {string} spec.title            a question: "Delete 12 users?"
 * @param {Node[]} spec.body             what goes, before the warning
 * @param {string} spec.warning          "This cannot be undone. …"
 * @param {string} spec.confirmLabel     says the action: "Delete 12 users"
 * @param {string} spec.countHint        what the number is and what it unlocks: "The number of users to
 *                                       delete. The Delete button works once it matches."
 * @param {() => HTMLElement|null} spec.returnFocus  where focus goes when the dialog closes
 * @param {(dialog: import("./action-dialog.js").ActionDialog, confirmed: number) => void|Promise<void>} spec.onConfirm
 *        runs once confirmed, with the number typed (or `count` when nothing was typed); it closes
 *        the dialog itself, so a failure can be shown inside it
 * @returns {import("./action-dialog.js").ActionDialog}
 */
export function confirmDeletion({ count, typed, title, body, warning, confirmLabel, countHint, returnFocus, onConfirm }) {
  const confirmButton = el("button", {
    id: "confirm-delete", type: "submit", class: "button button--danger", text: confirmLabel, disabled: typed,
  });
  const countInput = typed
    ? el("input", {
      id: "confirm-count", class: "input input--number", type: "text", inputmode: "numeric",
      autocomplete: "off", spellcheck: "false", "aria-describedby": "confirm-count-hint",
      on: { input: () => { confirmButton.disabled = countInput.value.trim() !== String(count); } },
    })
    : null;
  const dialog = openDialog({
    title,
    body: [
      ...body,
      el("p", { class: "dialog__warning", text: warning }),
      typed
        ? el("div", { class: "field" },
          el("label", { class: "field__label", for: "confirm-count", text: `Type ${count} to confirm` }),
          el("p", { id: "confirm-count-hint", class: "field__hint", text: countHint }),
          countInput)
        : null,
    ],
    extraActions: [confirmButton],
    returnFocus,
    initialFocus: countInput ?? undefined,
    onSubmit: async (d) => {
      if (confirmButton.disabled) return;
      await onConfirm(d, typed ? Number(countInput.value.trim()) : count);
    },
  });
  if (!typed) dialog.cancel.focus();
  return dialog;
}
