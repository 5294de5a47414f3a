// Settings → Mail: the SMTP server Roster sends its mails through (host, port, security, login,
// sender, password), "Send test mail", and how users get a password (a link to the directory's
// reset page or a one-time temporary password; the organisation the mails name, how long a link
// lasts, where bulk results go, whether creating a user sends the activation mail). The password
// goes to the OS keyring and nowhere else; the form never shows it, only whether one is stored.
// Every message about what is wrong comes from the core; errors are told apart by their code,
// never by their text.
import { mailOptions, mailOptionsSet, mailSetup, mailShow, mailTest } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { announce } from "../notice.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";
import { remoteSentence } from "./mail-send.js";

/** The security modes the mail crate knows, with the port each usually runs on (the placeholder). */
const SECURITY = [
  { value: "starttls", label: "STARTTLS (usually port 587)", port: 587 },
  { value: "tls", label: "TLS from the start (usually port 465)", port: 465 },
  { value: "none", label: "None: no encryption (usually port 25)", port: 25 },
];
const DEFAULT_SECURITY = "starttls";

/** How users get to a password (MailOptionsView.resetMethod), as the admin reads it. */
const RESET_METHODS = [
  {
    value: "portal_link", label: "A link to your directory's reset page",
    hint: "Users set their password on the directory's own page; the mail carries the link.",
  },
  {
    value: "temporary_password", label: "A one-time temporary password",
    hint: "Roster makes a strong password that meets the workspace policy, keeps only its hash, and mails it. Users must change it when they first sign in.",
  },
];

/**
 * The port as the shell takes it: null when blank (the usual port of the security chosen), the
 * number when it is one, else 0, which the core refuses with its own message.
 */
function portValue(text) {
  const t = text.trim();
  if (t === "") return null;
  return /^\d{1,5}$/.test(t) && Number(t) <= 65535 ? Number(t) : 0;
}

/** Days as the shell takes them: null when blank (keep), the number when it is one, else 0 (the core says why). */
function daysValue(text) {
  const t = text.trim();
  if (t === "") return null;
  return /^\d{1,9}$/.test(t) ? Number(t) : 0;
}

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startMailSettingsView(root) {
  const view = new MailSettingsView(root);
  return { ready: Promise.all([view.load(), view.options.load()]).then(() => {}), destroy: () => {} };
}

class MailSettingsView {
  constructor(root) {
    this.busy = false;
    /** The loads still under way ("server", "options"): no form saves, and each says it is busy, until both are in. */
    this.loading = new Set();
    const noAutofill = { autocomplete: "off", spellcheck: "false", autocapitalize: "none" };
    this.fields = new Map([
      ["host", createField({ id: "mail-host", label: "Server", hint: "The SMTP server's host name, like smtp.example.com", required: true, attrs: noAutofill })],
      ["security", createField({ id: "mail-security", label: "Security", type: "select", options: SECURITY })],
      ["port", createField({ id: "mail-port", label: "Port", hint: "Blank: the usual port", attrs: { ...noAutofill, inputmode: "numeric" } })],
      ["user", createField({ id: "mail-user", label: "Login", hint: "Leave blank when the server needs no login", attrs: noAutofill })],
      ["password", createField({ id: "mail-password", label: "Password", type: "password", hint: "Leave blank to keep the stored password", attrs: { autocomplete: "new-password", spellcheck: "false" } })],
      ["from", createField({ id: "mail-from", label: "From address", type: "email", hint: "The sender of Roster's mails, like roster@example.com", required: true, attrs: noAutofill })],
    ]);
    this.fields.get("security").value = DEFAULT_SECURITY;
    this.fields.get("security").control.addEventListener("change", () => this.#showUsualPort());
    this.#showUsualPort();
    this.to = createField({ id: "mail-test-to", label: "To", type: "email", hint: "Who gets the test mail", attrs: noAutofill });

    // The password's hint says whether the keyring holds one (filled in by #fill).
    this.passwordState = this.fields.get("password").root.querySelector("#hint-mail-password");
    this.keyring = el("div", { id: "mail-keyring", class: "banner banner--warning", hidden: true });
    this.summary = new ErrorSummary(el("div", { id: "mail-errors" }));
    this.testSummary = new ErrorSummary(el("div", { id: "mail-test-errors" }));
    this.save = el("button", { id: "mail-save", type: "submit", class: "button", text: "Save" });
    this.send = el("button", { id: "mail-test-send", type: "submit", class: "button button--secondary", text: "Send test mail" });
    this.result = el("p", { id: "mail-test-result", class: "mail-test__result", role: "status" });
    this.state = el("p", { id: "mail-state", class: "view-header__meta", role: "status" });
    this.form = el("form", { id: "mail-form", class: "form panel", novalidate: true, "aria-labelledby": "mail-form-title", on: { submit: (e) => this.#save(e) } },
      el("h2", { id: "mail-form-title", class: "panel__title", text: "Mail server" }),
      this.summary.root,
      this.fields.get("host").root,
      el("div", { class: "field-row" }, this.fields.get("security").root, this.fields.get("port").root),
      el("div", { class: "field-row" }, this.fields.get("user").root, this.fields.get("password").root),
      this.fields.get("from").root,
      el("div", { class: "button-row" }, this.save));
    this.testForm = el("form", { id: "mail-test-form", class: "form panel", novalidate: true, "aria-labelledby": "mail-test-title", on: { submit: (e) => this.#test(e) } },
      el("h2", { id: "mail-test-title", class: "panel__title", text: "Send a test mail" }),
      el("p", { class: "panel__text", text: "Sends a short mail through the saved server, to check that mail works." }),
      this.testSummary.root,
      this.to.root,
      el("div", { class: "button-row" }, this.send),
      this.result);

    this.options = new MailOptionsForm({
      busy: () => this.#isBusy(),
      setBusy: (b) => this.#setBusy(b),
      loading: (part, on) => this.#setLoading(part, on),
    });

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Mail settings" }),
        this.state),
      el("p", { class: "view-intro", text: "Roster sends activation, password reset and welcome mails, and bulk import results, through your SMTP server. Its password is kept in the OS keyring, never in the workspace file." }),
      this.keyring,
      el("div", { class: "settings-forms" }, this.form, this.testForm, this.options.form));
  }

  async load() {
    this.#setLoading("server", true);
    try {
      this.#fill(await mailShow());
    } catch (error) {
      this.summary.showMessage(error.message);
    } finally {
      this.#setLoading("server", false);
    }
  }

  /** Shows the saved set-up (never a password: only whether the keyring holds one). */
  #fill(mail) {
    this.mail = mail;
    if (mail.configured) {
      this.fields.get("host").value = mail.host;
      this.fields.get("security").value = mail.security || DEFAULT_SECURITY;
      this.fields.get("port").value = mail.port ? String(mail.port) : "";
      this.fields.get("user").value = mail.user;
      this.fields.get("from").value = mail.from;
    }
    this.fields.get("password").value = "";
    this.#showUsualPort();
    this.state.textContent = mail.configured ? `Sending through ${mail.host}:${mail.port}` : "Mail is not set up yet";
    this.passwordState.textContent = mail.passwordInKeyring
      ? "A password is stored in the OS keyring. Leave blank to keep it."
      : "No password is stored. Enter one if the server needs a login.";
    const available = mail.keyring === "available";
    this.keyring.hidden = available;
    replaceChildren(this.keyring, available ? null : [
      el("p", { class: "strong", text: "The OS keyring cannot be used, so Roster cannot store a mail password." }),
      el("p", { text: mail.keyring }),
      el("p", { text: "A server without a login still works." }),
    ]);
  }

  #showUsualPort() {
    const security = SECURITY.find((s) => s.value === this.fields.get("security").value);
    this.fields.get("port").control.placeholder = security ? String(security.port) : "";
  }

  #input() {
    const value = (name) => this.fields.get(name).value;
    return {
      host: value("host"),
      port: portValue(value("port")),
      security: value("security"),
      user: value("user"),
      from: value("from"),
      password: value("password") === "" ? null : value("password"),
    };
  }

  async #save(event) {
    event.preventDefault();
    if (this.#isBusy()) return;
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    this.#setBusy(true);
    try {
      const mail = await mailSetup(this.#input());
      this.#fill(mail);
      announce(`Saved the mail server ${mail.host}:${mail.port}${mail.passwordInKeyring ? ", its password in the OS keyring" : ""}`);
    } catch (error) {
      // A keyring problem is about the password that could not be stored: link it there.
      showApiError(this.summary, new Map([...this.fields, ["keyring", this.fields.get("password")]]), error);
    } finally {
      this.#setBusy(false);
    }
  }

  async #test(event) {
    event.preventDefault();
    if (this.#isBusy()) return;
    this.testSummary.clear();
    this.to.clearError();
    this.result.replaceChildren();
    this.#setBusy(true);
    this.result.textContent = "Sending…";
    try {
      const sent = await mailTest(this.to.value);
      this.result.replaceChildren(el("span", { class: "mail-test__ok", text: `Sent a test mail to ${sent.to} through ${sent.server}` }));
    } catch (error) {
      this.result.replaceChildren();
      this.#showTestError(error);
    } finally {
      this.#setBusy(false);
    }
  }

  #showTestError(error) {
    switch (error.code) {
      case "validation":
        showApiError(this.testSummary, new Map([["to", this.to]]), error);
        break;
      case "remote":
        this.testSummary.showMessage(remoteSentence(error.message, error.fields[0]?.code));
        break;
      case "not_configured":
        this.testSummary.showMessage(error.message, [{
          label: "Set up the server", id: "mail-test-setup", note: "Goes to the mail server form above",
          onClick: () => this.fields.get("host").control.focus(),
        }]);
        break;
      default:
        this.testSummary.showMessage(error.message);
    }
  }

  #isBusy() {
    return this.busy || this.loading.size > 0;
  }

  #setBusy(busy) {
    this.busy = busy;
    this.#showBusy();
  }

  #setLoading(part, on) {
    if (on) this.loading.add(part);
    else this.loading.delete(part);
    this.#showBusy();
  }

  /**
   * One flag for the page: a save or a test mail, or a load not yet in. A save that ended before
   * the other form's load must not say that form is ready: its load would then overwrite the
   * admin's first choices.
   */
  #showBusy() {
    const busy = String(this.#isBusy());
    for (const form of [this.form, this.testForm, this.options.form]) form.setAttribute("aria-busy", busy);
    for (const button of [this.save, this.send, this.options.save]) button.setAttribute("aria-disabled", busy);
  }
}

/**
 * "How users get a password": the reset method (with the reset page's URL template when it is a
 * link), the organisation the mails name, how many days a link or temporary password lasts, where
 * bulk import results go, and whether creating a user without a password sends the activation mail.
 */
class MailOptionsForm {
  /** @param {{busy: () => boolean, setBusy: (busy: boolean) => void, loading: (part: string, on: boolean) => void}} view  the page's one busy flag */
  constructor(view) {
    this.view = view;
    const noAutofill = { autocomplete: "off", spellcheck: "false", autocapitalize: "none" };
    this.fields = new Map([
      ["portalUrl", createField({ id: "mail-portal-url", label: "Reset page URL", hint: "{username} and {email} are filled in for each user, like https://login.example.com/reset?user={username}", attrs: noAutofill })],
      ["organisation", createField({ id: "mail-organisation", label: "Organisation name", hint: "How the mails name you. Blank: the domain of the from address", attrs: { autocomplete: "organization" } })],
      ["expiresDays", createField({ id: "mail-expires-days", label: "Valid for (days)", hint: "Links and temporary passwords, 1 to 365", attrs: { ...noAutofill, inputmode: "numeric" } })],
      ["alertTo", createField({ id: "mail-alert-to", label: "Bulk import results go to", type: "email", hint: "Blank: the from address", attrs: noAutofill })],
    ]);
    this.fields.get("expiresDays").root.classList.add("field--narrow");
    this.methods = new Map(RESET_METHODS.map((m) => [m.value, el("input", {
      id: `mail-reset-${m.value.replace("_", "-")}`, type: "radio", name: "mail-reset-method", value: m.value, class: "choice__input",
      "aria-describedby": `mail-reset-${m.value}-hint`, on: { change: () => this.#showMethod() },
    })]));
    // The URL belongs to the link choice: shown under it (GOV.UK conditional reveal).
    this.portal = el("div", { id: "mail-portal", class: "choice__reveal" }, this.fields.get("portalUrl").root);
    this.autoSend = el("input", { id: "mail-auto-send", type: "checkbox", class: "checkbox", "aria-describedby": "hint-mail-auto-send" });
    this.summary = new ErrorSummary(el("div", { id: "mail-options-errors" }));
    this.save = el("button", { id: "mail-options-save", type: "submit", class: "button", text: "Save" });
    this.form = el("form", { id: "mail-options-form", class: "form panel form--wide", novalidate: true, "aria-labelledby": "mail-options-title", on: { submit: (e) => this.#save(e) } },
      el("h2", { id: "mail-options-title", class: "panel__title", text: "How users get a password" }),
      el("p", { class: "panel__text", text: "Activation and password reset mails carry either a link to the page where your directory lets users set a password, or a temporary password." }),
      this.summary.root,
      el("div", { class: "options-columns" },
        el("fieldset", { class: "choices" },
          el("legend", { class: "choices__legend", text: "Reset method" }),
          RESET_METHODS.map((m) => [
            el("div", { class: "choice" },
              this.methods.get(m.value),
              el("label", { for: this.methods.get(m.value).id, class: "choice__label", text: m.label }),
              el("p", { id: `mail-reset-${m.value}-hint`, class: "choice__hint", text: m.hint })),
            m.value === "portal_link" ? this.portal : null,
          ])),
        el("div", {},
          el("div", { class: "field-row" }, this.fields.get("organisation").root, this.fields.get("expiresDays").root),
          this.fields.get("alertTo").root,
          el("div", { class: "field field--checkbox" },
            el("div", { class: "checkbox-label" }, this.autoSend,
              el("label", { class: "field__label", for: "mail-auto-send", text: "Send the activation mail when a user is created without a password" })),
            el("p", { id: "hint-mail-auto-send", class: "field__hint field__hint--after", text: "From the Add user form, the command line and bulk import." })))),
      el("div", { class: "button-row" }, this.save));
  }

  async load() {
    this.view.loading("options", true);
    try {
      this.#fill(await mailOptions());
    } catch (error) {
      this.summary.showMessage(error.message);
    } finally {
      this.view.loading("options", false);
    }
  }

  #fill(options) {
    this.methods.get(options.resetMethod ?? "temporary_password").checked = true;
    this.fields.get("portalUrl").value = options.portalUrl;
    this.fields.get("organisation").value = options.organisation;
    this.fields.get("expiresDays").value = String(options.expiresDays ?? "");
    this.fields.get("alertTo").value = options.alertTo;
    this.autoSend.checked = Boolean(options.autoSendOnCreate);
    this.#showMethod();
  }

  /** The URL field only matters for the link. */
  #showMethod() {
    this.portal.hidden = !this.methods.get("portal_link").checked;
  }

  #input() {
    const value = (name) => this.fields.get(name).value;
    return {
      // No URL is how the core knows to send temporary passwords.
      portalUrl: this.methods.get("portal_link").checked ? value("portalUrl") : "",
      organisation: value("organisation"),
      expiresDays: daysValue(value("expiresDays")),
      alertTo: value("alertTo"),
      autoSendOnCreate: this.autoSend.checked,
    };
  }

  async #save(event) {
    event.preventDefault();
    if (this.view.busy()) return;
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
    this.view.setBusy(true);
    try {
      const options = await mailOptionsSet(this.#input());
      this.#fill(options);
      announce(options.resetMethod === "portal_link"
        ? "Saved: mails carry a link to your reset page"
        : "Saved: mails carry a one-time temporary password");
    } catch (error) {
      // A problem with the URL shows it, even if the admin had switched away from the link.
      if (error.fields?.some((f) => f.field === "portalUrl")) {
        this.methods.get("portal_link").checked = true;
        this.#showMethod();
      }
      showApiError(this.summary, this.fields, error);
    } finally {
      this.view.setBusy(false);
    }
  }
}
