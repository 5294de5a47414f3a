// "View Groups" of the Select menu: the groups a user is in, with "Remove from selected groups";
// "Assign Groups" switches to the groups they are not in, with "Assign to the user".
// Both lists are real tables with a checkbox per group, a "Select Action" select and Apply.
import { assignGroups, unassignGroups, userGroups } from "../api.js";
import { el } from "../dom.js";
import { formatCount } from "../format.js";
import { openDialog } from "./action-dialog.js";

const MODES = {
  member: {
    caption: (u) => `Groups ${u} is in`,
    empty: (u) => `${u} is in no groups yet. Use Assign Groups to add them to one.`,
    action: { value: "remove", label: "Remove from selected groups" },
    run: (u, groups) => unassignGroups(u, groups),
  },
  available: {
    caption: (u) => `Groups ${u} is not in`,
    empty: (u) => `${u} is in every group already.`,
    action: { value: "assign", label: "Assign to the user" },
    run: (u, groups) => assignGroups(u, groups),
  },
};

/**
 * @param {object} user  a UserView
 * @param {{done: Function, returnFocus: () => HTMLElement|null}} ctx  as in user-actions.js
 */
export function openUserGroupsDialog(user, ctx) {
  const dialog = openDialog({
    title: `Groups of ${user.username}`,
    body: el("p", { class: "loading", text: "Loading…" }),
    cancelLabel: "Close",
    size: "wide",
    returnFocus: ctx.returnFocus,
  });
  userGroups(user.username).then((groups) => {
    if (!dialog.closed) show(dialog, user, ctx, groups, "member");
  }).catch((error) => {
    if (dialog.closed) return;
    dialog.setBody();
    dialog.showError(error);
  });
}

function show(dialog, user, ctx, groups, mode) {
  const spec = MODES[mode];
  const list = mode === "member" ? groups.memberOf : groups.available;
  const name = user.username;
  const switcher = mode === "member"
    ? el("button", {
      id: "assign-groups", type: "button", class: "button button--secondary",
      text: "Assign Groups", disabled: groups.available.length === 0,
      on: { click: () => switchTo("available", "#assign-groups-back") },
    })
    : el("button", {
      id: "assign-groups-back", type: "button", class: "button button--secondary",
      text: `Back to the groups of ${name}`,
      on: { click: () => switchTo("member", "#assign-groups") },
    });

  function switchTo(next, focusSelector) {
    dialog.clearError();
    show(dialog, user, ctx, groups, next);
    (dialog.form.querySelector("input.group-check") ?? dialog.form.querySelector(focusSelector))?.focus();
  }

  const rows = list.map((group, i) => {
    const id = `group-check-${i}`;
    return el("tr", { dataset: { group: group.name } },
      el("td", { class: "cell-check" },
        el("input", { id, type: "checkbox", class: "group-check", value: group.name })),
      el("td", { class: "cell-group" }, el("label", { for: id, class: "group-name", text: group.name })),
      el("td", { class: "cell-description", title: group.description, text: group.description }),
      el("td", { class: "cell-members num", text: formatCount(group.members) }));
  });
  const table = el("table", { id: "user-groups-table", class: "table table--dialog" },
    el("caption", { class: "table__caption", text: spec.caption(name) }),
    el("colgroup", {}, ["check", "group", "description", "members"].map((k) => el("col", { class: `col-dialog-${k}` }))),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Selected" })),
      el("th", { scope: "col", text: "Group" }),
      el("th", { scope: "col", text: "Description" }),
      el("th", { scope: "col", class: "num", text: "Members" }))),
    el("tbody", {}, rows));

  const action = el("select", { id: "groups-action", class: "select" },
    el("option", { value: spec.action.value, text: spec.action.label, selected: true }));
  const apply = el("button", { id: "groups-apply", type: "submit", class: "button", text: "Apply" });

  dialog.onSubmit = async (d) => {
    const picked = [...d.form.querySelectorAll("input.group-check:checked")].map((c) => c.value);
    const result = await d.run(() => spec.run(name, picked));
    if (!result) return;
    d.close();
    ctx.done({ message: result.message, undo: result.undo ?? null, username: name });
  };

  dialog.setBody(
    el("div", { class: "dialog__toolbar" },
      el("p", { class: "dialog__lead", text: mode === "member" ? `Tick groups to remove ${name} from them, or assign more.` : `Tick the groups to add ${name} to.` }),
      switcher),
    list.length
      ? el("div", { class: "dialog-table-wrap" }, table)
      : el("p", { id: "user-groups-empty", class: "dialog__empty", text: spec.empty(name) }),
    list.length
      ? el("div", { class: "action-row" },
        el("label", { class: "action-row__label", for: "groups-action", text: "Select Action" }),
        action,
        apply)
      : null);
}
