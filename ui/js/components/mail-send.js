// Sending mails from the window: the progress panel (a bar and Cancel) shown while mail_send_to or
// mail_retry runs, and the result that follows: sent, failed, still queued, who was skipped and
// why, and what stopped the sending. Used by the On-Boarding Status tab and the Outbox.
// Every sentence about a mail or a user comes from the core; this module only counts and places.
import { mailCancel } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount } from "../format.js";
import { ProgressPanel } from "./progress-panel.js";

/** Where the Outbox is (a tab of Settings). */
export const OUTBOX_ROUTE = "#/settings/mail/outbox";

/** What to check, by the kind of mail server failure (`fields[0].code` of a `remote` error, `stoppedBy.code`). */
export const REMOTE_ADVICE = {
  unreachable: "Check the host and port, and that the server is running and reachable from this computer.",
  timeout: "The server did not answer in time: check the host and port, then try again.",
  tls: "Check the security setting: the server may expect another one.",
  auth_failed: "Check the login and the password.",
  rejected: "Check the from address and the recipient: the server refused them.",
  invalid_address: "Check the from address and the recipient.",
};

/** The core's message about a mail server, as a sentence, with what to check when it is known. */
export function remoteSentence(message, code) {
  const text = String(message ?? "").trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  const advice = REMOTE_ADVICE[code];
  if (!advice) return sentence;
  return `${/[.!?]$/.test(sentence) ? sentence : `${sentence}.`} ${advice}`;
}

const mails = (n) => `${formatCount(n)} ${n === 1 ? "mail" : "mails"}`;

/**
 * The progress panel: hidden until `run`; the bar counts mails, Cancel asks the shell to stop
 * before the next mail (those under way finish; the rest stay queued).
 */
export class SendProgress {
  /** @param {string} idPrefix  ids: `<prefix>`, `<prefix>-label`, `-bar`, `-count`, `-cancel` */
  constructor(idPrefix) {
    this.panel = new ProgressPanel({
      idPrefix,
      ariaLabel: "Sending mails",
      className: "send-progress",
      describe: (busy) => ({
        label: busy.cancelling ? "Stopping after the mails under way…" : `${busy.what}…`,
        count: `${formatCount(busy.done)} of ${mails(busy.total)}`,
      }),
      cancel: mailCancel,
    });
    this.root = this.panel.root;
  }

  /**
   * Shows the panel (Cancel focused) while `work(onProgress)` runs; hides it after.
   * @template T
   * @param {string} what  what is being done ("Sending activation mails")
   * @param {(onProgress: (p: {phase, done, total}) => void) => Promise<T>} work
   * @returns {Promise<T>}
   */
  run(what, work) {
    return this.panel.run({ what }, work);
  }
}

/**
 * One line saying what a send did: "Sent 2 mails; 1 failed; 3 still queued".
 * @param {{sent, failed, queued, cancelled}} view  a MailSendView
 * @param {string} [noun]  what the mails are ("activation mail")
 */
export function sendLine(view, noun = "mail") {
  const parts = [view.sent ? `Sent ${formatCount(view.sent)} ${noun}${view.sent === 1 ? "" : "s"}` : `No ${noun} was sent`];
  if (view.failed) parts.push(`${formatCount(view.failed)} failed`);
  if (view.queued) parts.push(`${formatCount(view.queued)} still queued`);
  return `${parts.join("; ")}${view.cancelled ? " (cancelled)" : ""}`;
}

/**
 * The result of a send as a panel: counts, then why anything did not go.
 * @param {object} spec
 * @param {string} spec.id       the panel's id (its title is `<id>-title`, focusable)
 * @param {string} spec.title
 * @param {object} spec.sent     a MailSendView
 * @param {{username, code, reason}[]} [spec.skipped]  users the mail was not queued for (MailQueuedView.skipped)
 * @returns {HTMLElement}
 */
export function sendResult({ id, title, sent, skipped = [] }) {
  const notes = [];
  const one = sent.queued === 1;
  if (sent.cancelled) notes.push(`Cancelled: ${sent.queued ? `${mails(sent.queued)} ${one ? "stays" : "stay"} queued and ${one ? "goes" : "go"} with the next send or retry` : "nothing was left to send"}.`);
  if (sent.stoppedBy) notes.push(`The sending stopped: ${remoteSentence(sent.stoppedBy.message, sent.stoppedBy.code)} The ${mails(sent.queued)} not sent ${one ? "stays" : "stay"} queued; retry ${one ? "it" : "them"} from the Outbox.`);
  if (sent.interrupted) notes.push(`${mails(sent.interrupted)} left in flight by an earlier run may have arrived, so they were not sent again: they are failed as interrupted in the Outbox; retry them if they did not arrive.`);
  const failed = sent.failures ?? [];
  const problem = sent.failed || sent.queued || skipped.length || sent.interrupted;
  return el("section", { id, class: `panel send-result${problem ? " send-result--problem" : ""}`, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title`, class: "panel__title", tabindex: "-1", text: title }),
    el("dl", { class: "result-counts" },
      count("sent", "Sent", sent.sent),
      count("failed", "Failed", sent.failed),
      count("queued", "Still queued", sent.queued),
      skipped.length ? count("skipped", "Skipped", skipped.length) : null),
    notes.map((text) => el("p", { class: "send-result__note", text })),
    failed.length ? [
      el("h3", { class: "send-result__subtitle", text: "Failed" }),
      el("ul", { id: `${id}-failures`, class: "notice-list" }, failed.map((m) => el("li", {},
        el("span", { class: "strong", text: m.username ?? m.to }), `: ${m.error ?? m.errorCode ?? "failed"}`))),
    ] : null,
    skipped.length ? [
      el("h3", { class: "send-result__subtitle", text: "Skipped" }),
      el("ul", { id: `${id}-skipped`, class: "notice-list" }, skipped.map((s) => el("li", { dataset: { username: s.username, code: s.code }, text: s.reason }))),
    ] : null,
    problem ? el("p", { class: "send-result__more" }, el("a", { href: OUTBOX_ROUTE, text: "Open the Outbox" }),
      sent.failed || sent.interrupted ? " to see every mail and retry the failed ones." : sent.queued ? " to see every mail and send the queued ones." : " to see every mail.") : null);
}

function count(key, term, value) {
  return el("div", { class: `result-counts__item result-counts__item--${key}` },
    el("dt", { text: term }),
    el("dd", { id: `send-${key}`, dataset: { value: String(value) }, text: formatCount(value) }));
}

/** Replaces `slot`'s content with `panel` and moves focus to the panel's title, the panel in view. */
export function showResult(slot, panel) {
  replaceChildren(slot, panel);
  panel.querySelector("h2")?.focus({ preventScroll: true });
  panel.scrollIntoView({ block: "nearest" });
}
