/* The holder's QR, drawn on the device itself with the vendored qrcode-generator
 * (vendor/qrcode.js, a classic script loaded before the modules: its `qrcode` is the one
 * global). The ticket's tracking link carries its key in the URL fragment, and a fragment
 * never travels to a server, so neither does the key. An SVG built with DOM calls: no
 * inline style, no data: URL, nothing the pages' CSP would refuse. */

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = 2;

function node(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** An <svg> of `text` as a QR code (error correction M, the smallest version that fits). */
function qrSvg(text) {
  const qr = globalThis.qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 2 * MARGIN;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) d += `M${c + MARGIN} ${r + MARGIN}h1v1h-1z`;
    }
  }
  const svg = node("svg", {
    viewBox: `0 0 ${size} ${size}`,
    "shape-rendering": "crispEdges",
    "data-modules": n,
    "aria-hidden": "true",
  });
  svg.append(node("rect", { width: size, height: size, fill: "#fff" }), node("path", { d, fill: "#000" }));
  return svg;
}

/** Put the QR of `text` into `box` (replacing what it showed). */
export function drawQr(box, text) {
  box.replaceChildren(qrSvg(text));
}
