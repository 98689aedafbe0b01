/* Numbers as Indonesian pages write them: "1.234", "83,33", "91,5%"; "–" for no value. */

const whole = new Intl.NumberFormat("id-ID");

/** A count: "1.234". */
export function count(n) {
  return n == null ? "–" : whole.format(n);
}

/** A decimal with `digits` places and a decimal comma: "83,33". */
export function decimal(v, digits) {
  return v == null ? "–" : v.toFixed(digits).replace(".", ",");
}

/** A share (0–1) as a percentage with one decimal: "91,5%". */
export function percent(share) {
  return share == null ? "–" : decimal(share * 100, 1) + "%";
}
