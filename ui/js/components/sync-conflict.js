// One sync conflict on the Sync screen: a real table, one row per field where this workspace
// (mine), the remote (theirs) and the last agreed version (base) are not all the same, with a
// pair of radio buttons per row (Keep mine / Keep theirs; arrow keys move between them, each
// labelled with the field and the side). A field only one side changed starts on that side (a
// merge would take it); a field both sides changed ("Both changed") starts unchosen. Resolve
// sends the choices; Keep all mine / Keep all theirs resolve the whole user or group at once.
// A user or group deleted on the remote is kept or dropped whole: Re-create (mine) or Delete
// here (theirs). The services check the choices and name any field still to choose.
import { el } from "../dom.js";
import { formatDateTime } from "../format.js";
import { ENTITY_LABELS } from "./push-history.js";

/** The canonical fields of users and groups (docs/ipc.md, SyncField.field), as the admin reads them. */
export const FIELD_LABELS = {
  userName: "Username", email: "Email", givenName: "First name", familyName: "Last name", phone: "Phone",
  active: "Active", roles: "Roles", secondFactor: "Second factor", mfaEnrolled: "MFA enrolled",
  deviceLimit: "Device limit", passwordExpiresAt: "Password expires", customAttributes: "Custom attributes",
  displayName: "Group name", members: "Members",
};
export const fieldLabel = (f) => FIELD_LABELS[f] ?? f;


/** A field's value in a conflict, as text; null when the side has none. */
function valueText(field, value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return field === "active" ? (value ? "Active" : "Disabled") : value ? "Yes" : "No";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : null;
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(", ") || null;
  return String(value);
}

function valueNodes(field, value, none = "(none)") {
  const text = valueText(field, value);
  return text === null ? el("span", { class: "muted", text: none }) : el("span", { text });
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The id of the radio for `side` of `field` in conflict `id` (the error summary links to it). */
export const choiceId = (conflictId, field, side) => `conflict-${conflictId}-${field}-${side}`;

/**
 * @param {object} c  a SyncConflictView
 * @param {{remote: string, onResolve: (c: object, choice: {keep?: string, fields?: object}, button: HTMLElement) => void}} options
 * @returns {HTMLElement}
 */
export function conflictPanel(c, { remote, onResolve }) {
  const id = `conflict-${c.id}`;
  const what = ENTITY_LABELS[c.entity] ?? c.entity;
  const header = el("div", { class: "conflict__header" },
    el("h3", { id: `${id}-title`, class: "panel__title", tabindex: "-1", text: `${what} ${c.name}` }),
    el("p", { class: "view-header__meta", text: `Found ${formatDateTime(c.foundAt)}` }));
  const action = (side, label, hint, primary, choice) => el("div", { class: "sync-action" },
    el("button", {
      id: `${id}-${side}`, type: "button", class: primary ? "button" : "button button--secondary",
      "aria-describedby": `${id}-${side}-hint`, dataset: { keep: side }, text: label,
      on: { click: (e) => onResolve(c, choice(), e.currentTarget) },
    }),
    el("p", { id: `${id}-${side}-hint`, class: "sync-action__hint", text: hint }));
  const article = (...children) => el("article", {
    id, class: `panel conflict${c.deletedOnRemote ? " conflict--deleted" : ""}`,
    dataset: { conflictId: String(c.id), entity: c.entity, name: c.name }, "aria-labelledby": `${id}-title`,
  }, header, children);

  if (c.deletedOnRemote) {
    const table = el("table", { id: `${id}-table`, class: "table table--admin table--conflict" },
      el("caption", { class: "visually-hidden", text: `${c.name} here, and as last agreed; ${remote} no longer has it` }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Field" }),
        el("th", { scope: "col", text: "Base (last agreed)" }),
        el("th", { scope: "col", text: "Mine (this workspace)" }),
        el("th", { scope: "col", text: `Theirs (${remote})` }))),
      el("tbody", {}, c.fields.map((f) => el("tr", { dataset: { field: f.field } },
        el("th", { scope: "row", text: fieldLabel(f.field) }),
        el("td", { class: "conflict__value" }, valueNodes(f.field, f.base)),
        el("td", { class: "conflict__value" }, valueNodes(f.field, f.mine)),
        el("td", { class: "conflict__value" }, el("span", { class: "muted", text: "(deleted)" }))))));
    return article(
      el("p", { id: `${id}-deleted`, class: "banner banner--warning", text: `Deleted on ${remote} while a change to it waited here.` }),
      el("div", { class: "table-wrap table-wrap--flow" }, table),
      el("div", { class: "conflict__actions" },
        action("mine", `Re-create on ${remote}`, `Push creates it again on ${remote} with your version`, true, () => ({ keep: "mine" })),
        action("theirs", "Delete here", `Delete it in this workspace too, as on ${remote}`, false, () => ({ keep: "theirs" }))));
  }

  const rows = c.fields.map((f) => {
    const initial = f.conflicting ? null : same(f.mine, f.base) ? "theirs" : "mine";
    const radio = (side, value) => {
      const rid = choiceId(c.id, f.field, side);
      return el("td", { class: `conflict__value conflict__choice${!same(value, f.base) ? " conflict__value--changed" : ""}` },
        el("input", {
          type: "radio", id: rid, name: `${id}-${f.field}`, value: side, checked: initial === side,
          dataset: { field: f.field, side },
        }),
        el("label", { for: rid },
          el("span", { class: "visually-hidden", text: `Keep ${side} for ${fieldLabel(f.field)}: ` }),
          valueNodes(f.field, value)));
    };
    return el("tr", { dataset: { field: f.field, conflicting: String(f.conflicting) } },
      el("th", { scope: "row" }, fieldLabel(f.field),
        f.conflicting ? el("span", { class: "badge badge--sync-conflict conflict__both", text: "Both changed" }) : null),
      el("td", { class: "conflict__value" }, valueNodes(f.field, f.base)),
      radio("mine", f.mine),
      radio("theirs", f.theirs));
  });
  const table = el("table", { id: `${id}-table`, class: "table table--admin table--conflict" },
    el("caption", { class: "visually-hidden", text: `The fields of ${c.name} that differ: base, then mine and theirs, each with a choice to keep it` }),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col", text: "Field" }),
      el("th", { scope: "col", text: "Base (last agreed)" }),
      el("th", { scope: "col", text: "Mine (this workspace)" }),
      el("th", { scope: "col", text: `Theirs (${remote})` }))),
    el("tbody", {}, rows));
  /** The side chosen per field (fields with none chosen are left out: the services name them). */
  const chosen = () => {
    const fields = {};
    for (const input of table.querySelectorAll("input[type=radio]:checked")) fields[input.dataset.field] = input.value;
    return { fields };
  };
  const both = c.fields.filter((f) => f.conflicting).length;
  return article(
    el("p", { class: "panel__text", text: both
      ? `Choose mine or theirs for each field marked Both changed; the other fields start on the side that changed them.`
      : "Each field starts on the side that changed it." }),
    el("div", { class: "table-wrap table-wrap--flow" }, table),
    el("div", { class: "conflict__actions" },
      action("resolve", "Resolve", `Keep the side chosen in each row: theirs is written here, mine goes to ${remote} with the next push`, true, chosen),
      action("mine", "Keep all mine", `Push sends your version of every field to ${remote}`, false, () => ({ keep: "mine" })),
      action("theirs", "Keep all theirs", `Take ${remote}'s version of every field here; your change is dropped`, false, () => ({ keep: "theirs" }))));
}
