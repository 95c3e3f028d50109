// Keyboard shortcuts of the detections page: c confirm, r reject, u unsure, n / j next row,
// p / k previous row. Ignored while typing in a field.
document.addEventListener("keydown", function (event) {
  const target = event.target;
  if (!document.getElementById("det-table")) { return; }
  if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) { return; }
  if (event.ctrlKey || event.metaKey || event.altKey) { return; }
  const buttons = { c: "det-confirm", r: "det-reject", u: "det-unsure", n: "det-next", j: "det-next", p: "det-previous", k: "det-previous" };
  const id = buttons[event.key.toLowerCase()];
  if (!id) { return; }
  const button = document.getElementById(id);
  if (button && !button.disabled) { event.preventDefault(); button.click(); }
});
