// "Add another quote" in place: without this file the button submits the form,
// which comes back with one more quote form (testimony.views.CaseEntryView).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("add-quote");
  const template = document.getElementById("quote-empty-form");
  const total = document.getElementById("id_quotes-TOTAL_FORMS");
  const forms = document.getElementById("quote-forms");
  if (!button || !template || !total || !forms) return;
  button.addEventListener("click", (event) => {
    event.preventDefault();
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index)).replace("__number__", String(index + 1));
    forms.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    forms.lastElementChild.querySelector("textarea, input, select").focus();
  });
  const errors = document.getElementById("entry-errors");
  if (errors) errors.focus();
});
