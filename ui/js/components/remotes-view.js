// Settings → Remotes: the remote directories (SCIM 2.0 service providers) this workspace can sync
// with. A table of the remotes (which one is linked, whether the OS keyring holds a token, whether
// TLS is verified, the last pull and push) with Test connection, Link and Remove (asked first); the
// capabilities the last test found, as a definition list; and the form that adds a remote (name,
// base URL, bearer token, and the opt-out of TLS verification with its warning).
// The token goes to the OS keyring and nowhere else; the window never shows it again. Every message
// about what is wrong comes from the core; errors are told apart by their code.
import { remoteAdd, remoteLink, remoteList, remoteRemove, remoteTest } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { formatCount, formatDateTime } from "../format.js";
import { announce } from "../notice.js";
import { currentSyncStatus, refreshSyncStatus } from "../sync-status.js";
import { confirmDialog } from "./dialog.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";
import { emptyRow, tableShell } from "./table.js";

/** What to check, by the kind of SCIM failure (`fields[0].code` of a `remote` error). */
export const SCIM_ADVICE = {
  unreachable: "Check the URL, and that the server is running and reachable from this computer.",
  timeout: "The server did not answer in time: check the URL, then try again.",
  tls: "The server's certificate was refused: check the URL's host name, or the certificate.",
  unauthorized: "The server refused the token: add the remote again with a valid token.",
  forbidden: "The token may not do this: ask for one with provisioning rights.",
  not_found: "Check the base URL: it should end where /Users and /ServiceProviderConfig begin, like https://idp.example.com/scim/v2.",
  protocol: "The answer was not SCIM: check the base URL.",
};

/** A `remote` error as a sentence, with what to check when the kind is known. */
export function scimSentence(error) {
  const text = String(error.message ?? "").trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  const advice = SCIM_ADVICE[error.fields?.[0]?.code];
  if (error.code !== "remote" || !advice) return sentence;
  return `${/[.!?]$/.test(sentence) ? sentence : `${sentence}.`} ${advice}`;
}

/** The fields Roster keeps only locally when a remote lacks its extension schema. */
export const ROSTER_FIELDS = "second factor, MFA, device limit, password expiry and custom attributes";

const yesNo = (b) => (b ? "Yes" : "No");

function bytes(n) {
  if (n >= 1048576 && n % 1048576 === 0) return `${formatCount(n / 1048576)} MiB`;
  if (n >= 1024) return `${formatCount(Math.round(n / 1024))} KiB`;
  return `${formatCount(n)} bytes`;
}

/**
 * A remote's capabilities (RemoteView.capabilities) as the admin reads them: [term, description].
 * @returns {[string, string][]}
 */
export function capabilityRows(c) {
  return [
    ["Bulk requests", c.bulk
      ? `Yes: up to ${formatCount(c.bulk.maxOperations)} operations and ${bytes(c.bulk.maxPayloadSize)} per request`
      : "No: changes go one request at a time"],
    ["Partial updates (PATCH)", c.patch ? "Yes: only changed attributes are sent" : "No"],
    ["Filtering", c.filter ? `Yes${c.maxResults ? `, up to ${formatCount(c.maxResults)} results a page` : ""}` : "No"],
    ["Versions (ETags)", c.etag ? "Yes: a change made on the server meanwhile becomes a conflict, not an overwrite" : "No"],
    ["Password changes", yesNo(c.changePassword)],
    ["Sorting", yesNo(c.sort)],
    ["Enterprise user extension", yesNo(c.enterpriseExtension)],
    ["Roster extension", c.rosterExtension ? "Yes: Roster's own fields travel too" : `No: ${ROSTER_FIELDS} stay local only for this remote`],
    ["Authentication", c.authenticationSchemes?.length ? c.authenticationSchemes.join(", ") : "Not stated"],
    ["Schemas", c.schemas?.length ? c.schemas.join(", ") : "Not listed"],
  ];
}

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startRemotesView(root) {
  const view = new RemotesView(root);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class RemotesView {
  #requestId = 0;

  constructor(root) {
    this.root = root;
    this.busy = false;
    this.remotes = [];
    /** The remote whose capabilities are shown. */
    this.shown = null;

    const noAutofill = { autocomplete: "off", spellcheck: "false", autocapitalize: "none" };
    this.fields = new Map([
      ["name", createField({ id: "remote-name", label: "Name", hint: "A short name for this remote, like idp or okta-test", required: true, attrs: noAutofill })],
      ["url", createField({ id: "remote-url", label: "SCIM base URL", hint: "Where /Users and /Groups begin, like https://idp.example.com/scim/v2", required: true, attrs: { ...noAutofill, inputmode: "url" } })],
      ["token", createField({ id: "remote-token", label: "Bearer token", type: "password", hint: "Kept in the OS keyring, never in the workspace file. Leave blank when the server needs none.", attrs: { autocomplete: "new-password", spellcheck: "false" } })],
    ]);
    this.insecure = el("input", {
      id: "remote-insecure", type: "checkbox", class: "checkbox", "aria-describedby": "hint-remote-insecure remote-insecure-warning",
      on: { change: () => { this.insecureWarning.hidden = !this.insecure.checked; } },
    });
    this.insecureWarning = el("div", { id: "remote-insecure-warning", class: "banner banner--warning remote-insecure-warning", hidden: true },
      el("p", { class: "strong", text: "Warning: TLS will not be verified for this remote." }),
      el("p", { text: "Anyone on the network between you and the server could pose as it, read the token and change what Roster sends and receives. Use this only for a test server on a network you trust; Roster warns each time it is used." }));
    this.summary = new ErrorSummary(el("div", { id: "remote-add-errors" }));
    this.actionSummary = new ErrorSummary(el("div", { id: "remotes-errors" }));
    this.add = el("button", { id: "remote-add", type: "submit", class: "button", text: "Add remote" });
    this.form = el("form", { id: "remote-add-form", class: "form panel", novalidate: true, "aria-labelledby": "remote-add-title", on: { submit: (e) => this.#add(e) } },
      el("h2", { id: "remote-add-title", class: "panel__title", text: "Add a remote" }),
      el("p", { class: "panel__text", text: "The first remote you add is linked: from then on every change in this workspace waits for the next push to it." }),
      this.summary.root,
      this.fields.get("name").root,
      this.fields.get("url").root,
      this.fields.get("token").root,
      el("div", { class: "field field--checkbox" },
        el("div", { class: "checkbox-label" }, this.insecure,
          el("label", { class: "field__label", for: "remote-insecure", text: "Do not verify TLS certificates" })),
        el("p", { id: "hint-remote-insecure", class: "field__hint field__hint--after", text: "Only for a test server with a self-signed certificate." })),
      this.insecureWarning,
      el("div", { class: "button-row" }, this.add));

    this.columns = [
      { label: "Name", key: "name" },
      { label: "SCIM base URL", key: "url" },
      { label: "Status", key: "status" },
      { label: "Token", key: "token" },
      { label: "TLS", key: "tls" },
      { label: "Last pull and push", key: "when" },
      { label: "Actions", key: "actions" },
    ];
    this.list = tableShell({ id: "remotes-table", caption: "Remote directories", columns: this.columns });
    this.list.table.classList.add("table--remotes");
    this.list.tbody.addEventListener("click", (e) => this.#rowAction(e));
    this.capabilities = el("section", { id: "remote-capabilities", class: "panel remote-capabilities", "aria-labelledby": "remote-capabilities-title", hidden: true });
    this.state = el("p", { id: "remotes-state", class: "view-header__meta", role: "status" });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Remote directories" }),
        this.state),
      el("p", { class: "view-intro", text: "Roster can sync this workspace with a directory that speaks SCIM 2.0: pull its users and groups, work offline, then push your changes from the Sync screen." }),
      this.actionSummary.root,
      el("section", { class: "panel", "aria-labelledby": "remotes-list-title" },
        el("h2", { id: "remotes-list-title", class: "panel__title", text: "Remotes" }),
        this.list.wrap),
      this.capabilities,
      el("div", { class: "settings-forms" }, this.form));
  }

  destroy() {
    this.#requestId += 1;
  }

  async load() {
    const id = ++this.#requestId;
    const { table, tbody } = this.list;
    table.setAttribute("aria-busy", "true");
    try {
      const remotes = await remoteList();
      if (id !== this.#requestId) return;
      this.remotes = remotes;
      tbody.replaceChildren(...remotes.map((r) => this.#row(r)));
      if (!remotes.length) tbody.append(emptyRow(this.columns.length, "No remote yet: this workspace is local only. Add one below."));
      const linked = remotes.find((r) => r.linked);
      this.state.textContent = linked ? `Linked to ${linked.name}` : "Local only";
      const shown = remotes.find((r) => r.name === this.shown) ?? (linked?.capabilities ? linked : null);
      this.#showCapabilities(shown);
    } catch (error) {
      if (id !== this.#requestId) return;
      tbody.replaceChildren(emptyRow(this.columns.length, el("span", { class: "field-error", text: error.message })));
    } finally {
      if (id === this.#requestId) table.setAttribute("aria-busy", "false");
    }
  }

  #row(r) {
    const action = (name, label, extra = {}) => el("button", {
      type: "button", class: `button button--small button--secondary${name === "remove" ? " button--danger-text" : ""}`,
      dataset: { action: name, remote: r.name }, "aria-label": `${label} ${r.name}`, text: label, ...extra,
    });
    return el("tr", { dataset: { remote: r.name, linked: String(r.linked) } },
      el("th", { scope: "row", class: "cell-name", text: r.name }),
      el("td", { class: "cell-url" }, el("span", { class: "remote-url", dir: "ltr", title: r.url, text: r.url })),
      el("td", {}, r.linked ? el("span", { class: "badge badge--linked", text: "Linked" }) : el("span", { class: "muted", text: "Not linked" })),
      el("td", {}, r.tokenInKeyring ? "In the OS keyring" : el("span", { class: "muted", text: "None" })),
      el("td", {}, r.insecureSkipTlsVerify
        ? el("span", { class: "badge badge--insecure", title: "TLS certificates are not verified for this remote", text: "Not verified" })
        : r.url.startsWith("http://") ? el("span", { class: "muted", title: "Plain HTTP: nothing is encrypted", text: "None (http)" }) : "Verified"),
      el("td", { class: "cell-when" },
        el("span", { class: "remote-when" }, "Pull: ", when(r.lastPull)),
        el("br"),
        el("span", { class: "remote-when" }, "Push: ", when(r.lastPush))),
      el("td", { class: "cell-actions" }, el("div", { class: "button-row button-row--tight" },
        action("test", "Test connection"),
        r.linked ? null : action("link", "Link"),
        action("remove", "Remove"))));
  }

  #rowAction(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || this.busy) return;
    const remote = this.remotes.find((r) => r.name === button.dataset.remote);
    if (!remote) return;
    ({ test: () => this.#test(remote), link: () => this.#link(remote), remove: () => this.#remove(remote) })[button.dataset.action]?.();
  }

  /** The capabilities of `remote` (null: hide the panel). */
  #showCapabilities(remote) {
    this.shown = remote?.name ?? null;
    if (!remote) {
      this.capabilities.hidden = true;
      return;
    }
    const c = remote.capabilities;
    replaceChildren(this.capabilities,
      el("h2", { id: "remote-capabilities-title", class: "panel__title", tabindex: "-1", text: `What ${remote.name} can do` }),
      c
        ? [
          el("p", { class: "panel__text", text: `Found when Roster last connected, ${formatDateTime(remote.discoveredAt)}. Roster reads them again on every pull and push.` }),
          c.rosterExtension ? null : el("p", { id: "remote-local-only", class: "banner banner--warning", text: `${remote.name} does not keep Roster's own fields: ${ROSTER_FIELDS} stay local only for this remote.` }),
          el("dl", { id: "remote-capabilities-list", class: "definition-list" }, capabilityRows(c).map(([term, text]) =>
            el("div", { class: "definition-list__row" }, el("dt", { text: term }), el("dd", { text })))),
        ]
        : el("p", { class: "panel__text", text: "Not known yet: use Test connection." }));
    this.capabilities.hidden = false;
  }

  async #work(what, fn) {
    if (this.busy) return undefined;
    this.busy = true;
    this.actionSummary.clear();
    this.list.table.setAttribute("aria-busy", "true");
    for (const b of this.list.tbody.querySelectorAll("button")) b.setAttribute("aria-disabled", "true");
    if (what) this.state.textContent = what;
    try {
      return await fn();
    } catch (error) {
      this.actionSummary.showMessage(scimSentence(error));
      return undefined;
    } finally {
      this.busy = false;
      await this.load();
      refreshSyncStatus().catch(() => {});
    }
  }

  async #test(remote) {
    const tested = await this.#work(`Connecting to ${remote.name}…`, () => remoteTest(remote.name));
    if (!tested) return;
    this.#showCapabilities(this.remotes.find((r) => r.name === tested.name) ?? tested);
    announce(`Connected to ${tested.name}: ${tested.capabilities?.bulk ? "bulk requests" : "single requests"}, ${tested.capabilities?.rosterExtension ? "with" : "without"} the Roster extension`);
    this.capabilities.querySelector("h2")?.focus({ preventScroll: true });
    this.capabilities.scrollIntoView({ block: "nearest" });
  }

  async #link(remote) {
    const status = currentSyncStatus();
    const current = this.remotes.find((r) => r.linked);
    if (current && status?.pending) {
      const ok = await confirmDialog({
        title: `Link the workspace to ${remote.name}?`,
        body: [`${formatCount(status.pending)} ${status.pending === 1 ? "change waits" : "changes wait"} to be pushed to ${current.name}. Linking ${remote.name} forgets them: they will not be pushed anywhere.`],
        confirmLabel: `Link ${remote.name}`,
      });
      if (!ok) return;
    }
    const linked = await this.#work(null, () => remoteLink(remote.name));
    if (linked) announce(`Linked the workspace to ${linked.name}: ${adoptedText(linked.adopted)}changes from now on wait for a push to it`);
    this.#focusRow(remote.name);
  }

  async #remove(remote) {
    const pending = remote.linked ? currentSyncStatus()?.pending ?? 0 : 0;
    const ok = await confirmDialog({
      title: `Remove the remote ${remote.name}?`,
      body: [
        `Roster forgets ${remote.url}${remote.tokenInKeyring ? " and removes its token from the OS keyring" : ""}. Nothing on the server changes.`,
        remote.linked
          ? `It is linked: the workspace becomes local only${pending ? `, and the ${formatCount(pending)} ${pending === 1 ? "change" : "changes"} waiting to be pushed to it are forgotten` : ""}.`
          : null,
      ].filter(Boolean),
      confirmLabel: "Remove remote",
    });
    if (!ok) return;
    const removed = await this.#work(null, () => remoteRemove(remote.name));
    if (removed) {
      announce(`Removed the remote ${removed.name}${removed.linked ? ": the workspace is local only" : ""}`);
      this.root.querySelector("h1")?.focus();
    }
  }

  #focusRow(name) {
    const row = [...this.list.tbody.querySelectorAll("tr[data-remote]")].find((r) => r.dataset.remote === name);
    row?.querySelector('button[data-action="test"]')?.focus();
  }

  async #add(event) {
    event.preventDefault();
    if (this.busy) return;
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    this.busy = true;
    this.add.setAttribute("aria-disabled", "true");
    this.form.setAttribute("aria-busy", "true");
    const token = this.fields.get("token").value;
    try {
      const added = await remoteAdd({
        name: this.fields.get("name").value,
        url: this.fields.get("url").value,
        token: token === "" ? null : token,
        insecureSkipTlsVerify: this.insecure.checked,
      });
      for (const f of this.fields.values()) f.value = "";
      this.insecure.checked = false;
      this.insecureWarning.hidden = true;
      announce(`Added the remote ${added.name}${added.linked ? `, linked: ${adoptedText(added.adopted)}changes from now on wait for a push to it` : ""}${added.tokenInKeyring ? "; its token is in the OS keyring" : ""}`);
      this.busy = false;
      await this.load();
      refreshSyncStatus().catch(() => {});
      this.#focusRow(added.name);
    } catch (error) {
      // A keyring problem is about the token that could not be stored: link it there.
      showApiError(this.summary, new Map([...this.fields, ["keyring", this.fields.get("token")]]), error);
    } finally {
      this.busy = false;
      this.add.removeAttribute("aria-disabled");
      this.form.setAttribute("aria-busy", "false");
    }
  }
}

function when(rfc3339) {
  return rfc3339
    ? el("time", { datetime: rfc3339, text: formatDateTime(rfc3339) })
    : el("span", { class: "muted", text: "Never" });
}

/**
 * What linking queued: the users and groups that were already in the workspace (the remote did
 * not know them), with the advice to pull first so those already on the remote are matched.
 */
function adoptedText(adopted) {
  if (!adopted) return "";
  return `${formatCount(adopted)} existing ${adopted === 1 ? "user or group waits" : "users and groups wait"} to be pushed (pull first, so those already on the remote are matched, not created twice); `;
}
