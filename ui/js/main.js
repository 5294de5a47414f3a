// Starts the app: the workspace header, then hash routing between views inside <main id="main">.
// Routes: #/users (the list, also the default), #/users/new, #/users/<username>/edit,
// #/onboarding (the Users area's second tab), #/groups, #/groups/<name>, #/roles, #/attributes, #/bulk,
// #/sync, #/audit, #/settings/mail (also #/settings), #/settings/mail/templates,
// #/settings/mail/outbox, #/settings/remotes (the Settings area's tabs).
// To add a section: a nav link in index.html with data-section, a route below, a view module.
import { el } from "./dom.js";
import { announce, clearNotice } from "./notice.js";
import { refreshWorkspace } from "./workspace.js";
import { startUserForm } from "./components/user-form.js";
import { initialListState, startUsersList } from "./components/users-list.js";
import { startWorkspaceHeader } from "./components/workspace-header.js";
import { startAttributesView } from "./components/attributes-view.js";
import { startAuditView } from "./components/audit-view.js";
import { initialBulkState, startBulkView } from "./components/bulk-view.js";
import { startGroupDetailView, startGroupsView } from "./components/groups-view.js";
import { startMailOutboxView } from "./components/mail-outbox-view.js";
import { startMailSettingsView } from "./components/mail-settings-view.js";
import { startMailTemplatesView } from "./components/mail-templates-view.js";
import { startOnboardingView } from "./components/onboarding-view.js";
import { startRemotesView } from "./components/remotes-view.js";
import { startRolesView } from "./components/roles-view.js";
import { startSyncView } from "./components/sync-view.js";
import { withSettingsTabs, withUsersTabs } from "./components/tabs.js";

const DEFAULT_ROUTE = "#/users";

const ROUTES = [
  { pattern: /^#\/users\/?$/, section: "users", start: usersView },
  { pattern: /^#\/users\/new$/, section: "users", start: () => userFormView("add") },
  { pattern: /^#\/users\/([^/]+)\/edit$/, section: "users", start: (m) => userFormView("edit", decodeURIComponent(m[1])) },
  { pattern: /^#\/onboarding\/?$/, section: "users", start: () => sectionView("onboarding", startOnboardingView, { tabs: (v) => withUsersTabs("onboarding", v) }) },
  { pattern: /^#\/groups\/?$/, section: "groups", start: () => sectionView("groups", startGroupsView) },
  { pattern: /^#\/groups\/([^/]+)$/, section: "groups", start: (m) => sectionView("group", startGroupDetailView, { group: decodeURIComponent(m[1]) }) },
  { pattern: /^#\/roles\/?$/, section: "roles", start: () => sectionView("roles", startRolesView) },
  { pattern: /^#\/attributes\/?$/, section: "attributes", start: () => sectionView("attributes", startAttributesView) },
  { pattern: /^#\/bulk\/?$/, section: "bulk", start: () => sectionView("bulk", (root) => startBulkView(root, bulkState)) },
  { pattern: /^#\/sync\/?$/, section: "sync", start: () => sectionView("sync", startSyncView) },
  { pattern: /^#\/audit\/?$/, section: "audit", start: () => sectionView("audit", startAuditView) },
  { pattern: /^#\/settings(?:\/mail)?\/?$/, section: "settings", start: () => sectionView("settings", startMailSettingsView, { tabs: (v) => withSettingsTabs("mail", v) }) },
  { pattern: /^#\/settings\/mail\/templates\/?$/, section: "settings", start: () => sectionView("mail-templates", startMailTemplatesView, { tabs: (v) => withSettingsTabs("mail-templates", v) }) },
  { pattern: /^#\/settings\/mail\/outbox\/?$/, section: "settings", start: () => sectionView("mail-outbox", startMailOutboxView, { tabs: (v) => withSettingsTabs("mail-outbox", v) }) },
  { pattern: /^#\/settings\/remotes\/?$/, section: "settings", start: () => sectionView("remotes", startRemotesView, { tabs: (v) => withSettingsTabs("remotes", v) }) },
];

const main = document.getElementById("main");
const listState = initialListState(); // kept across visits to the list
const bulkState = initialBulkState(); // the open plan and its results, kept across visits
let currentView = null;
/** What to focus when the list shows again: a username's link, or a selector. */
let returnFocus = null;

function usersView() {
  const root = el("section", { class: "view view--users", dataset: { pageSize: "50" } });
  main.replaceChildren(withUsersTabs("users", root));
  const view = startUsersList(root, listState);
  view.ready.then(() => restoreFocus(root));
  return view;
}

/** A section's view (groups, roles, …) on a fresh root; `tabs` wraps it in its area's tab strip. */
function sectionView(name, start, { tabs, ...data } = {}) {
  const root = el("section", { class: `view view--${name}`, dataset: data });
  main.replaceChildren(tabs ? tabs(root) : root);
  const view = start(root);
  view.ready.then(() => { if (!main.contains(document.activeElement)) root.querySelector("h1")?.focus({ preventScroll: true }); });
  return view;
}

function userFormView(mode, username) {
  clearNotice();
  const root = el("section", { class: "view view--form", dataset: { mode, username } });
  main.replaceChildren(root);
  return startUserForm(root, {
    onSaved: (user, outcome) => afterSave(user, outcome),
    onCancel: () => backToList(mode === "edit" ? { username } : { selector: "#add-user" }),
  });
}

/** After add or edit: refresh the header count, show the list, announce what happened. */
async function afterSave(user, outcome) {
  if (outcome !== "unchanged") await refreshWorkspace().catch(() => {});
  backToList({ username: user.username });
  announce({ add: `Added ${user.email}`, edit: `Saved ${user.email}` }[outcome] ?? `No changes to save for ${user.email}`);
}

function backToList(focus) {
  returnFocus = focus;
  location.hash = DEFAULT_ROUTE;
}

function restoreFocus(root) {
  const focus = returnFocus;
  returnFocus = null;
  if (!focus) return;
  const target = focus.username !== undefined
    ? [...root.querySelectorAll("tr[data-username]")].find((r) => r.dataset.username === focus.username)?.querySelector(".user-link")
    : root.querySelector(focus.selector);
  (target ?? root.querySelector("h1"))?.focus();
}

/** Shows the view for the current hash. Hashes that are not routes (#field-email) are ignored. */
function route() {
  const hash = location.hash || DEFAULT_ROUTE;
  if (!hash.startsWith("#/")) return;
  for (const r of ROUTES) {
    const match = hash.match(r.pattern);
    if (!match) continue;
    currentView?.destroy?.();
    markSection(r.section);
    // A new view starts at its top: <main> scrolls, and would keep the last view's position.
    main.scrollTop = 0;
    currentView = r.start(match);
    currentView.ready.then(markReady);
    return;
  }
  location.replace(DEFAULT_ROUTE);
}

function markSection(section) {
  for (const link of document.querySelectorAll("#nav [data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** Tells tests and the start-up benchmark that the first view (normally the users list) is shown. */
function markReady() {
  document.body.dataset.ready = "true";
}

/** The workspace must open before any view; if it cannot, say why instead. */
async function start() {
  startWorkspaceHeader(document.getElementById("workspace"));
  try {
    await refreshWorkspace();
  } catch (error) {
    main.replaceChildren(el("section", { class: "view" },
      el("h1", { class: "view-title", text: "The workspace could not be opened" }),
      el("div", { class: "banner banner--error", role: "alert" }, el("p", { text: error.message }))));
    markReady();
    return;
  }
  window.addEventListener("hashchange", route);
  route();
}

start();
