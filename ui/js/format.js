// Display formats shared by the views. Values stay in their wire format everywhere else.

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** An RFC 3339 timestamp as a local date ("5 Mar 2025"); the input unchanged if unreadable. */
export function formatDate(rfc3339) {
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? String(rfc3339 ?? "") : dateFormat.format(date);
}

/** An RFC 3339 timestamp as a local date and time, for tooltips and detail lines. */
export function formatDateTime(rfc3339) {
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? String(rfc3339 ?? "") : dateTimeFormat.format(date);
}

/** A count with thousands separators in the user's locale. */
export const formatCount = (n) => Number(n).toLocaleString();
