/* DOM helpers every page uses: `$` (one element by selector), `el` (build an element),
 * `showView` (one `.view` section visible at a time) and `notice` (a message box that
 * hides when empty). */

export function $(sel, root) {
  return (root || document).querySelector(sel);
}

/** An element with attributes (class, text, dataset, on<event>, others as attributes) and
 * children; null/false attributes and null children are left out. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

/** Show the section `#view-<name>` and hide every other `.view`. */
export function showView(name) {
  document.querySelectorAll(".view").forEach((v) => {
    v.hidden = v.id !== "view-" + name;
  });
}

/** Put `text` in the box `sel` (hidden when empty); `kind` replaces its tone class. */
export function notice(sel, text, kind) {
  const box = $(sel);
  box.textContent = text || "";
  if (kind !== undefined) box.className = "notice" + (kind ? " " + kind : "");
  box.hidden = !text;
}
