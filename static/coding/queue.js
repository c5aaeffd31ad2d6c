// Keyboard shortcuts of the coding queue (templates/coding/quote_coding.html):
// 1-9 tick a narrative, 0 "none applies", Enter save, n/p next/previous, ? help.
// The page works without them; keys typed into a text field are left alone.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest && target.closest("textarea, input[type=text], input[type=search], select")) return;
  const form = document.getElementById("coding-form");
  const follow = (id) => {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  };
  if (/^[1-9]$/.test(event.key)) {
    const box = form.querySelector(`input[data-key="${event.key}"]`);
    if (box) box.checked = !box.checked;
  } else if (event.key === "0") {
    form.querySelectorAll("input[name=narrative]").forEach((box) => { box.checked = false; });
    form.requestSubmit(document.getElementById("none-button"));
  } else if (event.key === "Enter") {
    form.requestSubmit(document.getElementById("save-button"));
  } else if (event.key === "n") {
    follow("next-link");
  } else if (event.key === "p") {
    follow("previous-link");
  } else if (event.key === "?") {
    const help = document.getElementById("shortcut-help");
    help.hidden = !help.hidden;
  } else {
    return;
  }
  event.preventDefault();
});
