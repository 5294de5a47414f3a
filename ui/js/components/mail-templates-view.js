// Settings → Mail templates: what each of Roster's mails says (activation, password reset,
// welcome, bulk import result). Pick a mail, edit its subject, plain text and HTML, insert its
// placeholders, and see it filled in as you type: the shell renders the preview (mail_preview,
// debounced), the HTML in a sandboxed frame that runs nothing, the plain text as it is. Save checks
// the template (an unknown placeholder is named, in the error summary, linked to its field);
// Reset to default brings back Roster's own text. Edits of one mail are kept while another is
// shown, until saved or reset.
import { mailPreview, mailTemplateReset, mailTemplateSave, mailTemplates } from "../api.js";
import { el, replaceChildren } from "../dom.js";
import { announce } from "../notice.js";
import { debounce } from "../timing.js";
import { openDialog } from "./action-dialog.js";
import { ErrorSummary } from "./error-summary.js";
import { showApiError } from "./form-errors.js";
import { createField } from "./form-field.js";

/** The mails, as the core names them (MailTemplateView.kind), with the names admins read. */
const KINDS = {
  activation: "Activation",
  password_reset: "Password reset",
  welcome: "Welcome",
  bulk_result: "Bulk import result",
};

/** What each placeholder becomes (MailTemplateView.placeholders lists the ones a mail may use). */
const PLACEHOLDERS = {
  first_name: "The user's first name (their username when they have none)",
  last_name: "The user's last name",
  username: "The user's username",
  email: "The user's email address",
  link: "The link to your reset page, when mails carry a link",
  temporary_password: "The temporary password and what to do with it, when mails carry one",
  expires: "The date the link or temporary password expires",
  organisation: "Your organisation's name (Settings → Mail)",
  summary: "What the bulk import did: created, updated, deleted, unchanged, failed",
};

const PREVIEW_DELAY_MS = 300;
/** The parts of a template, as the core names its fields. */
const PARTS = ["subject", "text", "html"];

/**
 * @param {HTMLElement} root
 * @returns {{ready: Promise<void>, destroy(): void}}
 */
export function startMailTemplatesView(root) {
  const view = new MailTemplatesView(root);
  return { ready: view.load(), destroy: () => view.destroy() };
}

class MailTemplatesView {
  #previewId = 0;

  constructor(root) {
    this.root = root;
    /** kind → the template as stored (MailTemplateView) */
    this.saved = new Map();
    /** kind → {subject, text, html} typed but not saved */
    this.drafts = new Map();
    this.kind = "activation";
    this.busy = false;
    this.lastPart = "text";

    this.kindSelect = el("select", { id: "template-kind", class: "select", on: { change: () => this.#switchKind(this.kindSelect.value) } });
    this.state = el("p", { id: "template-state", class: "view-header__meta", role: "status" });
    this.fields = new Map([
      ["subject", createField({ id: "template-subject", label: "Subject", required: true, attrs: { spellcheck: "true" } })],
      ["text", createField({ id: "template-text", label: "Plain text", type: "textarea", required: true, hint: "What every mail program can show.", attrs: { rows: "11", spellcheck: "true" } })],
      ["html", createField({ id: "template-html", label: "HTML", type: "textarea", hint: "Optional. Mail programs that show HTML show this instead of the plain text.", attrs: { rows: "8", spellcheck: "false", class: "input textarea textarea--code" } })],
    ]);
    for (const [part, field] of this.fields) {
      field.control.addEventListener("input", () => this.#edited());
      field.control.addEventListener("focus", () => { this.lastPart = part; });
    }
    this.summary = new ErrorSummary(el("div", { id: "template-errors" }));
    this.placeholders = el("ul", { id: "template-placeholders", class: "placeholder-list" });
    this.save = el("button", { id: "template-save", type: "submit", class: "button", text: "Save" });
    this.reset = el("button", { id: "template-reset", type: "button", class: "button button--secondary", text: "Reset to default", on: { click: () => this.#confirmReset() } });
    this.form = el("form", { id: "template-form", class: "panel template-editor", novalidate: true, "aria-labelledby": "template-form-title", on: { submit: (e) => this.#save(e) } },
      el("h2", { id: "template-form-title", class: "panel__title" }),
      this.summary.root,
      this.fields.get("subject").root,
      this.fields.get("text").root,
      this.fields.get("html").root,
      el("div", { class: "placeholders" },
        el("h3", { id: "template-placeholders-title", class: "placeholders__title", text: "Placeholders" }),
        el("p", { id: "template-placeholders-hint", class: "field__hint", text: "Each is filled in when the mail is sent. Choose one to insert it where the cursor was." }),
        this.placeholders),
      el("div", { class: "button-row" }, this.save, this.reset));

    // The preview: the shell fills the template in as the recipient would see it.
    this.previewUser = createField({ id: "template-preview-user", label: "Preview for", hint: "A username; blank: a sample user", attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "none" } });
    this.previewUser.control.addEventListener("input", () => this.#schedulePreview());
    this.previewStatus = el("div", { id: "template-preview-status", class: "preview-status", role: "status", "aria-live": "polite" });
    this.previewTo = el("dd", { id: "preview-to" });
    this.previewSubject = el("dd", { id: "preview-subject" });
    this.previewHtml = el("iframe", { id: "preview-html", class: "preview-html", sandbox: "", title: "The HTML part, as a mail program shows it", referrerpolicy: "no-referrer" });
    this.previewText = el("pre", { id: "preview-text", class: "preview-text", tabindex: "0", "aria-label": "The plain text part" });
    this.preview = el("section", { id: "template-preview", class: "panel template-preview", "aria-labelledby": "template-preview-title", "aria-busy": "false" },
      el("h2", { id: "template-preview-title", class: "panel__title", text: "Preview" }),
      this.previewUser.root,
      this.previewStatus,
      el("dl", { class: "preview-head" },
        el("div", { class: "preview-head__row" }, el("dt", { text: "To" }), this.previewTo),
        el("div", { class: "preview-head__row" }, el("dt", { text: "Subject" }), this.previewSubject)),
      el("h3", { class: "preview-part", text: "HTML" }),
      this.previewHtml,
      el("h3", { class: "preview-part", text: "Plain text" }),
      this.previewText);
    this.schedulePreview = debounce(() => this.#renderPreview(), PREVIEW_DELAY_MS);

    replaceChildren(root,
      el("div", { class: "view-header" },
        el("h1", { class: "view-title", tabindex: "-1", text: "Mail templates" }),
        this.state),
      el("p", { class: "view-intro", text: "What Roster's mails say. Placeholders in braces, like {first_name}, are filled in for each user when a mail is sent." }),
      el("div", { class: "toolbar" },
        el("div", { class: "toolbar__item" },
          el("label", { class: "toolbar__label", for: "template-kind", text: "Mail" }),
          this.kindSelect)),
      el("div", { class: "template-layout" }, this.form, this.preview));
  }

  destroy() {
    this.schedulePreview.cancel();
    this.#previewId += 1;
  }

  async load() {
    this.form.setAttribute("aria-busy", "true");
    try {
      for (const t of await mailTemplates()) this.saved.set(t.kind, t);
      this.#renderKinds();
      this.#show(this.kind);
    } catch (error) {
      this.summary.showMessage(error.message);
    } finally {
      this.form.setAttribute("aria-busy", "false");
    }
  }

  /** The template as the fields hold it now. */
  #input() {
    const input = { kind: this.kind };
    for (const part of PARTS) input[part] = this.fields.get(part).value;
    return input;
  }

  #dirty(kind) {
    const draft = this.drafts.get(kind);
    const saved = this.saved.get(kind);
    return Boolean(draft && saved && PARTS.some((p) => draft[p] !== saved[p]));
  }

  /** The select's options say which mails are edited, or have changes not saved. */
  #renderKinds() {
    const label = (kind) => {
      const note = this.#dirty(kind) ? " (not saved)" : this.saved.get(kind)?.edited ? " (edited)" : "";
      return `${KINDS[kind] ?? kind}${note}`;
    };
    if (!this.kindSelect.options.length) {
      for (const kind of this.saved.keys()) this.kindSelect.append(el("option", { value: kind }));
    }
    for (const option of this.kindSelect.options) option.textContent = label(option.value);
    this.kindSelect.value = this.kind;
  }

  #switchKind(kind) {
    if (this.busy) {
      this.kindSelect.value = this.kind;
      return;
    }
    this.#keepDraft();
    this.#show(kind);
  }

  #keepDraft() {
    if (!this.saved.has(this.kind)) return;
    const input = this.#input();
    const saved = this.saved.get(this.kind);
    if (PARTS.some((p) => input[p] !== saved[p])) this.drafts.set(this.kind, input);
    else this.drafts.delete(this.kind);
  }

  /** Shows `kind`: its draft if it has one, else the stored template. */
  #show(kind) {
    this.kind = kind;
    const saved = this.saved.get(kind);
    if (!saved) return;
    const shown = this.drafts.get(kind) ?? saved;
    for (const part of PARTS) this.fields.get(part).value = shown[part];
    this.#clearErrors();
    this.form.querySelector("#template-form-title").textContent = `${KINDS[kind] ?? kind} mail`;
    replaceChildren(this.placeholders, saved.placeholders.map((name) => el("li", { class: "placeholder-list__item" },
      el("button", {
        type: "button", class: "button button--secondary button--small placeholder", dataset: { placeholder: name },
        "aria-describedby": `placeholder-${name}-hint`, on: { click: () => this.#insert(name) },
      }, el("code", { text: `{${name}}` })),
      el("span", { id: `placeholder-${name}-hint`, class: "placeholder-list__hint", text: PLACEHOLDERS[name] ?? "" }))));
    this.#renderState();
    this.schedulePreview.cancel();
    this.#renderPreview();
  }

  #renderState() {
    const saved = this.saved.get(this.kind);
    const dirty = this.#dirty(this.kind) || (saved && PARTS.some((p) => this.fields.get(p).value !== saved[p]));
    this.state.textContent = dirty ? "Changes not saved" : saved?.edited ? "Edited: not Roster's default" : "Roster's default";
    this.reset.title = !dirty && !saved?.edited ? "This is Roster's default already" : "";
    this.reset.setAttribute("aria-disabled", String(this.busy || (!dirty && !saved?.edited)));
  }

  #edited() {
    this.#renderState();
    this.#schedulePreview();
  }

  #schedulePreview() {
    this.preview.setAttribute("aria-busy", "true");
    this.schedulePreview();
  }

  /** Inserts `{name}` where the cursor was in the field last used (the plain text at first). */
  #insert(name) {
    const control = this.fields.get(this.lastPart).control;
    const token = `{${name}}`;
    const start = control.selectionStart ?? control.value.length;
    const end = control.selectionEnd ?? start;
    control.setRangeText(token, start, end, "end");
    control.focus();
    control.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** Asks the shell for the preview of what the fields hold; an answer to an older question is dropped. */
  async #renderPreview() {
    const id = ++this.#previewId;
    this.preview.setAttribute("aria-busy", "true");
    try {
      const shown = await mailPreview(this.#input(), this.previewUser.value.trim() || null);
      if (id !== this.#previewId) return;
      this.previewStatus.replaceChildren();
      this.preview.classList.remove("template-preview--stale");
      this.previewTo.textContent = shown.to;
      this.previewSubject.textContent = shown.subject;
      this.previewHtml.srcdoc = previewDocument(shown.html);
      this.previewText.textContent = shown.text;
    } catch (error) {
      if (id !== this.#previewId) return;
      // Shown beside the preview without taking focus: the admin is typing. Save shows the summary.
      this.preview.classList.add("template-preview--stale");
      const problems = error.fields ?? [];
      replaceChildren(this.previewStatus, el("div", { class: "banner banner--warning" },
        el("p", { class: "strong", text: problems.length ? "The preview waits for these to be fixed:" : "The preview cannot be shown:" }),
        problems.length
          ? el("ul", { class: "notice-list" }, problems.map((p) => el("li", {}, this.fields.has(p.field)
            ? el("a", { href: `#${this.fields.get(p.field).control.id}`, dataset: { field: p.field }, text: p.message, on: { click: (e) => this.#goTo(e, p.field) } })
            : p.message)))
          : el("p", { text: error.message })));
    } finally {
      if (id === this.#previewId) this.preview.setAttribute("aria-busy", "false");
    }
  }

  /** A link to a field moves focus there (the router owns the URL hash). */
  #goTo(event, part) {
    event.preventDefault();
    this.fields.get(part).control.focus();
  }

  #clearErrors() {
    this.summary.clear();
    for (const f of this.fields.values()) f.clearError();
  }

  async #save(event) {
    event.preventDefault();
    if (this.busy) return;
    this.#clearErrors();
    this.#setBusy(true);
    try {
      const saved = await mailTemplateSave(this.#input());
      this.saved.set(saved.kind, saved);
      this.drafts.delete(saved.kind);
      this.#show(saved.kind);
      this.#renderKinds();
      announce(`Saved the ${(KINDS[saved.kind] ?? saved.kind).toLowerCase()} mail template`);
    } catch (error) {
      showApiError(this.summary, this.fields, error);
    } finally {
      this.#setBusy(false);
    }
  }

  #confirmReset() {
    if (this.busy || this.reset.getAttribute("aria-disabled") === "true") return;
    const name = (KINDS[this.kind] ?? this.kind).toLowerCase();
    const kind = this.kind;
    openDialog({
      title: `Reset the ${name} mail to Roster's default?`,
      body: el("p", { text: `Its subject, plain text and HTML are replaced by the text Roster started with. Your changes to it are lost.` }),
      submitLabel: "Reset to default",
      returnFocus: () => this.reset,
      onSubmit: async (dialog) => {
        const template = await dialog.run(() => mailTemplateReset(kind));
        if (!template) return;
        dialog.close();
        this.saved.set(template.kind, template);
        this.drafts.delete(template.kind);
        this.#show(template.kind);
        this.#renderKinds();
        announce(`The ${name} mail is Roster's default again`);
      },
    });
  }

  #setBusy(busy) {
    this.busy = busy;
    this.form.setAttribute("aria-busy", String(busy));
    this.save.setAttribute("aria-disabled", String(busy));
    this.#renderState();
  }
}

/**
 * The HTML part as a document of its own for the sandboxed frame: no scripts run there (sandbox
 * without allow-scripts) and it cannot reach the app; a small stylesheet of the app's own files
 * gives it the look of a plain mail.
 */
function previewDocument(html) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="css/mail-preview.css"></head><body>${html}</body></html>`;
}
