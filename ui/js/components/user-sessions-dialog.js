// "All Active Sessions" of the Select menu: a table of the user's sessions (device, IP, user
// agent, started, last seen), a Revoke button per session and "Revoke all sessions". The dialog
// stays open after a revocation and shows the sessions left ("No active sessions" when none).
import { revokeSessions, userSessions } from "../api.js";
import { el } from "../dom.js";
import { formatDateTime } from "../format.js";
import { openDialog } from "./action-dialog.js";

/**
 * @param {object} user  a UserView
 * @param {{done: Function, returnFocus: () => HTMLElement|null}} ctx  as in user-actions.js
 */
export function openUserSessionsDialog(user, ctx) {
  const revokeAll = el("button", {
    id: "revoke-all-sessions", type: "button", class: "button button--danger", text: "Revoke all sessions", disabled: true,
  });
  const dialog = openDialog({
    title: `Active sessions of ${user.username}`,
    intro: `Revoking a session signs ${user.email} out on that device; they must sign in again there.`,
    body: el("p", { class: "loading", text: "Loading…" }),
    extraActions: [revokeAll],
    cancelLabel: "Close",
    size: "wide",
    returnFocus: ctx.returnFocus,
  });

  /** Revokes one session (`id`) or all (null), then shows what is left. */
  const revoke = async (id, focusAfter) => {
    const result = await dialog.run(() => revokeSessions(user.username, id));
    if (!result) return;
    dialog.setStatus(result.message);
    ctx.done({ message: result.message, undo: result.undo ?? null, username: user.username, refresh: false });
    await load(focusAfter);
  };

  revokeAll.addEventListener("click", () => {
    if (revokeAll.getAttribute("aria-disabled") !== "true") revoke(null, 0);
  });

  /** (Re)loads the sessions; focuses the Revoke button at `focusIndex` (or the nearest one). */
  async function load(focusIndex = null) {
    try {
      const sessions = await userSessions(user.username);
      if (dialog.closed) return;
      render(sessions);
      if (focusIndex !== null) {
        const buttons = dialog.form.querySelectorAll("button.revoke-session");
        (buttons[Math.min(focusIndex, buttons.length - 1)] ?? dialog.cancel).focus();
      }
    } catch (error) {
      if (dialog.closed) return;
      dialog.setBody();
      revokeAll.hidden = true;
      dialog.showError(error);
    }
  }

  function render(sessions) {
    revokeAll.disabled = sessions.length === 0;
    if (!sessions.length) {
      dialog.setBody(el("div", { id: "sessions-empty", class: "dialog__empty" },
        el("p", { class: "dialog__empty-title", text: "No active sessions" }),
        el("p", { text: `${user.username} is not signed in on any device.` })));
      return;
    }
    const rows = sessions.map((s, i) => el("tr", { dataset: { session: s.id } },
      el("td", { class: "cell-device", title: s.device, text: s.device }),
      el("td", { class: "cell-ip" }, el("span", { class: "session-ip", text: s.ip })),
      el("td", { class: "cell-agent", title: s.userAgent, text: s.userAgent }),
      el("td", { class: "cell-when" }, el("time", { datetime: s.startedAt, text: formatDateTime(s.startedAt) })),
      el("td", { class: "cell-when" }, el("time", { datetime: s.lastSeenAt, text: formatDateTime(s.lastSeenAt) })),
      el("td", { class: "cell-revoke" },
        el("button", {
          type: "button", class: "button button--secondary button--small revoke-session",
          "aria-label": `Revoke the session on ${s.device} (${s.ip})`, text: "Revoke",
          on: { click: () => revoke(s.id, i) },
        }))));
    dialog.setBody(
      el("div", { class: "dialog-table-wrap" },
        el("table", { id: "sessions-table", class: "table table--dialog" },
          el("caption", { class: "table__caption", text: `${sessions.length} active ${sessions.length === 1 ? "session" : "sessions"}` }),
          el("colgroup", {}, ["device", "ip", "agent", "when", "when", "revoke"].map((k) => el("col", { class: `col-session-${k}` }))),
          el("thead", {}, el("tr", {},
            ["Device", "IP address", "User agent", "Started", "Last seen"].map((label) => el("th", { scope: "col", text: label })),
            el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Revoke" })))),
          el("tbody", {}, rows))));
  }

  load().then(() => {
    if (!dialog.closed) (dialog.form.querySelector("button.revoke-session") ?? dialog.cancel).focus();
  });
}
