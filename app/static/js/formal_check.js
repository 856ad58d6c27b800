// Formal check table: a box that selects every entry of the page.
// Without this file the boxes are simply ticked one by one.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-select-all]").forEach((master) => {
    const name = master.dataset.selectAll;
    const boxes = () => Array.from(master.form.querySelectorAll("input[type=checkbox]")).filter((box) => box.name === name);
    const sync = () => {
      const all = boxes();
      const checked = all.filter((box) => box.checked).length;
      master.checked = all.length > 0 && checked === all.length;
      master.indeterminate = checked > 0 && checked < all.length;
    };
    master.hidden = false;
    master.addEventListener("change", () => {
      boxes().forEach((box) => { box.checked = master.checked; });
      sync();
    });
    master.form.addEventListener("change", (event) => {
      if (event.target.name === name) sync();
    });
    sync();
  });
});
