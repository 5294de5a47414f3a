// Inline SVG icons. Colours come from CSS (currentColor), so both themes apply.
import { svg } from "../dom.js";

/** Accessible names of the onboarding icon, also used by the legend. */
export const ONBOARD_LABELS = Object.freeze({
  true: "Onboarded",
  false: "Not onboarded: no password yet",
});

/**
 * The user icon shown before an email: green and solid when onboarded, red and hollow when not
 * (shape differs too, so colour is not the only signal).
 * `decorative` icons (next to visible text, as in the legend) are hidden from assistive tech.
 */
export function userIcon(onboarded, { decorative = false, className = "onboard-icon" } = {}) {
  const label = ONBOARD_LABELS[Boolean(onboarded)];
  const a11y = decorative
    ? { "aria-hidden": "true" }
    : { role: "img", "aria-label": label };
  return svg("svg", {
    class: className,
    viewBox: "0 0 24 24",
    width: 18,
    height: 18,
    focusable: "false",
    dataset: { onboarded: String(Boolean(onboarded)) },
    ...a11y,
  },
  decorative ? null : svg("title", { text: label }),
  svg("circle", { cx: 12, cy: 7.5, r: 4 }),
  svg("path", { d: "M4 21a8 8 0 0 1 16 0z" }));
}

/** The arrow inside a sortable column header: "ascending", "descending" or null (unsorted). */
export function sortIcon(direction) {
  const paths = {
    ascending: ["M12 6l5 7H7z"],
    descending: ["M12 18l-5-7h10z"],
  }[direction] ?? ["M12 4l4 5.5H8z", "M12 20l-4-5.5h8z"];
  return svg("svg", {
    class: `sort-icon${direction ? "" : " sort-icon--none"}`,
    viewBox: "0 0 24 24",
    width: 14,
    height: 14,
    "aria-hidden": "true",
    focusable: "false",
  }, paths.map((d) => svg("path", { d })));
}
