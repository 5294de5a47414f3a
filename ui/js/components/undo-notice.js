// What an action did, in the app's notice region (#notice, role=status), with an "Undo" button
// (#undo-last) when the core says the action can be reverted. The offer stays until the next
// message replaces it. Ctrl+Z (outside text fields and dialogs) presses the button too.
import { el } from "../dom.js";
import { clearNotice } from "../notice.js";

const UNDO_ID = "undo-last";
let pending = 0;
let offer = null; // { seq, onUndo }

/**
 * Shows and announces `message`; with `undo` (an audit seq), adds the Undo button, which calls
 * `onUndo(seq, button)`.
 * @param {string} message
 * @param {{undo?: number|null, onUndo?: (seq: number, button: HTMLButtonElement) => void}} [options]
 */
export function announceOutcome(message, { undo = null, onUndo } = {}) {
  clearNotice(); // also cancels a plain announce() still waiting to write
  clearTimeout(pending);
  offer = typeof undo === "number" && onUndo ? { seq: undo, onUndo } : null;
  const node = document.getElementById("notice");
  if (!node) return;
  // Written after a short pause so screen readers announce a repeated message too (as notice.js).
  pending = setTimeout(() => {
    const text = el("span", { class: "notice__text", text: message });
    if (!offer) {
      node.replaceChildren(text);
      return;
    }
    const { seq, onUndo: run } = offer;
    const button = el("button", {
      id: UNDO_ID,
      type: "button",
      class: "button button--secondary button--small notice__undo",
      "aria-keyshortcuts": "Control+Z",
      title: "Undo (Ctrl+Z)",
      text: "Undo",
      on: {
        click: () => {
          if (button.getAttribute("aria-disabled") === "true") return;
          button.setAttribute("aria-disabled", "true");
          run(seq, button);
        },
      },
    });
    node.replaceChildren(text, button);
  }, 50);
}

/** Removes the message and any undo offer. */
export function clearOutcome() {
  clearTimeout(pending);
  offer = null;
  clearNotice();
}

document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey || event.key.toLowerCase() !== "z") return;
  const button = document.getElementById(UNDO_ID);
  if (!button || document.querySelector("dialog[open]")) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || target.closest("input, textarea, select"))) return;
  event.preventDefault();
  button.click();
});
