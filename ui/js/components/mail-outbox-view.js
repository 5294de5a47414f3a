// Settings → Outbox: every mail Roster has queued, newest first (mail_outbox): how many are in
// each state, a table of the mails (kind, user, recipient, state, attempts, the reason a mail did
// not go, when) filtered by state and paged, and "Retry failed", which puts the failed mails back
// in the queue and sends the queue with a progress bar and Cancel.
// Started on an empty root element; `data-page-size` sets the page size (default 50).
import { mailOutbox, mailRetry } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { ErrorSummary } from "./error-summary.js";
import { SendProgress, sendLine, sendResult, showResult } from "./mail-send.js";
import { KeysetPager, emptyRow, tableShell } from "./table.js";

/** The states of a mail (OutboxMailView.state), in the order they happen, with what they mean. */
const STATES = [
  { value: "queued", label: "Queued", note: "Waiting to be sent" },
  { value: "sending", label: "Sending", note: "With the mail server now" },
  { value: "sent", label: "Sent", note: "Accepted by the mail server" },
  { value: "failed", label: "Failed", note: "Not sent: see why, then retry" },
];
const stateLabel = (state) => STATES.find((s) => s.value === state)?.label ?? state;

const KIND_LABELS = { activation: "Activation", password_reset: "Password reset", welcome: "Welcome", bulk_result: "Bulk import result" };

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startMailOutboxView(root) {
  const view = new MailOutboxView(root, Number(root.dataset.pageSize) || 50);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class MailOutboxView {
  #requestId = 0;

  constructor(root, pageSize) {
    this.root = root;
    this.pageSize = pageSize;
    this.counts = null;
    this.busy = false;

    this.countsBox = el("dl", { id: "outbox-counts", class: "result-counts outbox-counts" });
    this.summary = new ErrorSummary(el("div", { id: "outbox-errors" }));
    this.progress = new SendProgress("outbox-progress");
    this.result = el("div", { id: "outbox-result-slot" });
    this.filter = el("select", { id: "outbox-state", class: "select", on: { change: () => this.#filtered() } },
      el("option", { value: "", text: "Every state" }),
      STATES.map((s) => el("option", { value: s.value, text: s.label })));
    this.retry = el("button", { id: "outbox-retry", type: "button", class: "button", text: "Retry failed", on: { click: () => this.#retry() } });
    this.retryHint = el("p", { id: "outbox-retry-hint", class: "toolbar__hint" });
    this.pager = new KeysetPager({ idPrefix: "outbox-page", pageSize, onPage: () => this.#loadPage() });
    this.columns = [
      { label: "ID", key: "id", numeric: true },
      { label: "Mail", key: "kind" },
      { label: "User", key: "user" },
      { label: "To", key: "to" },
      { label: "State", key: "state" },
      { label: "Attempts", key: "attempts", numeric: true },
      { label: "Why not sent", key: "error" },
      { label: "Last change", key: "time" },
    ];
    this.list = tableShell({ id: "outbox-table", caption: "Mails in the outbox, newest first", columns: this.columns });
    this.list.table.classList.add("table--outbox");

    replaceChildren(root,
      el("h1", { class: "view-title", tabindex: "-1", text: "Outbox" }),
      el("p", { class: "view-intro", text: "Every mail Roster sends waits here first. Mails the server could not take stay queued and go with the next send; failed ones go again when you retry them. A mail that was being sent when Roster stopped is never sent twice by itself: it is failed as interrupted, for you to retry if it did not arrive." }),
      el("section", { class: "panel", "aria-labelledby": "outbox-counts-title" },
        el("h2", { id: "outbox-counts-title", class: "panel__title", text: "Mails by state" }),
        this.countsBox),
      this.summary.root,
      this.progress.root,
      this.result,
      el("section", { class: "panel", "aria-labelledby": "outbox-mails-title" },
        el("h2", { id: "outbox-mails-title", class: "panel__title", text: "Mails, newest first" }),
        el("div", { class: "toolbar toolbar--actions" },
          el("div", { class: "toolbar__item" },
            el("label", { class: "toolbar__label", for: "outbox-state", text: "State" }),
            this.filter),
          el("div", { class: "toolbar__item" },
            el("div", { class: "apply-row" }, this.retry, this.retryHint)),
          this.pager.root),
        this.list.wrap));
  }

  destroy() {
    this.#requestId += 1;
  }

  load() {
    return this.#loadPage();
  }

  #filtered() {
    this.pager.restart();
    this.#loadPage();
  }

  async #loadPage() {
    const id = ++this.#requestId;
    const { table, tbody } = this.list;
    table.setAttribute("aria-busy", "true");
    try {
      const query = { limit: this.pageSize };
      if (this.filter.value) query.state = this.filter.value;
      if (this.pager.after !== undefined) query.before = this.pager.after;
      const page = await mailOutbox(query);
      if (id !== this.#requestId) return;
      this.#renderCounts(page);
      tbody.replaceChildren(...page.mails.map((m) => this.#row(m)));
      if (!page.mails.length) {
        tbody.append(emptyRow(this.columns.length, this.pager.pages.length > 1
          ? "There are no more mails. Go back with Previous."
          : this.filter.value ? `No mail is ${stateLabel(this.filter.value).toLowerCase()}.` : "No mail has been queued yet."));
      }
      this.pager.update({
        next: page.next, shown: page.mails.length,
        total: this.filter.value ? page[this.filter.value] : page.queued + page.sending + page.sent + page.failed,
      });
    } catch (error) {
      if (id !== this.#requestId) return;
      tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      if (id === this.#requestId) table.setAttribute("aria-busy", "false");
    }
  }

  #renderCounts(page) {
    this.counts = page;
    replaceChildren(this.countsBox, STATES.map((s) => el("div", { class: `result-counts__item result-counts__item--${s.value}`, title: s.note },
      el("dt", { text: s.label }),
      el("dd", { id: `outbox-count-${s.value}`, dataset: { value: String(page[s.value]) }, text: formatCount(page[s.value]) }))));
    const waiting = page.failed + page.queued;
    this.retry.textContent = page.failed ? "Retry failed" : "Send queued";
    this.retryHint.textContent = page.failed
      ? `Puts ${formatCount(page.failed)} failed ${page.failed === 1 ? "mail" : "mails"} back in the queue and sends ${page.queued ? "everything queued" : "them"}`
      : page.queued ? `Sends the ${formatCount(page.queued)} queued ${page.queued === 1 ? "mail" : "mails"}` : "Nothing is waiting to be sent";
    this.retry.setAttribute("aria-disabled", String(this.busy || waiting === 0));
  }

  #row(mail) {
    const when = mail.sentAt ?? mail.updatedAt;
    return el("tr", { dataset: { id: String(mail.id), state: mail.state, kind: mail.kind } },
      el("td", { class: "num", text: String(mail.id) }),
      el("td", {}, KIND_LABELS[mail.kind] ?? mail.kind, mail.reminder ? el("span", { class: "muted", text: " (reminder)" }) : null),
      el("td", {}, mail.username
        ? el("a", { class: "user-link", href: `#/users/${encodeURIComponent(mail.username)}/edit`, text: mail.username })
        : el("span", { class: "muted", text: "—" })),
      el("td", { class: "cell-to" }, el("span", { class: "email__text", title: mail.to, text: mail.to })),
      el("td", {}, el("span", { class: `badge badge--mail-${mail.state}`, text: stateLabel(mail.state) })),
      el("td", { class: "num", text: String(mail.attempts) }),
      el("td", { class: "cell-error" }, mail.error
        ? [el("span", { text: mail.error }), mail.errorCode ? el("span", { class: "code-name muted", text: ` (${mail.errorCode})` }) : null]
        : null),
      el("td", {}, el("time", { datetime: when, title: `Queued ${formatDateTime(mail.queuedAt)}`, text: formatDateTime(when) })));
  }

  /** Failed mails back to the queue, then the queue is sent: progress, Cancel, then what happened. */
  async #retry() {
    if (this.busy || this.retry.getAttribute("aria-disabled") === "true") return;
    this.busy = true;
    this.retry.setAttribute("aria-disabled", "true");
    this.filter.disabled = true;
    this.summary.clear();
    replaceChildren(this.result);
    const retrying = Boolean(this.counts?.failed);
    let panel = null;
    try {
      const sent = await this.progress.run(retrying ? "Retrying the failed mails" : "Sending the queued mails", (onProgress) => mailRetry(null, onProgress));
      announce(sendLine(sent));
      panel = sendResult({ id: "outbox-result", title: sendLine(sent), sent });
      // The Outbox is where the failures are listed already: no link to itself.
      panel.querySelector(".send-result__more")?.remove();
    } catch (error) {
      this.summary.showMessage(error.message, error.code === "not_configured" ? [{
        label: "Set up mail", id: "outbox-setup-mail", note: "Opens Settings → Mail",
        onClick: () => { location.hash = "#/settings/mail"; },
      }] : []);
    } finally {
      this.busy = false;
      this.filter.disabled = false;
      this.pager.restart();
      await this.#loadPage();
    }
    if (panel && this.root.isConnected) showResult(this.result, panel);
  }
}
