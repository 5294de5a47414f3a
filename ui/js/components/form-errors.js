// Shows a failed command's error on a small form (create a group, define an attribute, rename):
// the core's field messages inline and in the error summary, linked to their fields; anything
// else as one message. The UI decides nothing about validity, it only places the messages.

/**
 * @param {import("./error-summary.js").ErrorSummary} summary
 * @param {Map<string, ReturnType<typeof import("./form-field.js").createField>>} fields
 *        field name as the core names it (`name`, `type`) → the form's field
 * @param {{code: string, message: string, fields?: {field: string, message: string}[]}} error
 */
export function showApiError(summary, fields, error) {
  let problems = error.fields ?? [];
  // "A group named Sales exists already" comes without a field, but it is about the name: link it
  // there so the admin lands where the fix is.
  if (!problems.length && error.code === "conflict" && fields.has("name")) {
    problems = [{ field: "name", message: error.message }];
  }
  const byField = new Map();
  for (const { field, message } of problems) byField.set(field, [...(byField.get(field) ?? []), message]);
  for (const [name, messages] of byField) fields.get(name)?.setError(messages);
  if (problems.length) summary.showFields(problems, (name) => fields.get(name)?.control.id ?? "", error.message);
  else summary.showMessage(error.message);
}
