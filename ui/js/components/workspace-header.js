// The header's workspace line: the file path and the number of users, kept current.
import { formatCount } from "../format.js";

/**
 * Started on an element holding `[data-role="path"]` and `[data-role="count"]`.
 */
export function startWorkspaceHeader(root) {
  const path = root.querySelector('[data-role="path"]');
  const count = root.querySelector('[data-role="count"]');
  document.addEventListener("roster:workspace", ({ detail }) => {
    path.textContent = detail.path;
    path.parentElement.title = detail.path;
    count.textContent = `${formatCount(detail.userCount)} ${detail.userCount === 1 ? "user" : "users"}`;
    root.hidden = false;
  });
}
