// The Roles screen: every role (name, description, how many users hold it), "Create role", and
// delete with confirmation. Users get and lose roles from the Users list.
import { addRole, deleteRole, listRoles } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount } from "../format.js";
import { announce } from "../notice.js";
import { confirmDialog } from "./dialog.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";
import { emptyRow, tableShell } from "./table.js";

const users = (n) => `${formatCount(n)} ${n === 1 ? "user" : "users"}`;

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startRolesView(root) {
  const view = new RolesView(root);
  return { ready: view.load(), destroy: () => {} };
}

class RolesView {
  constructor(root) {
    this.summary = new ErrorSummary(el("div", { id: "roles-errors" }));
    this.fields = new Map([
      ["name", createField({ id: "new-role-name", label: "Name", attrs: { autocomplete: "off", spellcheck: "false" } })],
      ["description", createField({ id: "new-role-description", label: "Description (optional)", attrs: { autocomplete: "off" } })],
    ]);
    this.columns = [
      { label: "Name", key: "name" },
      { label: "Description", key: "description" },
      { label: "Users", key: "count", numeric: true },
      { label: "Actions", key: "actions-one", hiddenLabel: true },
    ];
    this.list = tableShell({ id: "roles-table", caption: "Roles", columns: this.columns });
    this.count = el("p", { id: "roles-count", class: "view-header__meta", role: "status" });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Roles" }),
        this.count),
      el("p", { class: "view-intro", text: "A role says what a user may do in the applications that read this directory. Give roles to users from the User List." }),
      this.summary.root,
      el("form", { id: "create-role-form", class: "inline-form panel", novalidate: true, "aria-labelledby": "create-role-title", on: { submit: (e) => this.#create(e) } },
        el("h2", { id: "create-role-title", class: "panel__title", text: "Create a role" }),
        el("div", { class: "inline-form__fields" },
          this.fields.get("name").root,
          this.fields.get("description").root,
          el("div", { class: "inline-form__submit" },
            el("button", { id: "create-role", type: "submit", class: "button", text: "Create role" })))),
      this.list.wrap);
  }

  async load() {
    this.list.table.setAttribute("aria-busy", "true");
    try {
      const roles = await listRoles();
      this.list.tbody.replaceChildren(...roles.map((r) => this.#row(r)));
      if (!roles.length) this.list.tbody.append(emptyRow(this.columns.length, "No roles yet. Create the first one above."));
      this.count.textContent = `${formatCount(roles.length)} ${roles.length === 1 ? "role" : "roles"}`;
    } catch (error) {
      this.list.tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      this.list.table.setAttribute("aria-busy", "false");
    }
  }

  #row(role) {
    return el("tr", { dataset: { role: role.name } },
      el("td", { class: "cell-name strong", text: role.name }),
      el("td", { class: "cell-description muted", title: role.description || null, text: role.description }),
      el("td", { class: "num cell-users", text: formatCount(role.users) }),
      el("td", { class: "cell-actions" },
        el("button", {
          type: "button", class: "button button--small button--secondary button--danger-text role-delete", text: "Delete",
          "aria-label": `Delete role ${role.name}`, on: { click: () => this.#delete(role) },
        })));
  }

  async #create(event) {
    event.preventDefault();
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    try {
      const role = await addRole(this.fields.get("name").value, this.fields.get("description").value);
      this.fields.get("name").value = "";
      this.fields.get("description").value = "";
      announce(`Created role ${role.name}`);
      await this.load();
      this.fields.get("name").control.focus();
    } catch (error) {
      showApiError(this.summary, this.fields, error);
    }
  }

  async #delete(role) {
    this.summary.clear();
    const ok = await confirmDialog({
      title: `Delete role ${role.name}?`,
      body: [
        role.users
          ? `${role.name} is taken from the ${users(role.users)} who hold it. The users themselves stay in the workspace.`
          : `No user holds ${role.name}, so no user is changed.`,
        "This cannot be undone.",
      ],
      confirmLabel: "Delete role",
    });
    if (!ok) return;
    try {
      const deleted = await deleteRole(role.name);
      announce(`Deleted role ${deleted.name}`);
      await this.load();
      this.fields.get("name").control.focus();
    } catch (error) {
      this.summary.showMessage(error.message);
    }
  }
}
