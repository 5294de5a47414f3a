// The Add User and Edit User form. Started on an empty root element configured by
// `data-mode` ("add" | "edit") and, for edit, `data-username`.
// It never validates on its own: the Rust core checks input and its messages are shown as given.
import { addUser, editUser, getUser, listAttributes } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { ensureWorkspace } from "../workspace.js";
import { ErrorSummary } from "./error-summary.js";
import { createField } from "./form-field.js";
import { ONBOARD_LABELS, userIcon } from "./icons.js";

/** The input id for a field name in an error: `email` → `field-email`, `attributes.x` → `field-attr-x`. */
export function inputIdFor(field) {
  return field.startsWith("attributes.") ? `field-attr-${field.slice("attributes.".length)}` : `field-${field}`;
}

/**
 * The profile fields of the add or edit form, in form order. A username is fixed once created
 * and a password is only set when adding (UserEditInput has neither, docs/ipc.md).
 */
function profileFields(info, mode) {
  const region = info.settings?.defaultRegion ?? "US";
  const minLength = info.settings?.passwordMinLength;
  const noAutofill = { autocomplete: "off", spellcheck: "false", autocapitalize: "none" };
  const fields = [
    mode === "edit"
      ? { name: "username", label: "Username", hint: "A username cannot be changed", attrs: { ...noAutofill, readonly: true } }
      : { name: "username", label: "Username", required: true, attrs: noAutofill },
    { name: "email", label: "Email address", type: "email", required: true, attrs: noAutofill },
    { name: "firstName", label: "First name", attrs: { autocomplete: "off" } },
    { name: "lastName", label: "Last name", attrs: { autocomplete: "off" } },
    {
      name: "phone", label: "Phone", type: "tel", attrs: noAutofill,
      hint: `With country code, like +44 7400 123456; numbers without + use the workspace region (${region})`,
    },
    {
      name: "password", label: "Password", type: "password", addOnly: true,
      attrs: { autocomplete: "new-password", spellcheck: "false" },
      hint: `Optional${minLength ? `, at least ${minLength} characters` : ""}. `
        + "Leave blank and the user sets a password from a reset mail; until then they are not onboarded",
    },
  ];
  return fields.filter((f) => !(f.addOnly && mode === "edit"));
}

/** How each custom attribute type is entered: text, a decimal keypad, a date picker or a true/false choice. */
function attributeField({ name, type, required }) {
  const base = { name: `attributes.${name}`, label: name, required, attrs: { autocomplete: "off" } };
  switch (type) {
    case "number": return { ...base, type: "decimal", hint: "A number" };
    case "date": return { ...base, type: "date" };
    case "boolean": return {
      ...base,
      type: "select",
      options: [{ value: "", label: "Not set" }, { value: "true", label: "True" }, { value: "false", label: "False" }],
    };
    default: return base;
  }
}

/** A user's stored value of a field as the form shows it (always a string). */
function valueOf(user, name) {
  const value = name.startsWith("attributes.") ? user.attributes?.[name.slice("attributes.".length)] : user[name];
  return value === null || value === undefined ? "" : String(value);
}

/**
 * @param {HTMLElement} root
 * @param {{onSaved: (user: object, outcome: "add"|"edit"|"unchanged") => void, onCancel: () => void}} callbacks
 * @returns {{ready: Promise<void>, destroy(): void}}  `ready` settles once the form (or why it
 *          could not load) is shown
 */
export function startUserForm(root, callbacks) {
  const mode = root.dataset.mode === "edit" ? "edit" : "add";
  const username = root.dataset.username ?? "";
  const title = mode === "add" ? "Add user" : `Edit user ${username}`;
  const onKey = (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      callbacks.onCancel();
    }
  };
  document.addEventListener("keydown", onKey);

  replaceChildren(root,
    el("h1", { class: "view-title", tabindex: "-1", text: title }),
    el("p", { class: "loading", text: "Loading…" }));

  const ready = Promise.all([ensureWorkspace(), listAttributes(), mode === "edit" ? getUser(username) : null])
    .then(([info, attributes, user]) => {
      if (!root.isConnected) return;
      new UserForm(root, { mode, title, info, attributes, user, ...callbacks }).focusFirst();
    })
    .catch((error) => {
      if (!root.isConnected) return;
      replaceChildren(root,
        el("h1", { class: "view-title", tabindex: "-1", text: title }),
        el("div", { class: "banner banner--error", role: "alert" },
          el("p", { text: error.message }),
          el("a", { href: "#/users", text: "Back to users" })));
    });

  return { ready, destroy: () => document.removeEventListener("keydown", onKey) };
}

class UserForm {
  constructor(root, { mode, title, info, attributes, user, onSaved, onCancel }) {
    this.mode = mode;
    this.user = user;
    this.onSaved = onSaved;
    this.busy = false;

    const specs = profileFields(info, mode);
    const attrSpecs = attributes.map(attributeField);
    /** @type {Map<string, ReturnType<typeof createField>>} field name (as in errors) → field */
    this.fields = new Map([...specs, ...attrSpecs].map((spec) =>
      [spec.name, createField({ ...spec, id: inputIdFor(spec.name) })]));
    const group = (names) => names.filter((n) => this.fields.has(n)).map((n) => this.fields.get(n).root);
    const profileNames = specs.filter((s) => !s.addOnly).map((s) => s.name);

    this.summary = new ErrorSummary(el("div", { id: "error-summary" }));
    this.submit = el("button", { id: "user-form-submit", type: "submit", class: "button", text: mode === "add" ? "Add user" : "Save changes" });
    this.form = el("form", { id: "user-form", class: "form", novalidate: true, on: { submit: (e) => this.#submit(e) } },
      this.summary.root,
      fieldset("Details", group(profileNames)),
      mode === "add" ? fieldset("Sign-in", group(["password"])) : null,
      attrSpecs.length ? fieldset("Custom attributes", group(attrSpecs.map((s) => s.name))) : null,
      el("div", { class: "form__actions" },
        this.submit,
        el("button", { id: "user-form-cancel", type: "button", class: "button button--secondary", text: "Cancel", on: { click: onCancel } })));

    this.meta = el("div", { class: "user-meta" });
    replaceChildren(root,
      el("h1", { class: "view-title", tabindex: "-1", text: title }),
      mode === "edit" ? this.meta : null,
      this.form);
    if (user) this.#fill(user);
  }

  focusFirst() {
    [...this.fields.values()].find((f) => !f.control.readOnly)?.control.focus();
  }

  /** Shows `user` in the form and remembers what each control showed, to send only edits. */
  #fill(user) {
    this.user = user;
    this.initial = new Map();
    for (const [name, field] of this.fields) {
      field.value = valueOf(user, name);
      this.initial.set(name, field.value); // as the control holds it (a date input may normalise)
    }
    replaceChildren(this.meta,
      el("span", { class: "user-meta__item" }, userIcon(user.onboarded, { decorative: true, className: "legend-icon" }), ONBOARD_LABELS[user.onboarded]),
      el("span", { class: `badge badge--${user.status === "active" ? "active" : "disabled"}`, text: user.status === "active" ? "Active" : "Disabled" }),
      el("span", { class: "user-meta__item", text: `Created ${formatDateTime(user.createdAt)}` }),
      el("span", { class: "user-meta__item", text: `Last changed ${formatDateTime(user.updatedAt)}` }));
  }

  /** Add: every filled-in field. Edit: only the fields that differ from the loaded user. */
  #input() {
    const input = {};
    const attributes = {};
    for (const [name, field] of this.fields) {
      const value = field.value;
      const include = this.mode === "add"
        ? name === "username" || name === "email" || value.trim() !== ""
        : !field.control.readOnly && value !== this.initial.get(name);
      if (!include) continue;
      if (name.startsWith("attributes.")) attributes[name.slice("attributes.".length)] = value;
      else input[name] = value;
    }
    if (Object.keys(attributes).length) input.attributes = attributes;
    return input;
  }

  async #submit(event) {
    event.preventDefault();
    if (this.busy) return;
    this.#clearErrors();
    const input = this.#input();
    if (this.mode === "edit" && Object.keys(input).length === 0) {
      this.onSaved(this.user, "unchanged");
      return;
    }
    this.#setBusy(true);
    try {
      const user = this.mode === "add"
        ? await addUser(input)
        : await editUser(this.user.username, { expectedVersion: this.user.version, ...input });
      this.onSaved(user, this.mode);
    } catch (error) {
      this.#showError(error);
    } finally {
      this.#setBusy(false);
    }
  }

  #setBusy(busy) {
    this.busy = busy;
    this.form.setAttribute("aria-busy", String(busy));
    this.submit.setAttribute("aria-disabled", String(busy));
  }

  #clearErrors() {
    this.summary.clear();
    for (const field of this.fields.values()) field.clearError();
  }

  /** Shows a failed add or edit: field errors inline and in the summary, anything else as a message. */
  #showError(error) {
    switch (error.code) {
      case "validation":
      case "conflict": {
        const byField = new Map();
        for (const { field, message } of error.fields) byField.set(field, [...(byField.get(field) ?? []), message]);
        for (const [name, messages] of byField) this.fields.get(name)?.setError(messages);
        this.summary.showFields(error.fields, inputIdFor, error.message);
        break;
      }
      case "stale":
        this.summary.showMessage(error.message, [{
          label: "Reload", id: "reload-user", note: "Shows the user as saved now; the changes in this form are dropped",
          onClick: () => this.#reload(),
        }]);
        break;
      case "not_found":
        this.summary.showMessage(error.message, [{ label: "Back to users", onClick: () => { location.hash = "#/users"; } }]);
        break;
      default:
        this.summary.showMessage(error.message);
    }
  }

  /** After a `stale` error: loads the user as it is now, discarding this form's edits. */
  async #reload() {
    try {
      const user = await getUser(this.user.username);
      this.#clearErrors();
      this.#fill(user);
      announce(`Reloaded ${user.username}: the form shows the latest details`);
      this.focusFirst();
    } catch (error) {
      this.#showError(error);
    }
  }
}

function fieldset(legend, children) {
  return el("fieldset", { class: "fieldset" }, el("legend", { class: "fieldset__legend", text: legend }), children);
}
