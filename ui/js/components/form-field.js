// One labelled form field (GOV.UK form-group pattern): label, optional hint, an inline error slot
// and the control, wired with `for` and aria-describedby. Used by every form in the app.
import { el } from "../dom.js";

/**
 * @param {object} spec
 * @param {string} spec.id            the control's id (errors use `error-<id>`, hints `hint-<id>`)
 * @param {string} spec.label
 * @param {string} [spec.hint]
 * @param {boolean} [spec.required]   marks the label and sets `required` (the form is novalidate)
 * @param {"text"|"email"|"tel"|"password"|"date"|"decimal"|"select"|"textarea"} [spec.type]
 * @param {{value: string, label: string}[]} [spec.options]  for type "select"
 * @param {object} [spec.attrs]       extra attributes for the control (autocomplete, …)
 * @returns {{root: HTMLElement, control: HTMLInputElement|HTMLSelectElement,
 *            value: string, setError(messages: string|string[]): void, clearError(): void}}
 */
export function createField({ id, label, hint, required = false, type = "text", options = [], attrs = {} }) {
  const hintId = `hint-${id}`;
  const errorId = `error-${id}`;
  const control = type === "select"
    ? el("select", { id, class: "select", required, ...attrs },
      options.map((o) => el("option", { value: o.value, text: o.label })))
    : type === "textarea"
    ? el("textarea", { id, class: "input textarea", required, ...attrs })
    : el("input", {
      id,
      class: "input",
      type: type === "decimal" ? "text" : type,
      inputmode: type === "decimal" ? "decimal" : null,
      required,
      ...attrs,
    });
  const error = el("p", { id: errorId, class: "field-error", hidden: true });
  const root = el("div", { class: "field" },
    el("label", { class: "field__label", for: id }, label,
      required ? el("span", { class: "field__required", text: " (required)" }) : null),
    hint ? el("p", { id: hintId, class: "field__hint", text: hint }) : null,
    error,
    control);

  const describe = (withError) => {
    const ids = [hint ? hintId : null, withError ? errorId : null].filter(Boolean);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  };
  describe(false);

  return {
    root,
    control,
    get value() { return control.value; },
    set value(v) { control.value = v ?? ""; },
    /** Shows the core's message(s) for this field, one per line. */
    setError(messages) {
      error.replaceChildren(...[messages].flat().map((m) => el("span", { class: "field-error__line", text: m })));
      error.hidden = false;
      root.classList.add("field--error");
      control.setAttribute("aria-invalid", "true");
      describe(true);
    },
    clearError() {
      error.textContent = "";
      error.hidden = true;
      root.classList.remove("field--error");
      control.removeAttribute("aria-invalid");
      describe(false);
    },
  };
}
