// The row's "Select" menu button (WAI-ARIA APG menu button pattern).
//
// Button: Enter, Space or ↓ opens the menu on its first item, ↑ on its last.
// Menu (role=menu, items role=menuitem): ↓ ↑ move (wrapping), Home / End, a letter jumps to the
// next item starting with it, Enter / Space chooses, Escape closes and returns focus to the
// button, Tab closes and moves on. A click outside closes it.
// The menu is placed on <body> with fixed position, so the table's scrolling box never clips it.
import { el } from "../dom.js";

let openMenu = null; // { close(refocus) }

/**
 * @param {object} spec
 * @param {string} spec.username         names the button and the menu for assistive technology
 * @param {() => ({action: string, label: string, danger?: boolean, note?: string} | "separator")[]} spec.items
 *        the entries, computed when the menu opens (so they follow the row's current state)
 * @param {(action: string) => void} spec.onChoose  called after the menu closed and the button has focus
 * @returns {HTMLButtonElement}
 */
export function menuButton({ username, items, onChoose }) {
  const button = el("button", {
    type: "button",
    class: "button button--secondary button--small row-select",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    dataset: { username },
  },
  "Select",
  el("span", { class: "visually-hidden", text: ` actions for ${username}` }),
  chevron());

  const open = (focusLast = false) => {
    if (button.getAttribute("aria-expanded") === "true") return;
    openMenu?.close(false);
    openMenu = new Menu(button, username, items(), onChoose);
    openMenu.focusItem(focusLast ? -1 : 0);
  };

  button.addEventListener("click", () => {
    if (button.getAttribute("aria-expanded") === "true") openMenu?.close(true);
    else open();
  });
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open(event.key === "ArrowUp");
    }
  });
  return button;
}

/** Closes the open menu, if any (for instance when the list reloads under it). */
export function closeMenus() {
  openMenu?.close(false);
}

class Menu {
  constructor(button, username, entries, onChoose) {
    this.button = button;
    this.onChoose = onChoose;
    this.root = el("div", {
      id: "row-menu",
      class: "menu",
      role: "menu",
      "aria-label": `Actions for ${username}`,
      on: { keydown: (e) => this.#onKey(e), click: (e) => this.#onClick(e) },
    }, entries.map((entry) => (entry === "separator"
      ? el("div", { role: "separator", class: "menu__separator" })
      : el("button", {
        type: "button",
        role: "menuitem",
        tabindex: "-1",
        class: `menu__item${entry.danger ? " menu__item--danger" : ""}`,
        dataset: { action: entry.action },
      }, entry.label, entry.note ? el("span", { class: "menu__note", text: ` (${entry.note})` }) : null))));
    this.items = [...this.root.querySelectorAll('[role="menuitem"]')];

    document.body.append(this.root);
    this.#place();
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-controls", "row-menu");

    this.onOutside = (e) => {
      if (!this.root.contains(e.target) && !button.contains(e.target)) this.close(false);
    };
    this.onFocusOut = (e) => {
      if (e.relatedTarget && !this.root.contains(e.relatedTarget) && e.relatedTarget !== button) this.close(false);
    };
    // Where the button was when the menu was placed. Scroll events come a frame late: one from a
    // scroll that ended before the menu opened must not close it, so only a button that has
    // moved since closes it.
    const anchor = button.getBoundingClientRect();
    this.onViewportChange = (e) => {
      if (e?.target instanceof Node && this.root.contains(e.target)) return;
      const now = button.getBoundingClientRect();
      if (e?.type === "resize" || now.top !== anchor.top || now.left !== anchor.left) this.close(false);
    };
    document.addEventListener("pointerdown", this.onOutside, true);
    this.root.addEventListener("focusout", this.onFocusOut);
    window.addEventListener("resize", this.onViewportChange);
    // The table scrolls inside its own box: a menu left behind by its button would point nowhere.
    document.addEventListener("scroll", this.onViewportChange, true);
  }

  focusItem(index) {
    const n = this.items.length;
    if (!n) return;
    this.items[((index % n) + n) % n].focus();
  }

  close(refocus) {
    if (openMenu === this) openMenu = null;
    document.removeEventListener("pointerdown", this.onOutside, true);
    window.removeEventListener("resize", this.onViewportChange);
    document.removeEventListener("scroll", this.onViewportChange, true);
    this.root.removeEventListener("focusout", this.onFocusOut);
    this.root.remove();
    this.button.setAttribute("aria-expanded", "false");
    this.button.removeAttribute("aria-controls");
    if (refocus && this.button.isConnected) this.button.focus();
  }

  /**
   * Below the button, right-aligned with it; else above it; else (a short window) beside it, to
   * its left, as high as needed for the whole menu to show. Only when the window is shorter than
   * the menu does it scroll.
   */
  #place() {
    const box = this.button.getBoundingClientRect();
    const menu = this.root.getBoundingClientRect();
    const gap = 4;
    const margin = 8;
    const below = window.innerHeight - box.bottom - gap - margin;
    const above = box.top - gap - margin;
    const fullHeight = window.innerHeight - 2 * margin;
    const set = (left, top, maxHeight) => {
      this.root.style.left = `${left}px`;
      this.root.style.top = `${top}px`;
      this.root.style.maxHeight = `${maxHeight}px`;
    };
    const alignedLeft = Math.max(margin, Math.min(box.right - menu.width, window.innerWidth - menu.width - margin));
    if (menu.height <= below) {
      set(alignedLeft, box.bottom + gap, below);
    } else if (menu.height <= above) {
      set(alignedLeft, box.top - gap - menu.height, above);
    } else if (menu.height <= fullHeight) {
      const left = box.left - gap - menu.width >= margin ? box.left - gap - menu.width : Math.min(box.right + gap, window.innerWidth - menu.width - margin);
      const top = Math.min(Math.max(margin, box.top + box.height / 2 - menu.height / 2), window.innerHeight - margin - menu.height);
      set(left, top, fullHeight);
    } else {
      set(alignedLeft, margin, fullHeight);
    }
  }

  #onKey(event) {
    const index = this.items.indexOf(document.activeElement);
    switch (event.key) {
      case "ArrowDown": this.focusItem(index + 1); break;
      case "ArrowUp": this.focusItem(index - 1); break;
      case "Home": case "PageUp": this.focusItem(0); break;
      case "End": case "PageDown": this.focusItem(-1); break;
      case "Escape": this.close(true); break;
      case "Tab":
        // Close, and let Tab move on from the button.
        this.close(false);
        this.button.focus();
        return;
      case "Enter": case " ":
        if (index >= 0) this.#choose(this.items[index]);
        break;
      default:
        if (event.key.length === 1 && /\S/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
          this.#jumpTo(event.key.toLowerCase(), index);
          break;
        }
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  /** Type-ahead: the next item (after the focused one, wrapping) whose label starts with `char`. */
  #jumpTo(char, index) {
    const n = this.items.length;
    for (let step = 1; step <= n; step += 1) {
      const item = this.items[(index + step) % n];
      if (item.textContent.trim().toLowerCase().startsWith(char)) {
        item.focus();
        return;
      }
    }
  }

  #onClick(event) {
    const item = event.target.closest('[role="menuitem"]');
    if (item) this.#choose(item);
  }

  #choose(item) {
    this.close(true);
    this.onChoose(item.dataset.action);
  }
}

function chevron() {
  const ns = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "14", height: "14", "aria-hidden": "true", focusable: "false", class: "row-select__icon" })) {
    icon.setAttribute(k, v);
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M6 9l6 6 6-6");
  icon.append(path);
  return icon;
}
