// The menu editor's phone preview follows the buttons' rows as they are edited.
// Without JavaScript the server renders the same preview of the saved menu.
"use strict";
(function () {
  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function readRows() {
    const columns = {};
    document.querySelectorAll(".wechat-buttons tr.form-row:not(.empty-form)").forEach((row) => {
      const remove = field(row, "DELETE");
      const column = field(row, "column");
      const name = field(row, "name");
      if (!column || !name || !column.value || (remove && remove.checked)) {
        return;
      }
      const place = Number(field(row, "row") ? field(row, "row").value || 0 : 0);
      (columns[column.value] = columns[column.value] || []).push({ row: place, name: name.value });
    });
    return Object.keys(columns)
      .sort()
      .map((key) => {
        const rows = columns[key].sort((a, b) => a.row - b.row);
        const top = rows.find((r) => r.row === 0);
        return top ? { name: top.name, subs: rows.filter((r) => r.row > 0).map((r) => r.name) } : null;
      })
      .filter(Boolean);
  }

  function render(phone, buttons) {
    const bar = phone.querySelector(".wechat-phone-bar");
    bar.querySelectorAll(".wechat-phone-column, .wechat-phone-empty").forEach((el) => el.remove());
    buttons.forEach((button) => {
      const column = document.createElement("div");
      column.className = "wechat-phone-column";
      if (button.subs.length) {
        const list = document.createElement("ul");
        list.className = "wechat-phone-subs";
        button.subs.forEach((name) => {
          const item = document.createElement("li");
          item.textContent = name;
          list.appendChild(item);
        });
        column.appendChild(list);
      }
      const label = document.createElement("span");
      label.className = "wechat-phone-button";
      label.textContent = (button.subs.length ? "≡ " : "") + button.name;
      column.appendChild(label);
      bar.appendChild(column);
    });
    if (!buttons.length) {
      const empty = document.createElement("div");
      empty.className = "wechat-phone-empty";
      empty.textContent = phone.dataset.empty || "—";
      bar.appendChild(empty);
    }
  }

  function update() {
    const phone = document.getElementById("wechat-menu-phone");
    if (phone) {
      render(phone, readRows());
    }
  }

  document.addEventListener("input", update);
  document.addEventListener("change", update);
  document.addEventListener("formset:added", update);
  document.addEventListener("formset:removed", update);
  document.addEventListener("DOMContentLoaded", () => {
    const phone = document.getElementById("wechat-menu-phone");
    const empty = phone && phone.querySelector(".wechat-phone-empty");
    if (empty) {
      phone.dataset.empty = empty.textContent;
    }
  });
})();
