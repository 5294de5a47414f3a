// Error summary (GOV.UK pattern): a box at the top of a form that takes focus, lists each
// problem as a link to its field, or shows one message when the problem is not about a field.
// The messages shown are always the ones the Rust core returned.
import { el, replaceChildren } from "../dom.js";

const TITLE = "There is a problem";

export class ErrorSummary {
  /**
   * @param {HTMLElement} root  an element carrying id="error-summary"; role, tabindex and
   *                            `hidden` are set here.
   */
  constructor(root) {
    this.root = root;
    root.setAttribute("role", "alert");
    root.setAttribute("tabindex", "-1");
    root.classList.add("error-summary");
    root.hidden = true;
    root.addEventListener("click", (event) => this.#followLink(event));
  }

  /**
   * Lists field errors, each linked to its input when `inputIdFor(field)` names one that exists.
   * @param {{field: string, message: string}[]} fields
   * @param {(field: string) => string} inputIdFor
   * @param {string} [message] shown above the list when there are no field errors to list
   */
  showFields(fields, inputIdFor, message) {
    const items = fields.map(({ field, message: text }) => {
      const id = inputIdFor(field);
      return el("li", {}, document.getElementById(id)
        ? el("a", { href: `#${id}`, dataset: { target: id }, text })
        : text);
    });
    this.#show(
      items.length ? null : el("p", { class: "error-summary__message", text: message }),
      items.length ? el("ul", { class: "error-summary__list" }, items) : null,
    );
  }

  /**
   * Shows one message (for errors that are not about a field), with optional action buttons,
   * each with an optional note saying what it does.
   * @param {string} message
   * @param {{label: string, id?: string, note?: string, onClick: () => void}[]} [actions]
   */
  showMessage(message, actions = []) {
    this.#show(
      el("p", { class: "error-summary__message", text: message }),
      actions.length
        ? el("div", { class: "error-summary__actions" }, actions.map(({ label, id, note, onClick }) => [
          el("button", { type: "button", class: "button button--secondary", id, text: label, on: { click: onClick } }),
          note ? el("span", { class: "error-summary__note", text: note }) : null,
        ]))
        : null,
    );
  }

  clear() {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  #show(...body) {
    replaceChildren(this.root,
      el("h2", { class: "error-summary__title", text: TITLE }),
      el("div", { class: "error-summary__body" }, body));
    this.root.hidden = false;
    this.root.focus({ preventScroll: true });
    this.root.scrollIntoView({ block: "start" }); // scroll-margin-top keeps the page heading in view
  }

  /** A summary link moves focus to its field instead of changing the URL hash (our router's). */
  #followLink(event) {
    const link = event.target.closest("a[data-target]");
    if (!link) return;
    event.preventDefault();
    const input = document.getElementById(link.dataset.target);
    if (!input) return;
    (input.closest(".field") ?? input).scrollIntoView({ block: "center" });
    input.focus({ preventScroll: true });
  }
}
