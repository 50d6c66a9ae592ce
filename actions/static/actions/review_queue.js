// The review queue: one box ticks or clears every update on this page. Without this script the
// box stays hidden and each update is ticked on its own; "all matching" is decided on the server.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-page");
  if (!all) return;
  const boxes = () => Array.from(document.querySelectorAll("input.select-update"));
  const reflect = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    reflect();
  });
  for (const box of boxes()) box.addEventListener("change", reflect);
  reflect();
});
