/* The words a lobby board speaks for a call, in Indonesian. Pure: used by board.js
   in the browser and by the unit tests under node. */
(function (root) {
  "use strict";
  var DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];

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

  /* "Nomor antrian A, nol satu dua, silakan menuju Loket 3" */
  function announcement(ticketNumber, counterName) {
    return "Nomor antrian " + spokenNumber(ticketNumber) + ", silakan menuju " + counterName;
  }

  var api = { spokenNumber: spokenNumber, announcement: announcement, DIGITS: DIGITS };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.AntrianSpeech = api;
  }
})(this);
