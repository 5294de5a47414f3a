// The Custom attributes screen: the attributes every user may carry (name, type, required),
// "Define attribute", and drop with confirmation (every user's value goes with it).
// Values are entered in the Add / Edit user form; the core checks them against the type.
import { defineAttribute, dropAttribute, listAttributes } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount } from "../format.js";
import { announce } from "../notice.js";
import { currentWorkspace } from "../workspace.js";
import { confirmDialog } from "./dialog.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";
import { emptyRow, tableShell } from "./table.js";

/** The types the core knows, with what an admin enters for each. */
const TYPES = [
  { value: "string", label: "Text", example: "any text" },
  { value: "number", label: "Number", example: "a number, like 4200 or 12.5" },
  { value: "boolean", label: "True or false", example: "true or false" },
  { value: "date", label: "Date", example: "a date, like 2025-03-31" },
];
const typeLabel = (type) => TYPES.find((t) => t.value === type)?.label ?? type;

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startAttributesView(root) {
  const view = new AttributesView(root);
  return { ready: view.load(), destroy: () => {} };
}

class AttributesView {
  constructor(root) {
    this.summary = new ErrorSummary(el("div", { id: "attributes-errors" }));
    this.required = requiredField();
    this.fields = new Map([
      ["name", createField({ id: "new-attribute-name", label: "Name", hint: "Like employeeId or costCenter", attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "none" } })],
      ["type", createField({ id: "new-attribute-type", label: "Type", type: "select", options: TYPES.map((t) => ({ value: t.value, label: t.label })) })],
      ["required", this.required],
    ]);
    this.columns = [
      { label: "Name", key: "name" },
      { label: "Type", key: "type" },
      { label: "Accepts", key: "values" },
      { label: "Required", key: "required" },
      { label: "Actions", key: "actions-one", hiddenLabel: true },
    ];
    this.list = tableShell({ id: "attributes-table", caption: "Custom attributes", columns: this.columns });
    this.count = el("p", { id: "attributes-count", class: "view-header__meta", role: "status" });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Custom attributes" }),
        this.count),
      el("p", { class: "view-intro", text: "Extra fields every user may carry, such as an employee number. They appear in the Add and Edit user forms, and each value is checked against the attribute's type." }),
      this.summary.root,
      el("form", { id: "define-attribute-form", class: "inline-form panel", novalidate: true, "aria-labelledby": "define-attribute-title", on: { submit: (e) => this.#define(e) } },
        el("h2", { id: "define-attribute-title", class: "panel__title", text: "Define an attribute" }),
        el("div", { class: "inline-form__fields" },
          this.fields.get("name").root,
          this.fields.get("type").root,
          this.required.root,
          el("div", { class: "inline-form__submit" },
            el("button", { id: "define-attribute", type: "submit", class: "button", text: "Define attribute" })))),
      this.list.wrap);
  }

  async load() {
    this.list.table.setAttribute("aria-busy", "true");
    try {
      const attributes = await listAttributes();
      this.list.tbody.replaceChildren(...attributes.map((a) => this.#row(a)));
      if (!attributes.length) this.list.tbody.append(emptyRow(this.columns.length, "No custom attributes yet. Define the first one above."));
      this.count.textContent = `${formatCount(attributes.length)} ${attributes.length === 1 ? "attribute" : "attributes"}`;
    } catch (error) {
      this.list.tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      this.list.table.setAttribute("aria-busy", "false");
    }
  }

  #row(attribute) {
    return el("tr", { dataset: { attribute: attribute.name } },
      el("td", { class: "cell-name strong" }, el("code", { class: "code-name", text: attribute.name })),
      el("td", { class: "cell-type", text: typeLabel(attribute.type) }),
      el("td", { class: "muted", text: TYPES.find((t) => t.value === attribute.type)?.example ?? "" }),
      el("td", { class: "cell-required" }, attribute.required
        ? el("span", { class: "badge badge--required", text: "Required" })
        : el("span", { class: "muted", text: "Optional" })),
      el("td", { class: "cell-actions" },
        el("button", {
          type: "button", class: "button button--small button--secondary button--danger-text attribute-drop", text: "Drop",
          "aria-label": `Drop attribute ${attribute.name}`, on: { click: () => this.#drop(attribute) },
        })));
  }

  async #define(event) {
    event.preventDefault();
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    try {
      const attribute = await defineAttribute(this.fields.get("name").value, this.fields.get("type").value, this.required.control.checked);
      this.fields.get("name").value = "";
      this.required.control.checked = false;
      announce(`Defined attribute ${attribute.name} (${typeLabel(attribute.type).toLowerCase()}${attribute.required ? ", required" : ""})`);
      await this.load();
      this.fields.get("name").control.focus();
    } catch (error) {
      showApiError(this.summary, this.fields, error);
    }
  }

  async #drop(attribute) {
    this.summary.clear();
    const count = currentWorkspace()?.userCount;
    const ok = await confirmDialog({
      title: `Drop attribute ${attribute.name}?`,
      body: [
        `Every user's value for ${attribute.name} is removed${count ? ` (from up to ${formatCount(count)} users)` : ""}, and the field leaves the user forms.`,
        "This cannot be undone.",
      ],
      confirmLabel: "Drop attribute",
    });
    if (!ok) return;
    try {
      const dropped = await dropAttribute(attribute.name);
      announce(`Dropped attribute ${dropped.name} and every user's value for it`);
      await this.load();
      this.fields.get("name").control.focus();
    } catch (error) {
      this.summary.showMessage(error.message);
    }
  }
}

/** The Required checkbox, shaped like createField's result so errors can be shown on it. */
function requiredField() {
  const control = el("input", { id: "new-attribute-required", type: "checkbox", class: "checkbox", "aria-describedby": "hint-new-attribute-required" });
  const error = el("p", { id: "error-new-attribute-required", class: "field-error", hidden: true });
  const root = el("div", { class: "field field--checkbox" },
    error,
    el("div", { class: "checkbox-label" },
      control,
      el("label", { for: "new-attribute-required", class: "field__label", text: "Required" })),
    el("p", { id: "hint-new-attribute-required", class: "field__hint", text: "Every user must have a value" }));
  return {
    root,
    control,
    get value() { return control.checked ? "true" : "false"; },
    set value(v) { control.checked = v === true || v === "true"; },
    setError(messages) {
      error.replaceChildren(...[messages].flat().map((m) => el("span", { class: "field-error__line", text: m })));
      error.hidden = false;
      root.classList.add("field--error");
      control.setAttribute("aria-invalid", "true");
    },
    clearError() {
      error.textContent = "";
      error.hidden = true;
      root.classList.remove("field--error");
      control.removeAttribute("aria-invalid");
    },
  };
}
