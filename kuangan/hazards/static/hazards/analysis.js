document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  function bar(id, rows, horizontal) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    var names = rows.map(function (r) { return r[0]; }), values = rows.map(function (r) { return r[1]; });
    chart.setOption({
      animation: false, tooltip: {}, grid: {left: horizontal ? 150 : 40, right: 20, top: 10, bottom: 40},
      xAxis: horizontal ? {type: "value"} : {type: "category", data: names},
      yAxis: horizontal ? {type: "category", data: names.slice().reverse(), axisLabel: {width: 140, overflow: "truncate"}} : {type: "value"},
      series: [{type: "bar", data: horizontal ? values.slice().reverse() : values, itemStyle: {color: "#1d5fa8"}}]
    });
  }
  bar("chart-category", data.category.slice(0, 15), true);
  bar("chart-county", data.county, true);
  bar("chart-mine", data.mine.slice(0, 15), true);
  bar("chart-source", data.source, true);
  bar("chart-status", data.status, true);
  bar("chart-month", data.month, false);
});
