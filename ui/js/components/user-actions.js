// The actions of a row's "Select" menu: which entries it shows for a user, and what each does.
// Actions that need input or are destructive open the action dialog; Disable and Enable run at
// once (they can be undone from the notice). Every message shown is the core's.
import {
  changeRoles, deleteUser, expirePassword, getUser, listRoles, mailOptions, setDeviceLimit, setSecondFactor, userAction,
} from "../api.js";
import { el } from "../dom.js";
import { formatDate } from "../format.js";
import { currentSyncStatus } from "../sync-status.js";
import { ensureWorkspace } from "../workspace.js";
import { openDialog } from "./action-dialog.js";
import { openUserGroupsDialog } from "./user-groups-dialog.js";
import { OUTBOX_ROUTE } from "./mail-send.js";
import { openUserSessionsDialog } from "./user-sessions-dialog.js";

/** The second-factor methods, as the core names them, with the labels admins read. */
export const SECOND_FACTORS = Object.freeze([
  { value: "none", label: "None", hint: "No second factor is asked for" },
  { value: "totp", label: "Authenticator app (TOTP)", hint: "A 6-digit code from an app such as Google Authenticator or 1Password" },
  { value: "email_otp", label: "Email one-time code", hint: "A code sent to the user's email address" },
  { value: "sms_otp", label: "SMS one-time code", hint: "A code sent by text message to the user's phone" },
  { value: "push", label: "Push notification", hint: "Approve the sign-in in the user's mobile app" },
  { value: "hardware_key", label: "Hardware security key", hint: "A FIDO2 / WebAuthn key such as a YubiKey" },
]);

/**
 * The menu's entries for `user`, grouped: the user's profile and access; sign-in settings;
 * resets; then status and deletion. Disable or Enable, whichever applies. `note`: the entry
 * changes a field the linked remote does not keep.
 */
export function menuEntries(user) {
  const active = user.status === "active";
  // What the linked remote does not keep (no Roster extension): those actions change this
  // workspace only, and say so.
  const sync = currentSyncStatus();
  const localOnly = new Set(sync?.remote ? sync.localOnlyFields ?? [] : []);
  const note = (field) => (localOnly.has(field) ? `local only for ${sync.remote}` : undefined);
  return [
    { action: "edit", label: "Edit" },
    { action: "view-groups", label: "View Groups" },
    { action: "roles", label: "Roles" },
    "separator",
    { action: "second-factor", label: "Change Second Factor", note: note("secondFactor") },
    { action: "expire-password", label: "Set Password Expiry", note: note("passwordExpiresAt") },
    { action: "device-limit", label: "Update Device Limit", note: note("deviceLimit") },
    { action: "sessions", label: "All Active Sessions", note: note("sessions") },
    "separator",
    { action: "reset-password", label: "Password Reset" },
    { action: "reset-mfa", label: "Reset User MFA", note: note("mfaEnrolled") },
    { action: "remove-identity", label: "Remove User Identity" },
    "separator",
    active ? { action: "disable", label: "Disable User" } : { action: "enable", label: "Enable User" },
    { action: "delete", label: "Delete", danger: true },
  ];
}

/**
 * Runs one menu action on `user` (a UserView from the list).
 * @param {string} action  a menu entry's `action`
 * @param {object} user
 * @param {object} ctx
 * @param {(outcome: {message: string, undo: number|null, username: string, deleted?: boolean}) => void} ctx.done
 *        after a change: refresh, announce, offer undo
 * @param {() => HTMLElement|null} ctx.returnFocus  the row's Select button (or what replaces it)
 */
export function runUserAction(action, user, ctx) {
  const handlers = {
    "edit": () => { location.hash = `#/users/${encodeURIComponent(user.username)}/edit`; },
    "view-groups": () => openUserGroupsDialog(user, ctx),
    "roles": () => rolesDialog(user, ctx),
    "second-factor": () => secondFactorDialog(user, ctx),
    "expire-password": () => expiryDialog(user, ctx),
    "device-limit": () => deviceLimitDialog(user, ctx),
    "sessions": () => openUserSessionsDialog(user, ctx),
    "reset-password": () => resetPasswordDialog(user, ctx),
    "reset-mfa": () => confirmDialog(user, ctx, {
      title: `Reset the MFA of ${user.username}?`,
      paragraphs: [
        `${user.email} keeps their password, but their second-factor enrolment is cleared: they enrol again the next time they sign in.`,
        "This cannot be undone.",
      ],
      submitLabel: "Reset MFA",
      danger: true,
      run: () => userAction(user.username, "reset_mfa"),
    }),
    "remove-identity": () => confirmDialog(user, ctx, {
      title: `Remove the identity of ${user.username}?`,
      paragraphs: [
        `The password and second-factor setup of ${user.email} are cleared. They can no longer sign in until they set a new password from a reset mail, like a newly created user (not onboarded).`,
        "Their profile, groups and roles stay. This cannot be undone.",
      ],
      submitLabel: "Remove identity",
      danger: true,
      run: () => userAction(user.username, "remove_identity"),
    }),
    "delete": () => confirmDialog(user, ctx, {
      title: `Delete ${user.username}?`,
      paragraphs: [
        `${user.username} (${user.email}) is deleted, together with their group memberships, roles and sessions.`,
        "This cannot be undone. The deletion is recorded in the audit log with the user's details as they were.",
      ],
      submitLabel: "Delete user",
      danger: true,
      run: async () => {
        await deleteUser(user.username);
        return { message: `Deleted ${user.email}`, undo: null, deleted: true };
      },
    }),
    "disable": () => immediate(user, ctx, "disable", `Could not disable ${user.username}`),
    "enable": () => immediate(user, ctx, "enable", `Could not enable ${user.username}`),
  };
  handlers[action]?.();
}

/** Disable / Enable: no question asked (Undo is offered); a failure opens a dialog saying why. */
async function immediate(user, ctx, action, failureTitle) {
  try {
    const result = await userAction(user.username, action);
    ctx.done({ message: result.message, undo: result.undo, username: user.username });
  } catch (error) {
    openDialog({ title: failureTitle, cancelLabel: "Close", returnFocus: ctx.returnFocus }).showError(error);
  }
}

/** Calls `ctx.done` with what an ActionView (or a delete) says, after closing the dialog. */
function finish(dialog, ctx, user, result) {
  dialog.close();
  ctx.done({ message: result.message, undo: result.undo ?? null, username: user.username, deleted: result.deleted });
}

/** A question with a primary button; Cancel has focus first when the action is destructive. */
function confirmDialog(user, ctx, { title, paragraphs, submitLabel, danger = false, run }) {
  const dialog = openDialog({
    title,
    body: paragraphs.map((text, i) => el("p", { class: i === paragraphs.length - 1 && danger ? "dialog__warning" : null, text })),
    submitLabel,
    danger,
    returnFocus: ctx.returnFocus,
    onSubmit: async (d) => {
      const result = await d.run(run);
      if (result) finish(d, ctx, user, result);
    },
  });
  if (danger) dialog.cancel.focus();
  return dialog;
}

/**
 * "Password Reset": sends the reset mail now. What the mail carries (a link to the directory's
 * reset page, or a temporary password that replaces the current one at once) is a workspace
 * setting: the dialog opens at once and says which as soon as it knows. When mail is not set up,
 * or the server cannot take the mail (it then waits in the outbox), the core says so and the
 * dialog offers the way to fix it.
 */
function resetPasswordDialog(user, ctx) {
  const what = el("p", { id: "reset-password-what", text: `Roster mails ${user.email} a password reset now.` });
  const dialog = openDialog({
    title: `Send a password reset mail to ${user.username}?`,
    body: what,
    submitLabel: "Send reset mail",
    returnFocus: ctx.returnFocus,
    onSubmit: async (d) => {
      let failure = null;
      const result = await d.run(() => userAction(user.username, "reset_password").catch((error) => {
        failure = error;
        throw error;
      }));
      if (result) {
        finish(d, ctx, user, result);
        return;
      }
      if (d.closed || !failure) return;
      const go = (label, id, note, hash) => ({ label, id, note, onClick: () => { d.close(); location.hash = hash; } });
      if (failure.code === "not_configured") {
        d.summary.showMessage(failure.message, [go("Set up mail", "reset-setup-mail", "Opens Settings → Mail", "#/settings/mail")]);
      } else if (failure.code === "remote") {
        d.summary.showMessage(failure.message, [go("Open the Outbox", "reset-outbox", "Where the mail waits, to retry", OUTBOX_ROUTE)]);
      }
    },
  });
  mailOptions().then((options) => {
    if (dialog.closed) return;
    const has = user.onboarded;
    what.textContent = options.resetMethod === "portal_link"
      ? `Roster mails ${user.email} a link to your reset page, where they choose a new password.${has ? " Their current password keeps working until they do." : ""}`
      : `Roster mails ${user.email} a one-time temporary password.${has ? " It replaces their current password at once, and they" : " They"} must choose a new one when they first sign in.`;
  }).catch(() => {});
  return dialog;
}

/**
 * A dialog whose form needs data first: it opens at once saying "Loading…", then shows the
 * form (or why it could not load).
 */
function formDialog(ctx, { title, intro, submitLabel, extraActions = [], inputIdFor, load, render, focus }) {
  const dialog = openDialog({
    title,
    intro,
    body: el("p", { class: "loading", text: "Loading…" }),
    submitLabel,
    extraActions,
    inputIdFor,
    returnFocus: ctx.returnFocus,
  });
  dialog.submit.disabled = true;
  for (const button of extraActions) button.disabled = true;
  load().then((data) => {
    if (dialog.closed) return;
    dialog.setBody(render(data, dialog));
    dialog.submit.disabled = false;
    focus?.(data, dialog);
  }).catch((error) => {
    if (dialog.closed) return;
    dialog.setBody();
    dialog.submit.hidden = true;
    for (const button of extraActions) button.hidden = true;
    dialog.showError(error);
  });
  return dialog;
}

function secondFactorDialog(user, ctx) {
  formDialog(ctx, {
    title: `Change the second factor of ${user.username}`,
    intro: `The method ${user.email} is asked for by default when an application requires MFA.`,
    submitLabel: "Save second factor",
    inputIdFor: (field) => (field === "secondFactor" ? "second-factor-none" : ""),
    load: () => getUser(user.username),
    render: (fresh, dialog) => {
      dialog.onSubmit = async (d) => {
        const method = d.form.querySelector('input[name="second-factor"]:checked')?.value ?? "";
        const result = await d.run(() => setSecondFactor(user.username, method));
        if (result) finish(d, ctx, user, result);
      };
      return el("fieldset", { class: "choices" },
        el("legend", { class: "choices__legend", text: "Second factor" }),
        SECOND_FACTORS.map(({ value, label, hint }) => {
          const id = `second-factor-${value}`;
          const current = fresh.secondFactor === value;
          return el("div", { class: "choice" },
            el("input", {
              id, type: "radio", name: "second-factor", value, class: "choice__input",
              checked: current, "aria-describedby": `${id}-hint`,
            }),
            el("label", { for: id, class: "choice__label" }, label,
              current ? el("span", { class: "choice__current", text: " (current)" }) : null),
            el("p", { id: `${id}-hint`, class: "choice__hint", text: hint }));
        }));
    },
    focus: (_, dialog) => dialog.form.querySelector('input[name="second-factor"]:checked')?.focus(),
  });
}

function expiryDialog(user, ctx) {
  const clear = el("button", { id: "expiry-clear", type: "button", class: "button button--secondary", text: "Clear expiry" });
  formDialog(ctx, {
    title: `Set the password expiry of ${user.username}`,
    intro: `After this date the password of ${user.email} stops working and they must set a new one.`,
    submitLabel: "Set expiry",
    extraActions: [clear],
    inputIdFor: (field) => (field === "passwordExpiresAt" ? "expiry-date" : ""),
    load: () => getUser(user.username),
    render: (fresh, dialog) => {
      const current = fresh.passwordExpiresAt;
      clear.disabled = !current;
      clear.title = current ? "" : "The password has no expiry";
      clear.addEventListener("click", async () => {
        if (clear.getAttribute("aria-disabled") === "true") return;
        const result = await dialog.run(() => expirePassword(user.username, null));
        if (result) finish(dialog, ctx, user, result);
      });
      dialog.onSubmit = async (d) => {
        const at = d.form.querySelector("#expiry-date").value;
        const result = await d.run(() => expirePassword(user.username, at));
        if (result) finish(d, ctx, user, result);
      };
      return field({
        id: "expiry-date",
        label: "Password expires after",
        hint: current ? `Currently ${formatDate(`${current}T12:00:00`)}` : "Currently the password does not expire",
        control: el("input", { id: "expiry-date", type: "date", class: "input input--date", value: current ?? "" }),
      });
    },
    focus: (_, dialog) => dialog.form.querySelector("#expiry-date")?.focus(),
  });
}

function deviceLimitDialog(user, ctx) {
  const reset = el("button", { id: "device-limit-default", type: "button", class: "button button--secondary", text: "Reset to Default" });
  formDialog(ctx, {
    title: `Update the device limit of ${user.username}`,
    intro: `How many devices ${user.email} may register.`,
    submitLabel: "Set limit",
    extraActions: [reset],
    inputIdFor: (field) => (field === "deviceLimit" ? "device-limit-value" : ""),
    load: () => Promise.all([getUser(user.username), ensureWorkspace()]),
    render: ([fresh, info], dialog) => {
      const fallback = info.settings?.defaultDeviceLimit;
      const usesDefault = fresh.deviceLimit === null || fresh.deviceLimit === undefined;
      reset.disabled = usesDefault;
      reset.title = usesDefault ? "The user already has the workspace default" : "";
      reset.addEventListener("click", async () => {
        if (reset.getAttribute("aria-disabled") === "true") return;
        const result = await dialog.run(() => setDeviceLimit(user.username, null));
        if (result) finish(dialog, ctx, user, result);
      });
      dialog.onSubmit = async (d) => {
        const limit = d.form.querySelector("#device-limit-value").value;
        const result = await d.run(() => setDeviceLimit(user.username, limit));
        if (result) finish(d, ctx, user, result);
      };
      return [
        el("dl", { class: "facts" },
          el("div", { class: "facts__row" }, el("dt", { text: "Current limit" }),
            el("dd", { id: "device-limit-current", text: usesDefault ? `${fallback ?? "?"} (the workspace default)` : String(fresh.deviceLimit) })),
          el("div", { class: "facts__row" }, el("dt", { text: "Workspace default" }),
            el("dd", { id: "device-limit-workspace-default", text: String(fallback ?? "not set") }))),
        field({
          id: "device-limit-value",
          label: "Devices allowed",
          hint: "A whole number from 1 to 100",
          control: el("input", {
            id: "device-limit-value", type: "number", class: "input input--number", min: "1", max: "100", step: "1",
            inputmode: "numeric", value: usesDefault ? "" : String(fresh.deviceLimit), placeholder: usesDefault ? String(fallback ?? "") : null,
          }),
        }),
      ];
    },
    focus: (_, dialog) => dialog.form.querySelector("#device-limit-value")?.focus(),
  });
}

function rolesDialog(user, ctx) {
  formDialog(ctx, {
    title: `Roles of ${user.username}`,
    intro: `Tick the roles ${user.email} should have.`,
    submitLabel: "Save roles",
    load: () => Promise.all([getUser(user.username), listRoles()]),
    render: ([fresh, roles], dialog) => {
      if (!roles.length) {
        dialog.submit.hidden = true;
        return el("p", { text: "This workspace has no roles yet. Add roles on the Roles screen first." });
      }
      const had = new Set(fresh.roles.map((r) => r.toLowerCase()));
      dialog.onSubmit = async (d) => {
        const ticked = [...d.form.querySelectorAll("input.role-check")];
        const add = ticked.filter((c) => c.checked && !had.has(c.value.toLowerCase())).map((c) => c.value);
        const remove = ticked.filter((c) => !c.checked && had.has(c.value.toLowerCase())).map((c) => c.value);
        const result = await d.run(() => changeRoles(user.username, add, remove));
        if (result) finish(d, ctx, user, result);
      };
      return el("fieldset", { class: "choices" },
        el("legend", { class: "choices__legend", text: "Roles" }),
        roles.map((role, i) => {
          const id = `role-${i}`;
          return el("div", { class: "choice choice--check" },
            el("input", {
              id, type: "checkbox", class: "choice__input role-check", value: role.name,
              checked: had.has(role.name.toLowerCase()), "aria-describedby": role.description ? `${id}-hint` : null,
            }),
            el("label", { for: id, class: "choice__label", text: role.name }),
            role.description ? el("p", { id: `${id}-hint`, class: "choice__hint", text: role.description }) : null);
        }));
    },
    focus: (_, dialog) => dialog.form.querySelector("input.role-check")?.focus(),
  });
}

/** A labelled field with a hint (GOV.UK form group). */
function field({ id, label, hint, control }) {
  control.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", { class: "field" },
    el("label", { class: "field__label", for: id, text: label }),
    el("p", { id: `${id}-hint`, class: "field__hint", text: hint }),
    control);
}
