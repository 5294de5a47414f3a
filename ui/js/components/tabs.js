// The tab strips of the Users area ("User List" and "On-Boarding Status", the labels admins know
// from other consoles) and of Settings (the mail server, the mail templates, the outbox, the remote
// directories). The tabs are links to routes, styled as tabs, not an ARIA tablist: each one changes
// the URL and the view, so the current one is marked with aria-current="page".
import { el } from "../dom.js";

/** The Users area's tabs, in order. `id` is the tab's key (also `#tab-<id>`). */
export const USERS_TABS = Object.freeze([
  { id: "users", label: "User List", href: "#/users" },
  { id: "onboarding", label: "On-Boarding Status", href: "#/onboarding" },
]);

/** The Settings area's tabs, in order. */
export const SETTINGS_TABS = Object.freeze([
  { id: "mail", label: "Mail", href: "#/settings/mail" },
  { id: "mail-templates", label: "Mail templates", href: "#/settings/mail/templates" },
  { id: "mail-outbox", label: "Outbox", href: "#/settings/mail/outbox" },
  { id: "remotes", label: "Remotes", href: "#/settings/remotes" },
]);

/**
 * A tab strip of links.
 * @param {{id: string, label: string, href: string}[]} tabs
 * @param {string} current  the id of the tab whose view is shown
 * @param {string} label    the accessible name of the strip
 */
export function tabStrip(tabs, current, label) {
  return el("nav", { class: "tabs", "aria-label": label },
    el("ul", { class: "tabs__list" }, tabs.map((tab) => el("li", { class: "tabs__item" },
      el("a", {
        id: `tab-${tab.id}`,
        class: "tabs__link",
        href: tab.href,
        "aria-current": tab.id === current ? "page" : null,
        text: tab.label,
      })))));
}

/**
 * The Users area: its tab strip above `view` (the view's own root, left untouched), in one
 * column that fills <main> so a view that scrolls inside itself (the users list) still fits.
 * @param {"users"|"onboarding"} current
 * @param {HTMLElement} view
 */
export function withUsersTabs(current, view) {
  return el("div", { class: "tabbed-area" }, tabStrip(USERS_TABS, current, "Users"), view);
}

/**
 * The Settings area: its tab strip above `view`, like withUsersTabs.
 * @param {"mail"|"mail-templates"|"mail-outbox"|"remotes"} current
 * @param {HTMLElement} view
 */
export function withSettingsTabs(current, view) {
  return el("div", { class: "tabbed-area" }, tabStrip(SETTINGS_TABS, current, "Settings"), view);
}
