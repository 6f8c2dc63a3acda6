/* ledgerlab: a minimal, offline stand-in for bootstrap-table (no PyPI package ships it).
 * Great Expectations' Data Docs index builds its tables with
 * $(el).bootstrapTable({columns, data, rowAttributes, sortName, sortOrder, search}).
 * This renders the same rows (cells are GX's own HTML), sorts them, makes rows
 * clickable and adds a text filter. Method calls ('resetSearch', ...) are no-ops. */
(function ($) {
  "use strict";
  function fn(name) { return typeof name === "function" ? name : window[name]; }
  $.fn.bootstrapTable = function (options) {
    if (typeof options === "string" || !options) { return this; }
    return this.each(function () {
      var $table = $(this).empty();
      var columns = options.columns || [];
      var rows = (options.data || []).slice();
      var sortField = options.sortName;
      if (sortField) {
        var column = columns.filter(function (c) { return c.field === sortField; })[0];
        var key = (column && column.sortName) || sortField;
        var sign = options.sortOrder === "desc" ? -1 : 1;
        rows.sort(function (a, b) { return a[key] > b[key] ? sign : a[key] < b[key] ? -sign : 0; });
      }
      var $head = $("<tr>");
      columns.forEach(function (c) { $("<th>").text(c.title || c.field).appendTo($head); });
      $("<thead>").append($head).appendTo($table);
      var $body = $("<tbody>").appendTo($table);
      var attributes = fn(options.rowAttributes);
      rows.forEach(function (row, index) {
        var $row = $("<tr>");
        if (attributes) {
          var attrs = attributes(row, index) || {};
          Object.keys(attrs).forEach(function (k) { $row.attr(k, attrs[k]); });
          if (attrs["data-href"]) {
            $row.css("cursor", "pointer").on("click", function () { window.location = attrs["data-href"]; });
          }
        }
        columns.forEach(function (c) { $("<td>").html(row[c.field] == null ? "" : row[c.field]).appendTo($row); });
        $body.append($row);
      });
      if (options.search && String(options.search) !== "false") {
        var $input = $('<input type="search" class="form-control form-control-sm mb-2" placeholder="Filter">');
        $input.on("input", function () {
          var needle = $input.val().toLowerCase();
          $body.children("tr").each(function () {
            $(this).toggle($(this).text().toLowerCase().indexOf(needle) !== -1);
          });
        });
        $table.before($input);
      }
    });
  };
})(jQuery);
