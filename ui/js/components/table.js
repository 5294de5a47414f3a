// The parts of the simple admin tables (groups, roles, attributes, members, onboarding, audit, bulk):
// a real <table> with a caption and column headers, and the "tick rows, then act" selection.
import { el } from "../dom.js";

/**
 * An empty table ready for rows.
 * @param {object} spec
 * @param {string} spec.id
 * @param {string} spec.caption   names the table for assistive tech (the page heading shows it)
 * @param {{label: string, key?: string, numeric?: boolean, hiddenLabel?: boolean, cell?: Node}[]} spec.columns
 *        `key` adds `col-<key>` to the column (widths in app.css); `numeric` right-aligns;
 *        `cell` replaces the header's content (a select-all checkbox)
 * @returns {{wrap: HTMLElement, table: HTMLTableElement, tbody: HTMLElement, caption: HTMLElement}}
 */
export function tableShell({ id, caption, columns }) {
  const captionEl = el("caption", { class: "visually-hidden", text: caption });
  const tbody = el("tbody");
  const table = el("table", { id, class: "table table--admin" },
    captionEl,
    el("colgroup", {}, columns.map((c) => el("col", { class: c.key ? `col-${c.key}` : null }))),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.numeric ? "num" : null },
      c.cell ?? (c.hiddenLabel ? el("span", { class: "visually-hidden", text: c.label }) : c.label))))),
    tbody);
  return { wrap: el("div", { class: "table-wrap table-wrap--flow" }, table), table, tbody, caption: captionEl };
}

/** A message shown in place of rows ("No groups yet"), spanning every column. */
export function emptyRow(columns, ...content) {
  return el("tr", { class: "table__empty" }, el("td", { colspan: columns }, content));
}

/**
 * Ticked rows, kept by key (a username) across pages and reloads until cleared.
 * The header checkbox ticks or clears every row shown; it is mixed when only some are ticked.
 */
export class RowSelection {
  /**
   * @param {{idPrefix: string, noun: string, onChange?: (count: number) => void}} spec
   *        `noun` names a row for labels ("user"); ids are `<idPrefix>-all` and `<idPrefix>-<n>`
   */
  constructor({ idPrefix, noun, onChange = () => {} }) {
    this.idPrefix = idPrefix;
    this.noun = noun;
    this.onChange = onChange;
    this.selected = new Set();
    this.boxes = [];
    this.all = el("input", {
      id: `${idPrefix}-all`, type: "checkbox", class: "checkbox",
      "aria-label": `Select every ${noun} on this page`,
      on: { change: () => this.#toggleAll(this.all.checked) },
    });
  }

  /** The header cell's content. */
  get headerCell() {
    return this.all;
  }

  /** Forgets the rows of the previous page; call before rendering a page. */
  startPage() {
    this.boxes = [];
  }

  /** A row's checkbox, labelled with what it selects ("Select alice"). */
  checkbox(key, label = key) {
    const box = el("input", {
      id: `${this.idPrefix}-${this.boxes.length}`, type: "checkbox", class: "checkbox row-select",
      "aria-label": `Select ${label}`, dataset: { key },
      on: { change: () => { this.#set(key, box.checked); this.#sync(); } },
    });
    box.checked = this.selected.has(key);
    this.boxes.push(box);
    return box;
  }

  /** After a page is rendered: the header box matches the rows. */
  pageDone() {
    this.#sync();
  }

  get count() {
    return this.selected.size;
  }

  get keys() {
    return [...this.selected];
  }

  clear() {
    this.selected.clear();
    for (const box of this.boxes) box.checked = false;
    this.#sync();
  }

  #set(key, on) {
    if (on) this.selected.add(key);
    else this.selected.delete(key);
  }

  #toggleAll(on) {
    for (const box of this.boxes) {
      box.checked = on;
      this.#set(box.dataset.key, on);
    }
    this.#sync();
  }

  #sync() {
    const ticked = this.boxes.filter((b) => b.checked).length;
    this.all.checked = ticked > 0 && ticked === this.boxes.length;
    this.all.indeterminate = ticked > 0 && ticked < this.boxes.length;
    this.all.disabled = this.boxes.length === 0;
    this.onChange(this.selected.size);
  }
}

/**
 * Previous / Next over keyset pages (`next` cursors, never offsets) with a "Showing 1–50" status.
 * `onPage()` is called after the page to show changed; read `after` for the query.
 */
export class KeysetPager {
  /** @param {{idPrefix: string, pageSize: number, onPage: () => void}} spec */
  constructor({ idPrefix, pageSize, onPage }) {
    this.pageSize = pageSize;
    this.pages = [null];
    this.next = null;
    this.status = el("p", { id: `${idPrefix}-status`, class: "pager__status", role: "status", "aria-live": "polite" });
    this.prev = el("button", {
      id: `${idPrefix}-prev`, type: "button", class: "button button--secondary", text: "Previous",
      on: { click: () => { if (this.pages.length > 1) { this.pages.pop(); onPage(); } } },
    });
    this.nextButton = el("button", {
      id: `${idPrefix}-next`, type: "button", class: "button button--secondary", text: "Next",
      on: { click: () => { if (this.next) { this.pages.push(this.next); onPage(); } } },
    });
    this.root = el("div", { class: "pager" }, this.status, this.prev, this.nextButton);
    this.update({ next: null, shown: 0 });
  }

  /** The cursor of the page to fetch (undefined for the first). */
  get after() {
    return this.pages[this.pages.length - 1] ?? undefined;
  }

  /** Back to the first page (after a search or a change). */
  restart() {
    this.pages = [null];
  }

  /**
   * After a page arrived: the status line and which buttons work. A focused button that becomes
   * disabled hands focus to the other one, so keyboard users are not dropped to the page top.
   * @param {{next: string|null, shown: number, total?: number, empty?: string}} page
   */
  update({ next, shown, total, empty = "" }) {
    this.next = next ?? null;
    const first = (this.pages.length - 1) * this.pageSize + 1;
    this.status.textContent = shown === 0
      ? empty
      : `Showing ${(first).toLocaleString()}–${(first + shown - 1).toLocaleString()}${total === undefined ? "" : ` of ${Number(total).toLocaleString()}`}`;
    const focused = document.activeElement;
    this.prev.disabled = this.pages.length < 2;
    this.nextButton.disabled = !this.next;
    this.root.hidden = shown === 0 && this.pages.length < 2 && !empty;
    if (focused === this.prev || focused === this.nextButton) {
      if (focused.disabled) {
        const other = focused === this.prev ? this.nextButton : this.prev;
        if (!other.disabled) other.focus();
      }
    }
  }
}

/**
 * Previous / Next over pages fetched by position (`offset`, `limit`), for lists the core holds in
 * memory (a bulk plan), with a "Showing 51–100 of 1,000,000" status. `onPage()` is called after
 * the page to show changed; read `offset` for the query.
 */
export class OffsetPager {
  /** @param {{idPrefix: string, pageSize: number, onPage: () => void}} spec */
  constructor({ idPrefix, pageSize, onPage }) {
    this.pageSize = pageSize;
    this.offset = 0;
    this.total = 0;
    this.status = el("p", { id: `${idPrefix}-status`, class: "pager__status", role: "status", "aria-live": "polite" });
    this.prev = el("button", {
      id: `${idPrefix}-prev`, type: "button", class: "button button--secondary", text: "Previous",
      on: { click: () => { if (this.offset > 0) { this.offset = Math.max(0, this.offset - this.pageSize); onPage(); } } },
    });
    this.nextButton = el("button", {
      id: `${idPrefix}-next`, type: "button", class: "button button--secondary", text: "Next",
      on: { click: () => { if (this.offset + this.pageSize < this.total) { this.offset += this.pageSize; onPage(); } } },
    });
    this.root = el("div", { class: "pager" }, this.status, this.prev, this.nextButton);
    this.update({ total: 0, shown: 0 });
  }

  /** The page holding item `index` (0-based). */
  showIndex(index) {
    this.offset = Math.floor(index / this.pageSize) * this.pageSize;
  }

  restart() {
    this.offset = 0;
  }

  /**
   * After a page arrived: the status line and which buttons work. A focused button that becomes
   * disabled hands focus to the other one.
   * @param {{total: number, shown: number, empty?: string}} page
   */
  update({ total, shown, empty = "" }) {
    this.total = total;
    this.status.textContent = shown === 0
      ? empty
      : `Showing ${(this.offset + 1).toLocaleString()}–${(this.offset + shown).toLocaleString()} of ${Number(total).toLocaleString()}`;
    const focused = document.activeElement;
    this.prev.disabled = this.offset === 0;
    this.nextButton.disabled = this.offset + this.pageSize >= total;
    if ((focused === this.prev || focused === this.nextButton) && focused.disabled) {
      const other = focused === this.prev ? this.nextButton : this.prev;
      if (!other.disabled) other.focus();
    }
  }
}
