// The open workspace's info (path, user count, settings), fetched once at start and again after
// changes. Components read it with currentWorkspace() and listen for "roster:workspace".
import { workspaceInfo } from "./api.js";

let info = null;

/** The last info fetched, or null before the first fetch finished. */
export const currentWorkspace = () => info;

/** Fetches the info again and tells listeners; rejects with ApiError. */
export async function refreshWorkspace() {
  info = await workspaceInfo();
  document.dispatchEvent(new CustomEvent("roster:workspace", { detail: info }));
  return info;
}

/** The cached info, fetching it first if needed. */
export const ensureWorkspace = () => (info ? Promise.resolve(info) : refreshWorkspace());
