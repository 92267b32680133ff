// How things read on screen: names, numbers, times, providers.

/** Each provider's mark and colour in the list and on the channels page. */
export const PROVIDERS = {
  meta: { label: "WhatsApp Cloud API", mark: "M", colour: "#128c7e" },
  evolution: { label: "Evolution API", mark: "E", colour: "#6d28d9" },
  zapi: { label: "Z-API", mark: "Z", colour: "#1d4ed8" },
  wppconnect: { label: "WPPConnect", mark: "W", colour: "#b45309" },
  twilio: { label: "Twilio (SMS, WhatsApp)", mark: "T", colour: "#dc2626" },
  telegram: { label: "Telegram", mark: "T", colour: "#0284c7" },
  gupshup: { label: "GupShup", mark: "G", colour: "#15803d" },
  messenger: { label: "Messenger, Instagram", mark: "M", colour: "#7c3aed" },
};

export function provider(name) {
  return PROVIDERS[name] ?? { label: name ?? "channel", mark: (name ?? "?").slice(0, 1).toUpperCase(), colour: "#475569" };
}

/** `+5511987654321` as `+55 11 98765-4321`; other countries grouped plainly. */
export function formatPhone(e164) {
  if (!e164) return "";
  const digits = String(e164).replace(/\D/g, "");
  const br = digits.match(/^55(\d{2})(\d{4,5})(\d{4})$/);
  if (br) return `+55 ${br[1]} ${br[2]}-${br[3]}`;
  return `+${digits}`;
}

export function contactName(contact) {
  return contact?.name || formatPhone(contact?.phone) || "Unknown contact";
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

/** A list's time: the hour today, the day otherwise. */
export function shortTime(ms) {
  if (!ms) return "";
  const date = new Date(ms);
  const now = new Date();
  if (sameDay(date, now)) return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return date.toLocaleDateString([], { day: "2-digit", month: "short" });
}

export function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A thread's day separator. */
export function dayLabel(ms) {
  const date = new Date(ms);
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (sameDay(date, today)) return "Today";
  if (sameDay(date, yesterday)) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

export function dayKey(ms) {
  return new Date(ms).toDateString();
}

/** Ticks for an outbound message's status, and what they mean for a screen reader. */
export function ticks(status) {
  switch (status) {
    case "queued": return ["🕓", "queued"];
    case "sent": return ["✓", "sent"];
    case "delivered": return ["✓✓", "delivered"];
    case "read": return ["✓✓", "read"];
    case "played": return ["✓✓", "played"];
    case "failed": return ["⚠", "failed"];
    case "unknown": return ["?", "may not have been sent"];
    default: return ["", status ?? ""];
  }
}

export function bytes(size) {
  if (!Number.isFinite(size)) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
