// Onboarding statistics drawn as SVG (no chart library): a donut of onboarded vs not onboarded
// users with the numbers beside it, and a table of how long the not-onboarded users have waited
// with a bar in each row. The numbers are always in the text; the drawings only repeat them.
import { el, svg } from "../dom.js";
import { formatCount } from "../format.js";
import { userIcon } from "./icons.js";

const RADIUS = 44;
const STROKE = 18;
const CIRCUMFERENCE = 2 * Math.PI * RADIUS;

/** "82%" of `part` in `whole`; "0%" when the whole is empty; never "100%" for a part that is not all. */
export function percent(part, whole) {
  if (!whole) return "0%";
  const p = Math.round((part / whole) * 100);
  if (p === 100 && part < whole) return "99%";
  if (p === 0 && part > 0) return "<1%";
  return `${p}%`;
}

/**
 * The donut and the numbers beside it.
 * @param {{total: number, onboarded: number, notOnboarded: number, invited?: number, disabled: number}} stats
 */
export function onboardingSummary(stats) {
  const { total, onboarded, notOnboarded, disabled, invited = 0 } = stats;
  const label = total
    ? `Onboarding: ${formatCount(onboarded)} of ${formatCount(total)} users onboarded (${percent(onboarded, total)}), `
      + `${formatCount(notOnboarded)} not onboarded (${percent(notOnboarded, total)})`
    : "Onboarding: this workspace has no users yet";
  return el("div", { class: "onboarding-summary" },
    donut(stats, label),
    el("dl", { class: "stat-list" },
      statRow("onboarded", userIcon(true, { decorative: true, className: "legend-icon" }), "Onboarded",
        onboarded, percent(onboarded, total)),
      statRow("not-onboarded", userIcon(false, { decorative: true, className: "legend-icon" }), "Not onboarded",
        notOnboarded, percent(notOnboarded, total), "No password yet, so they cannot sign in"),
      statRow("invited", el("span", { class: "stat-list__swatch stat-list__swatch--invited", "aria-hidden": "true" }), "Invited",
        invited, percent(invited, total), "Of those, sent an activation mail"),
      statRow("disabled", el("span", { class: "stat-list__swatch stat-list__swatch--disabled", "aria-hidden": "true" }), "Disabled",
        disabled, percent(disabled, total), "Cannot sign in anywhere, onboarded or not"),
      statRow("total", null, "Total users", total, null)));
}

function statRow(key, marker, term, value, share, note) {
  return el("div", { class: `stat-list__row stat-list__row--${key}` },
    el("dt", { class: "stat-list__term" }, marker ?? el("span", { class: "stat-list__swatch", "aria-hidden": "true" }), term,
      note ? el("span", { class: "stat-list__note", text: note }) : null),
    el("dd", { class: "stat-list__value" },
      el("span", { id: `stat-${key}`, class: "stat-list__number", dataset: { value: String(value) }, text: formatCount(value) }),
      share ? el("span", { class: "stat-list__share", text: share }) : null));
}

/** Two arcs on a ring, starting at 12 o'clock: onboarded (solid) then not onboarded. */
function donut({ total, onboarded, notOnboarded }, label) {
  const center = RADIUS + STROKE / 2 + 2;
  const size = center * 2;
  const arc = (value, offset, cls) => {
    if (!total || !value) return null;
    const length = (value / total) * CIRCUMFERENCE;
    return svg("circle", {
      class: `donut__arc ${cls}`, cx: center, cy: center, r: RADIUS,
      "stroke-width": STROKE,
      "stroke-dasharray": `${length} ${CIRCUMFERENCE - length}`,
      "stroke-dashoffset": String(-offset),
      transform: `rotate(-90 ${center} ${center})`,
    });
  };
  const onboardedLength = total ? (onboarded / total) * CIRCUMFERENCE : 0;
  return svg("svg", {
    id: "onboarding-donut", class: "donut", viewBox: `0 0 ${size} ${size}`, width: size, height: size,
    role: "img", "aria-label": label, focusable: "false",
  },
  svg("title", { text: label }),
  svg("circle", { class: "donut__track", cx: center, cy: center, r: RADIUS, "stroke-width": STROKE }),
  arc(onboarded, 0, "donut__arc--onboarded"),
  arc(notOnboarded, onboardedLength, "donut__arc--not-onboarded"),
  svg("text", { class: "donut__value", x: center, y: center - 2, "text-anchor": "middle", "aria-hidden": "true" },
    total ? percent(onboarded, total) : "–"),
  svg("text", { class: "donut__caption", x: center, y: center + 15, "text-anchor": "middle", "aria-hidden": "true" },
    total ? "onboarded" : "no users"));
}

/**
 * How long the not-onboarded users have waited: one row per bucket of onboardingStats().waiting,
 * in the core's order (shortest wait first), each with its count and a bar scaled to the largest.
 * @param {{bucket: string, count: number}[]} waiting
 */
export function waitingTable(waiting) {
  const largest = Math.max(1, ...waiting.map((w) => w.count));
  const total = waiting.reduce((sum, w) => sum + w.count, 0);
  return el("table", { id: "waiting-table", class: "waiting-table" },
    el("caption", { class: "waiting-table__caption", text: "How long not-onboarded users have waited" }),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col", text: "Waiting" }),
      el("th", { scope: "col", class: "num", text: "Users" }),
      el("th", { scope: "col", class: "waiting-table__bar-head" },
        el("span", { class: "visually-hidden", text: "Share of not-onboarded users" })))),
    el("tbody", {}, waiting.map((w, i) => el("tr", { dataset: { bucket: w.bucket } },
      el("th", { scope: "row", class: "waiting-table__bucket", text: w.bucket }),
      el("td", { class: "count num", text: formatCount(w.count) }),
      el("td", { class: "waiting-table__bar" }, bar(w.count, largest, i, waiting.length, total))))),
    el("tfoot", {}, el("tr", {},
      el("th", { scope: "row", text: "Total waiting" }),
      el("td", { class: "num", text: formatCount(total) }),
      el("td", { class: "waiting-table__bar" }))));
}

/** One bar; longer waits are drawn darker so the old ones stand out. */
function bar(count, largest, index, buckets, total) {
  const width = (count / largest) * 100;
  return svg("svg", { class: "bar", viewBox: "0 0 100 12", preserveAspectRatio: "none", width: "100%", height: 12, "aria-hidden": "true", focusable: "false" },
    svg("rect", { class: "bar__track", x: 0, y: 0, width: 100, height: 12, rx: 2 }),
    count ? svg("rect", {
      class: "bar__fill", x: 0, y: 0, width: Math.max(width, 1.5), height: 12, rx: 2,
      dataset: { level: String(Math.min(index, buckets - 1)) },
    }) : null,
    svg("title", { text: `${formatCount(count)} of ${formatCount(total)}` }));
}
