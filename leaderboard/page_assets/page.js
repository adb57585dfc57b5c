for (const table of document.querySelectorAll("table.sortable")) {
  const headers = table.querySelectorAll("thead th");
  headers.forEach((th, column) => {
    th.tabIndex = 0;
    const sort = () => {
      const descending = th.getAttribute("aria-sort") === "ascending";
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      const cell = (row) => row.cells[column];
      const empty = (row) => cell(row).classList.contains("empty");
      const key = (row) => "value" in cell(row).dataset
        ? Number(cell(row).dataset.value) : cell(row).textContent;
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        if (empty(a) || empty(b)) return empty(a) - empty(b);
        const x = key(a), y = key(b);
        const order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x).localeCompare(String(y));
        return descending ? -order : order;
      });
      body.append(...rows);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter") sort();
    });
  });
}
