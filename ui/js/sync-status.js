// Where the workspace stands with its remote directory (sync_status: the linked remote, pending
// changes, open conflicts, last pull and push), fetched again after changes. The header's
// indicator and the Sync screen listen for "roster:sync". The call is cheap (two counts), so it
// runs after every workspace refresh, on every route change and when the window regains focus.
import { syncStatus } from "./api.js";

let status = null;
let asked = 0;
let told = 0;

/** The last status fetched, or null before the first fetch finished. */
export const currentSyncStatus = () => status;

/**
 * Fetches the status again and tells listeners. An answer older than one already told is not
 * told (the shell runs commands in turn, so a later call sees every change an earlier one did).
 */
export async function refreshSyncStatus() {
  const n = ++asked;
  const next = await syncStatus();
  if (n > told) {
    told = n;
    status = next;
    document.dispatchEvent(new CustomEvent("roster:sync", { detail: next }));
  }
  return next;
}

/**
 * The indicator's words: "Local only", "Conflicts N", "Pending N", "Synced", or "Not synced yet"
 * (linked, nothing waiting, never pulled or pushed), and a state key for styling and tests.
 * @returns {{state: "local"|"conflicts"|"pending"|"synced"|"never", label: string, title: string}}
 */
export function syncSummary(s) {
  if (!s.remote) return { state: "local", label: "Local only", title: "This workspace is not linked to a remote directory" };
  if (s.conflicts) return { state: "conflicts", label: `Conflicts ${s.conflicts}`, title: `${s.conflicts} ${s.conflicts === 1 ? "conflict" : "conflicts"} with ${s.remote} to resolve` };
  if (s.pending) return { state: "pending", label: `Pending ${s.pending}`, title: `${s.pending} ${s.pending === 1 ? "change waits" : "changes wait"} to be pushed to ${s.remote}` };
  if (s.lastPush || s.lastPull) return { state: "synced", label: "Synced", title: `Nothing waits to be pushed to ${s.remote}` };
  return { state: "never", label: "Not synced yet", title: `Linked to ${s.remote}; not pulled or pushed yet` };
}
