// The header's workspace line: the file path, the number of users and the sync indicator ("Local
// only", "Pending 3", "Synced", "Conflicts 1", a link to the Sync screen), kept current.
import { formatCount } from "../format.js";
import { refreshSyncStatus, syncSummary } from "../sync-status.js";

/**
 * Started on an element holding `[data-role="path"]`, `[data-role="count"]` and the sync link
 * `[data-role="sync"]` with its `[data-role="sync-label"]`.
 */
export function startWorkspaceHeader(root) {
  const path = root.querySelector('[data-role="path"]');
  const count = root.querySelector('[data-role="count"]');
  const sync = root.querySelector('[data-role="sync"]');
  const syncLabel = root.querySelector('[data-role="sync-label"]');
  // A failed status call leaves the indicator as it was: the screens say what went wrong.
  const refresh = () => { refreshSyncStatus().catch(() => {}); };
  document.addEventListener("roster:workspace", ({ detail }) => {
    path.textContent = detail.path;
    path.parentElement.title = detail.path;
    count.textContent = `${formatCount(detail.userCount)} ${detail.userCount === 1 ? "user" : "users"}`;
    root.hidden = false;
    refresh();
  });
  document.addEventListener("roster:sync", ({ detail }) => {
    const { state, label, title } = syncSummary(detail);
    syncLabel.textContent = label;
    sync.title = title;
    sync.dataset.state = state;
    sync.hidden = false;
  });
  // Changes made on any screen (a form, an action, an import) show by the next screen at the latest.
  window.addEventListener("hashchange", refresh);
  window.addEventListener("focus", refresh);
}
