/* Draws each dashboard chart from its panel's JSON endpoint (the table beside it has the same
   numbers). Chart.js is vendored in static/vendor/chartjs with its licence. */
(function () {
  "use strict";
  var COLOURS = ["#1f5fbf", "#c0392b", "#2e8b57", "#e0661b", "#7b4fb0", "#8a6d00", "#3a8fb7"];
  var root = document.documentElement;
  // The tables beside the charts use Django's formats (Latin digits in Persian too): the charts
  // follow, so the two read the same.
  var locale = (root.lang || "en") + ((root.lang || "").indexOf("fa") === 0 ? "-u-nu-latn" : "");
  var rtl = root.dir === "rtl";
  window.dashboardCharts = {};

  function draw(canvas, data) {
    var spec = data.chart;
    var labels = {};
    data.columns.forEach(function (column) { labels[column.key] = column.label; });
    var datasets = spec.series.map(function (key, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: labels[key] || key,
        data: data.rows.map(function (row) { return row[key]; }),
        backgroundColor: spec.type === "line" ? colour + "33" : colour,
        borderColor: colour,
        borderWidth: spec.type === "line" ? 2 : 0,
        spanGaps: true,
        tension: 0.2
      };
    });
    var horizontal = !!spec.horizontal;
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      ticks: {
        callback: function (value) {
          return new Intl.NumberFormat(locale).format(value) + (spec.unit === "%" ? "%" : "");
        }
      }
    };
    if (spec.unit === "%" && !spec.stacked) { valueAxis.suggestedMax = 100; }
    var categoryAxis = { stacked: !!spec.stacked, reverse: rtl && !horizontal, ticks: { autoSkip: true } };
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: data.rows.map(function (row) { return row[spec.x]; }), datasets: datasets },
      options: {
        locale: locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal
          ? { x: valueAxis, y: Object.assign({}, categoryAxis, { position: rtl ? "right" : "left" }) }
          : { x: categoryAxis, y: Object.assign({}, valueAxis, { position: rtl ? "right" : "left" }) },
        plugins: {
          legend: { rtl: rtl, position: "bottom" },
          tooltip: { rtl: rtl }
        }
      }
    });
    window.dashboardCharts[data.key] = chart;
    canvas.dataset.rendered = "1";
  }

  function load(canvas) {
    fetch(canvas.dataset.chartSrc, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) { draw(canvas, data); })
      .catch(function () { canvas.closest("figure").hidden = true; });
  }

  function customDates() {
    var period = document.getElementById("id_period");
    if (!period) { return; }
    var toggle = function () {
      document.querySelectorAll(".dash-custom").forEach(function (field) {
        field.hidden = period.value !== "custom";
      });
    };
    period.addEventListener("change", toggle);
    toggle();
  }

  document.addEventListener("DOMContentLoaded", function () {
    customDates();
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart-src]").forEach(load);
  });
})();
