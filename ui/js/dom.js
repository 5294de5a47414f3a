// Small DOM builders so components create elements declaratively without innerHTML
// (no HTML parsing of data, nothing the CSP would object to).

/**
 * Creates an element. `props` keys:
 *   class, text, dataset (object), on (object of event listeners), and any attribute
 *   (`true` sets a boolean attribute, `false`/null/undefined skips it).
 * Children may be nodes, strings, or nested arrays; null/false are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

/** Same as `el` for SVG elements. */
export function svg(tag, props = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") {
      for (const [type, listener] of Object.entries(value)) node.addEventListener(type, listener);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
}

/** Appends nodes or text (flattening arrays, skipping null/false). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}
