// The Groups screens.
//   startGroupsView:      every group (name, description, members, created), "Create group",
//                         rename and delete (with confirmation) on each row.
//   startGroupDetailView: one group's members (searchable, paged), add members by username,
//                         remove the ticked ones; rename and delete the group.
// Every message about what is wrong comes from the core.
import { addGroup, changeGroupMembers, deleteGroup, groupMembers, listGroups, renameGroup } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { debounce } from "../timing.js";
import { confirmDialog, formDialog } from "./dialog.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";
import { userIcon } from "./icons.js";
import { KeysetPager, RowSelection, emptyRow, tableShell } from "./table.js";

const SEARCH_DELAY_MS = 200;

export const groupHref = (name) => `#/groups/${encodeURIComponent(name)}`;

const members = (n) => `${formatCount(n)} ${n === 1 ? "member" : "members"}`;

/** Asks for a new name and renames; resolves with the renamed group, or null if cancelled. */
function renameGroupDialog(group) {
  return formDialog({
    id: "rename-group",
    title: `Rename group ${group.name}`,
    intro: "Members keep their membership under the new name.",
    fields: [{ name: "name", label: "New name", value: group.name }],
    submitLabel: "Rename group",
    submit: ({ name }) => renameGroup(group.name, name),
  });
}

/** Confirms and deletes; resolves with the deleted group, or null if the admin said no. */
async function deleteGroupConfirmed(group) {
  const ok = await confirmDialog({
    title: `Delete group ${group.name}?`,
    body: [
      group.members
        ? `${group.name} is removed from its ${members(group.members)}. The users themselves stay in the workspace.`
        : `${group.name} has no members, so no user is changed.`,
      "This cannot be undone.",
    ],
    confirmLabel: "Delete group",
  });
  return ok ? deleteGroup(group.name) : null;
}

// ---- The list ---------------------------------------------------------------------------------

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startGroupsView(root) {
  const view = new GroupsView(root);
  return { ready: view.load(), destroy: () => {} };
}

class GroupsView {
  constructor(root) {
    this.root = root;
    this.summary = new ErrorSummary(el("div", { id: "groups-errors" }));
    this.fields = new Map([
      ["name", createField({ id: "new-group-name", label: "Name", attrs: { autocomplete: "off", spellcheck: "false" } })],
      ["description", createField({ id: "new-group-description", label: "Description (optional)", attrs: { autocomplete: "off" } })],
    ]);
    this.columns = [
      { label: "Name", key: "name" },
      { label: "Description", key: "description" },
      { label: "Members", key: "count", numeric: true },
      { label: "Created", key: "date" },
      { label: "Actions", key: "actions", hiddenLabel: true },
    ];
    this.list = tableShell({ id: "groups-table", caption: "Groups", columns: this.columns });
    this.count = el("p", { id: "groups-count", class: "view-header__meta", role: "status" });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Groups" }),
        this.count),
      this.summary.root,
      el("form", { id: "create-group-form", class: "inline-form panel", novalidate: true, "aria-labelledby": "create-group-title", on: { submit: (e) => this.#create(e) } },
        el("h2", { id: "create-group-title", class: "panel__title", text: "Create a group" }),
        el("div", { class: "inline-form__fields" },
          this.fields.get("name").root,
          this.fields.get("description").root,
          el("div", { class: "inline-form__submit" },
            el("button", { id: "create-group", type: "submit", class: "button", text: "Create group" })))),
      this.list.wrap);
  }

  async load(focusName) {
    this.list.table.setAttribute("aria-busy", "true");
    try {
      const groups = await listGroups();
      this.list.tbody.replaceChildren(...groups.map((g) => this.#row(g)));
      if (!groups.length) this.list.tbody.append(emptyRow(this.columns.length, "No groups yet. Create the first one above."));
      this.count.textContent = `${formatCount(groups.length)} ${groups.length === 1 ? "group" : "groups"}`;
      if (focusName !== undefined) {
        const row = [...this.list.tbody.rows].find((r) => r.dataset.group === focusName);
        row?.querySelector("a")?.focus();
      }
    } catch (error) {
      this.list.tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      this.list.table.setAttribute("aria-busy", "false");
    }
  }

  #row(group) {
    return el("tr", { dataset: { group: group.name } },
      el("td", { class: "cell-name" }, el("a", { class: "group-link", href: groupHref(group.name), text: group.name })),
      el("td", { class: "cell-description muted", title: group.description || null, text: group.description }),
      el("td", { class: "num cell-members", text: formatCount(group.members) }),
      el("td", {}, el("time", { datetime: group.createdAt, title: formatDateTime(group.createdAt), text: formatDate(group.createdAt) })),
      el("td", { class: "cell-actions" },
        el("button", {
          type: "button", class: "button button--small button--secondary group-rename", text: "Rename",
          "aria-label": `Rename group ${group.name}`, on: { click: () => this.#rename(group) },
        }),
        el("button", {
          type: "button", class: "button button--small button--secondary button--danger-text group-delete", text: "Delete",
          "aria-label": `Delete group ${group.name}`, on: { click: () => this.#delete(group) },
        })));
  }

  async #create(event) {
    event.preventDefault();
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    try {
      const group = await addGroup(this.fields.get("name").value, this.fields.get("description").value);
      this.fields.get("name").value = "";
      this.fields.get("description").value = "";
      announce(`Created group ${group.name}`);
      await this.load(group.name);
    } catch (error) {
      showApiError(this.summary, this.fields, error);
    }
  }

  async #rename(group) {
    const renamed = await renameGroupDialog(group);
    if (!renamed) return;
    announce(`Renamed group ${group.name} to ${renamed.name}`);
    await this.load(renamed.name);
  }

  async #delete(group) {
    this.summary.clear();
    try {
      const deleted = await deleteGroupConfirmed(group);
      if (!deleted) return;
      announce(`Deleted group ${deleted.name}`);
      await this.load();
      this.fields.get("name").control.focus();
    } catch (error) {
      this.summary.showMessage(error.message);
    }
  }
}

// ---- One group --------------------------------------------------------------------------------

/**
 * @param {HTMLElement} root   `data-group` names the group; `data-page-size` (default 50)
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startGroupDetailView(root) {
  const view = new GroupDetailView(root, root.dataset.group ?? "", Number(root.dataset.pageSize) || 50);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class GroupDetailView {
  #requestId = 0;

  constructor(root, name, pageSize) {
    this.root = root;
    this.name = name;
    this.group = null;
    this.search = "";
    this.pageSize = pageSize;
    this.searchLater = debounce(() => { this.pager.restart(); this.#loadMembers(); }, SEARCH_DELAY_MS);
  }

  destroy() {
    this.searchLater.cancel();
    this.#requestId += 1;
  }

  /** The group first (a missing group says so), then the first page of members. */
  async load() {
    replaceChildren(this.root,
      breadcrumbs(this.name),
      el("h1", { class: "view-title", tabindex: "-1", text: this.name }),
      el("p", { class: "loading", text: "Loading…" }));
    try {
      const groups = await listGroups();
      this.group = groups.find((g) => g.name.toLowerCase() === this.name.toLowerCase()) ?? null;
    } catch (error) {
      this.#problem(error.message);
      return;
    }
    if (!this.root.isConnected) return;
    if (!this.group) {
      this.#problem(`No group named "${this.name}". It may have been renamed or deleted.`);
      return;
    }
    this.#build();
    await this.#loadMembers();
  }

  #problem(message) {
    replaceChildren(this.root,
      breadcrumbs(this.name),
      el("h1", { class: "view-title", tabindex: "-1", text: this.name }),
      el("div", { class: "banner banner--error", role: "alert" },
        el("p", { text: message }),
        el("p", {}, el("a", { href: "#/groups", text: "Back to groups" }))));
  }

  #build() {
    const g = this.group;
    this.summary = new ErrorSummary(el("div", { id: "group-errors" }));
    this.addField = createField({
      id: "add-members", label: "Usernames",
      hint: "One or more usernames, separated by commas or spaces",
      attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "none" },
    });
    this.fields = new Map([["usernames", this.addField]]);
    this.memberCount = el("span", { id: "group-member-count", text: members(g.members) });
    this.selection = new RowSelection({ idPrefix: "member-select", noun: "member", onChange: (n) => this.#selectionChanged(n) });
    this.pager = new KeysetPager({ idPrefix: "members-page", pageSize: this.pageSize, onPage: () => this.#loadMembers() });
    this.removeButton = el("button", {
      id: "remove-members", type: "button", class: "button button--secondary", text: "Remove selected from group",
      on: { click: () => this.#remove() },
    });
    this.searchBox = el("input", {
      id: "members-search", class: "input", type: "search", autocomplete: "off", spellcheck: "false",
      placeholder: "Username, email, name or phone",
      on: {
        input: () => { this.search = this.searchBox.value; this.searchLater(); },
        keydown: (e) => { if (e.key === "Enter") { e.preventDefault(); this.searchLater.cancel(); this.pager.restart(); this.#loadMembers(); } },
      },
    });
    this.columns = [
      { label: "Select", key: "select", cell: this.selection.headerCell },
      { label: "Email", key: "email" },
      { label: "Username", key: "username" },
      { label: "Name", key: "name" },
      { label: "Status", key: "status" },
    ];
    this.list = tableShell({ id: "members-table", caption: `Members of ${g.name}`, columns: this.columns });

    replaceChildren(this.root,
      breadcrumbs(g.name),
      el("div", { class: "view-header" },
        el("div", {},
          el("h1", { class: "view-title", tabindex: "-1", text: g.name }),
          el("p", { class: "view-header__meta view-header__meta--dotted" },
            this.memberCount,
            el("span", { text: `Created ${formatDate(g.createdAt)}` }))),
        el("div", { class: "button-row" },
          el("button", { id: "rename-group-open", type: "button", class: "button button--secondary", text: "Rename group", on: { click: () => this.#rename() } }),
          el("button", { id: "delete-group-open", type: "button", class: "button button--secondary button--danger-text", text: "Delete group", on: { click: () => this.#delete() } }))),
      g.description ? el("p", { id: "group-description", class: "view-intro", text: g.description }) : null,
      this.summary.root,
      el("form", { id: "add-members-form", class: "inline-form panel", novalidate: true, "aria-labelledby": "add-members-title", on: { submit: (e) => this.#add(e) } },
        el("h2", { id: "add-members-title", class: "panel__title", text: "Add members" }),
        el("div", { class: "inline-form__fields" },
          this.addField.root,
          el("div", { class: "inline-form__submit" },
            el("button", { id: "add-members-submit", type: "submit", class: "button", text: "Add to group" })))),
      el("section", { class: "panel", "aria-labelledby": "members-title" },
        el("h2", { id: "members-title", class: "panel__title", text: "Members" }),
        el("div", { class: "toolbar toolbar--actions" },
          el("div", { class: "toolbar__item toolbar__item--grow" },
            el("label", { class: "toolbar__label", for: "members-search", text: "Search members" }),
            this.searchBox),
          el("div", { class: "apply-row" },
            this.removeButton,
            el("p", { id: "members-selected", class: "selection-count", "aria-live": "polite" })),
          this.pager.root),
        this.list.wrap));
    this.#selectionChanged(0);
  }

  async #loadMembers() {
    const id = ++this.#requestId;
    const { table, tbody } = this.list;
    table.setAttribute("aria-busy", "true");
    try {
      const query = { sort: "username", limit: this.pageSize };
      const search = this.search.trim();
      if (search) query.search = search;
      if (this.pager.after) query.after = this.pager.after;
      const page = await groupMembers(this.group.name, query);
      if (id !== this.#requestId) return;
      this.selection.startPage();
      tbody.replaceChildren(...page.users.map((u) => this.#row(u)));
      if (!page.users.length) {
        tbody.append(emptyRow(this.columns.length,
          search ? `No members match “${search}”.`
            : this.pager.pages.length > 1 ? "There are no more members on this page. Go back with Previous."
              : `${this.group.name} has no members yet. Add some above by username.`));
      }
      this.selection.pageDone();
      this.pager.update({ next: page.next, shown: page.users.length, total: search ? undefined : this.group.members });
    } catch (error) {
      if (id !== this.#requestId) return;
      tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      if (id === this.#requestId) table.setAttribute("aria-busy", "false");
    }
  }

  #row(user) {
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    const active = user.status === "active";
    return el("tr", { dataset: { username: user.username } },
      el("td", { class: "cell-select" }, this.selection.checkbox(user.username, user.username)),
      el("td", { class: "cell-email" },
        el("span", { class: "email" }, userIcon(user.onboarded), el("span", { class: "email__text", title: user.email, text: user.email }))),
      el("td", {}, el("a", { class: "user-link", href: `#/users/${encodeURIComponent(user.username)}/edit`, text: user.username })),
      el("td", { text: name }),
      el("td", {}, el("span", { class: `badge badge--${active ? "active" : "disabled"}`, text: active ? "Active" : "Disabled" })));
  }

  #selectionChanged(count) {
    this.root.querySelector("#members-selected").textContent = count
      ? `${formatCount(count)} ${count === 1 ? "member" : "members"} selected`
      : "Tick members to remove them";
    this.removeButton.disabled = count === 0;
  }

  /** After a change: the new member count in the heading, and the list from its first page. */
  #changed(group) {
    this.group = group;
    this.memberCount.textContent = members(group.members);
    this.pager.restart();
    return this.#loadMembers();
  }

  #clearErrors() {
    this.summary.clear();
    this.addField.clearError();
  }

  async #add(event) {
    event.preventDefault();
    this.#clearErrors();
    const usernames = this.addField.value.split(/[\s,;]+/).filter(Boolean);
    if (!usernames.length) {
      // Nothing typed: the core would change nothing and say nothing, so say what to do here.
      showApiError(this.summary, this.fields, { code: "usage", message: "Enter the usernames to add", fields: [{ field: "usernames", message: "Enter one or more usernames to add, separated by commas or spaces" }] });
      return;
    }
    const before = this.group.members;
    try {
      const group = await changeGroupMembers(this.group.name, usernames, []);
      const added = group.members - before;
      const already = usernames.length - added;
      this.addField.value = "";
      announce(`Added ${formatCount(added)} ${added === 1 ? "user" : "users"} to ${group.name}`
        + (already > 0 ? ` (${formatCount(already)} already ${already === 1 ? "a member" : "members"})` : ""));
      await this.#changed(group);
      this.addField.control.focus();
    } catch (error) {
      // "No user with username "x"; nothing was changed" is about what was typed: show it there.
      const onField = error.code === "not_found" || error.code === "usage" || error.code === "validation";
      showApiError(this.summary, this.fields, onField && !error.fields?.length
        ? { ...error, fields: [{ field: "usernames", message: error.message }] }
        : error);
    }
  }

  async #remove() {
    const usernames = this.selection.keys;
    if (!usernames.length) return;
    this.#clearErrors();
    try {
      const group = await changeGroupMembers(this.group.name, [], usernames);
      this.selection.clear();
      announce(`Removed ${formatCount(usernames.length)} ${usernames.length === 1 ? "user" : "users"} from ${group.name}. They stay in the workspace.`);
      await this.#changed(group);
      this.searchBox.focus();
    } catch (error) {
      this.summary.showMessage(error.message);
    }
  }

  async #rename() {
    this.#clearErrors();
    const renamed = await renameGroupDialog(this.group);
    if (!renamed) return;
    announce(`Renamed group ${this.group.name} to ${renamed.name}`);
    location.hash = groupHref(renamed.name);
  }

  async #delete() {
    this.#clearErrors();
    try {
      const deleted = await deleteGroupConfirmed(this.group);
      if (!deleted) return;
      announce(`Deleted group ${deleted.name}`);
      location.hash = "#/groups";
    } catch (error) {
      this.summary.showMessage(error.message);
    }
  }
}

function breadcrumbs(current) {
  return el("nav", { class: "breadcrumbs", "aria-label": "Breadcrumb" },
    el("ol", { class: "breadcrumbs__list" },
      el("li", {}, el("a", { href: "#/groups", text: "Groups" })),
      el("li", {}, el("span", { "aria-current": "page", text: current }))));
}
