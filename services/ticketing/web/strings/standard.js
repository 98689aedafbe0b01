/* The service standard's words (common/standard.js): on the kiosk and the tracking page. */

export default {
  id: {
    "std.title": "Standar pelayanan",
    "std.requirements": "Persyaratan",
    "std.noRequirements": "Tidak ada persyaratan khusus",
    "std.cost": "Biaya",
    "std.free": "Gratis",
    "std.varies": "Sesuai ketentuan",
    "std.rupiah": "Rp{n}",
    "std.time": "Waktu pelayanan",
    "std.minutes": "paling lama {n} menit",
    "std.completion": "Selesai",
    "std.noFee": "Jangan membayar apa pun di luar biaya di atas.",
    "std.pledge": "Maklumat pelayanan",
    "std.complain": "Pengaduan",
  },
  en: {
    "std.title": "Service standard",
    "std.requirements": "Requirements",
    "std.noRequirements": "No particular requirements",
    "std.cost": "Cost",
    "std.free": "Free",
    "std.varies": "As regulated",
    "std.rupiah": "Rp{n}",
    "std.time": "Service time",
    "std.minutes": "at most {n} minutes",
    "std.completion": "Completed",
    "std.noFee": "Do not pay anything beyond the cost above.",
    "std.pledge": "Service pledge",
    "std.complain": "Complaints",
  },
};
