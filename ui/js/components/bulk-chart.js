// The bulk plan's summary drawn as SVG (no chart library): one stacked horizontal bar of what the
// file would do (create, update, delete, unchanged, errors), each part as wide as its share, with
// its count written inside when it fits, and a legend with every count under it. The numbers are
// always in the text; the drawing only repeats them.
import { el, svg } from "../dom.js";
import { formatCount } from "../format.js";

/** The outcomes of a planned row, in the bar's order (docs/ipc.md, BulkRowView.outcome). */
export const OUTCOMES = Object.freeze([
  { key: "create", label: "Create", legend: "to create" },
  { key: "update", label: "Update", legend: "to update" },
  { key: "delete", label: "Delete", legend: "to delete" },
  { key: "unchanged", label: "Unchanged", legend: "unchanged" },
  { key: "error", label: "Errors", legend: "with errors" },
]);

const HEIGHT = 34;
/** The smallest part drawn (percent of the bar), so one error in a million rows still shows. */
const MIN_SHARE = 0.6;

/** "3 to create, 1 to update, 0 to delete, 0 unchanged, 1 with errors" */
export function describeCounts(counts) {
  return OUTCOMES.map((o) => `${formatCount(counts[o.key] ?? 0)} ${o.legend}`).join(", ");
}

/**
 * The bar and its legend.
 * @param {{fileName: string, rows: number, summary: Record<string, number>}} plan
 */
export function planSummary(plan) {
  const counts = plan.summary;
  const title = `Plan of ${plan.fileName}: ${formatCount(plan.rows)} ${plan.rows === 1 ? "row" : "rows"}`;
  return el("figure", { id: "bulk-summary", class: "bulk-summary" },
    bar(counts, plan.rows, title),
    el("ul", { class: "bulk-legend", "aria-label": "Rows by outcome" }, OUTCOMES.map((o) => el("li", {
      class: "bulk-legend__item", dataset: { outcome: o.key },
    },
    el("span", { class: "bulk-legend__swatch", "aria-hidden": "true" }),
    el("span", { id: `bulk-count-${o.key}`, class: "bulk-legend__count", dataset: { value: String(counts[o.key] ?? 0) }, text: formatCount(counts[o.key] ?? 0) }),
    ` ${o.legend}`))));
}

/** The stacked bar: widths in percent of the figure, so it fills whatever width it is given. */
function bar(counts, rows, title) {
  const parts = OUTCOMES.map((o) => ({ ...o, count: counts[o.key] ?? 0 })).filter((p) => p.count > 0);
  const total = parts.reduce((sum, p) => sum + p.count, 0);
  // Small parts get MIN_SHARE; the others give it up in proportion, so the bar still sums to 100.
  const raw = parts.map((p) => (p.count / total) * 100);
  const boosted = raw.map((share) => Math.max(share, MIN_SHARE));
  const excess = boosted.reduce((a, b) => a + b, 0) - 100;
  const big = raw.reduce((sum, share) => sum + (share > MIN_SHARE ? share : 0), 0);
  const shares = boosted.map((share, i) => (raw[i] > MIN_SHARE && big ? share - (excess * raw[i]) / big : share));
  let x = 0;
  const drawn = parts.map((p, i) => {
    const part = { ...p, x, width: shares[i] };
    x += shares[i];
    return part;
  });
  const descId = "bulk-summary-desc";
  const titleId = "bulk-summary-title";
  return svg("svg", {
    id: "bulk-summary-bar", class: "stack", width: "100%", height: HEIGHT,
    role: "img", "aria-labelledby": `${titleId} ${descId}`, focusable: "false",
  },
  svg("title", { id: titleId, text: title }),
  svg("desc", { id: descId, text: rows ? describeCounts(counts) : "The file has no rows." }),
  svg("rect", { class: "stack__track", x: 0, y: 0, width: "100%", height: HEIGHT, rx: 4 }),
  drawn.map((p) => svg("g", { class: "stack__part", dataset: { outcome: p.key } },
    svg("rect", { class: "stack__fill", x: `${p.x}%`, y: 0, width: `${p.width}%`, height: HEIGHT },
      svg("title", { text: `${formatCount(p.count)} ${p.legend} (${share(p.count, total)})` })),
    fits(p) ? svg("text", {
      class: "stack__label", x: `${p.x + p.width / 2}%`, y: HEIGHT / 2, "text-anchor": "middle", "dominant-baseline": "central",
      "aria-hidden": "true",
    }, formatCount(p.count)) : null)),
  rows ? null : svg("text", { class: "stack__empty", x: "50%", y: HEIGHT / 2, "text-anchor": "middle", "dominant-baseline": "central", "aria-hidden": "true" }, "No rows"));
}

/** Whether a part's count fits inside it (about 8 px a digit on a bar some 900 px wide). */
function fits(part) {
  return part.width >= formatCount(part.count).length * 0.9 + 1.6;
}

function share(part, whole) {
  const p = (part / whole) * 100;
  if (p > 0 && p < 1) return "<1%";
  if (p < 100 && p > 99) return ">99%";
  return `${Math.round(p)}%`;
}
