/* The words a lobby board speaks for a call, in Indonesian. Pure: used by board.js in the
   browser and by the unit tests under node. services/display/speech.py says the same words
   for the offline voice (espeak-ng); tests/unit/display/test_page_js.py holds them equal.

   "A-012" at "Loket 3" -> "Nomor antrian A, nol satu dua, silakan menuju Loket tiga":
   the ticket's letters one by one and its digits one by one (as MPP boards read them),
   a number in the counter's name as a number ("Loket 16" -> "Loket enam belas"). */
(function (root) {
  "use strict";
  var DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];

  /* 0..9999 in words: 11 "sebelas", 16 "enam belas", 21 "dua puluh satu", 100 "seratus". */
  function cardinal(n) {
    n = Number(n);
    if (!(n >= 0 && n < 10000) || Math.floor(n) !== n) return String(n);
    if (n < 10) return DIGITS[n];
    if (n === 10) return "sepuluh";
    if (n === 11) return "sebelas";
    if (n < 20) return DIGITS[n - 10] + " belas";
    var parts = [];
    var thousands = Math.floor(n / 1000);
    var hundreds = Math.floor((n % 1000) / 100);
    var rest = n % 100;
    if (thousands) parts.push(thousands === 1 ? "seribu" : DIGITS[thousands] + " ribu");
    if (hundreds) parts.push(hundreds === 1 ? "seratus" : DIGITS[hundreds] + " ratus");
    if (rest) {
      if (rest < 20) parts.push(cardinal(rest));
      else parts.push(DIGITS[Math.floor(rest / 10)] + " puluh" + (rest % 10 ? " " + DIGITS[rest % 10] : ""));
    }
    return parts.join(" ");
  }

  /* "A-012" -> "A, nol satu dua"; letters spelled one by one, digits read one by one. */
  function spokenNumber(ticketNumber) {
    var parts = String(ticketNumber).split("-");
    var prefix = parts.length > 1 ? parts[0] : "";
    var digits = parts.length > 1 ? parts.slice(1).join("") : parts[0];
    var letters = prefix.split("").join(" ");
    var words = digits.split("").map(function (d) {
      return /[0-9]/.test(d) ? DIGITS[Number(d)] : d;
    }).join(" ");
    return letters ? letters + ", " + words : words;
  }

  /* "Loket 16" -> "Loket enam belas"; words without digits stay as they are. */
  function spokenCounter(counterName) {
    return String(counterName).replace(/[0-9]+/g, function (n) { return cardinal(Number(n)); });
  }

  /* "Nomor antrian A, nol satu dua, silakan menuju Loket tiga" */
  function announcement(ticketNumber, counterName) {
    return "Nomor antrian " + spokenNumber(ticketNumber) + ", silakan menuju " + spokenCounter(counterName);
  }

  var api = {
    spokenNumber: spokenNumber,
    spokenCounter: spokenCounter,
    cardinal: cardinal,
    announcement: announcement,
    DIGITS: DIGITS
  };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.AntrianSpeech = api;
  }
})(this);
