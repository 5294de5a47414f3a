// The app-wide live status region (#notice): short confirmations such as "Added alice@example.com".
// The region stays in the accessibility tree at all times (CSS only collapses it when empty),
// otherwise screen readers would miss messages written into it.

const region = () => document.getElementById("notice");
let pending = 0;

/** Shows and announces `message`. Re-announces even when the text is unchanged. */
export function announce(message) {
  const node = region();
  if (!node) return;
  clearTimeout(pending);
  node.textContent = "";
  // Writing the text after a short pause makes screen readers announce repeated messages too.
  pending = setTimeout(() => {
    node.textContent = message;
  }, 50);
}

/** Removes the current message (for instance when the admin moves on to a form). */
export function clearNotice() {
  clearTimeout(pending);
  const node = region();
  if (node) node.textContent = "";
}
