/* An appointment as an iCalendar file (RFC 5545) made in the browser: times in UTC
 * ("…Z", exact whatever the phone's zone, no VTIMEZONE needed), text escaped (\\ ; , and
 * newlines) and every line folded at 75 octets of UTF-8, lines ending in CRLF. */

const encoder = new TextEncoder();

/** "20261203T013000Z": an instant in UTC as iCalendar writes it. */
export function utcStamp(instant) {
  const d = instant instanceof Date ? instant : new Date(instant);
  return d.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/** TEXT value escaping: backslash, semicolon, comma and newlines. */
export function escapeText(value) {
  return String(value)
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/** One content line folded: at most 75 octets a line, never inside a UTF-8 character,
 * each continuation starting with one space. */
export function fold(line) {
  const out = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const size = encoder.encode(ch).length;
    const limit = out.length === 0 ? 75 : 74; // a continuation's leading space counts
    if (octets + size > limit) {
      out.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join("\r\n ");
}

/** The .ics text of one event: `{uid, start, end, summary, location, description, now}`. */
export function icsEvent(e) {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Antrian MPP//Booking//ID",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    "UID:" + e.uid,
    "DTSTAMP:" + utcStamp(e.now || new Date()),
    "DTSTART:" + utcStamp(e.start),
    "DTEND:" + utcStamp(e.end),
    "SUMMARY:" + escapeText(e.summary),
    "LOCATION:" + escapeText(e.location || ""),
    "DESCRIPTION:" + escapeText(e.description || ""),
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}
