// The day's headcount on the personnel tab (ECharts): people underground per snapshot against the mine's
// single-shift limit, and the busiest areas (faces with their limits). Data and labels come from the page.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("headcount-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(document.getElementById("headcount-data").textContent);
  var colors = ["#1a7f37", "#b45309", "#6d28d9", "#0e7490", "#be185d", "#4d7c0f"];
  var total = {type: "line", name: el.dataset.totalLabel, step: "end", showSymbol: false, data: d.total,
               lineStyle: {width: 2}, itemStyle: {color: "#1d5fa8"}};
  var peak = Math.max.apply(null, d.total.map(function (v) { return v[1]; }));
  // the limit is drawn once the day comes within half of it; far below, it would flatten the curve
  var showLimit = d.limit !== null && peak >= d.limit / 2;
  if (showLimit) {
    total.markLine = {symbol: "none", silent: true, lineStyle: {color: "#c0392b", type: "dashed"},
                      label: {position: "insideEndTop", formatter: el.dataset.limitLabel + " " + d.limit},
                      data: [{yAxis: d.limit}]};
  }
  var series = [total];
  d.areas.forEach(function (a, i) {
    var s = {type: "line", name: a.name, step: "end", showSymbol: false, data: a.values, lineStyle: {width: 1.2},
             itemStyle: {color: colors[i % colors.length]}};
    if (a.limit !== null) {
      s.markLine = {symbol: "none", silent: true, lineStyle: {color: colors[i % colors.length], type: "dotted"},
                    label: {position: "insideStartTop", formatter: a.name + " " + el.dataset.faceLimitLabel + " " + a.limit},
                    data: [{yAxis: a.limit}]};
    }
    series.push(s);
  });
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, tooltip: {trigger: "axis"},
    legend: {top: 0, data: series.map(function (s) { return s.name; })},
    grid: {left: 50, right: 30, top: 40, bottom: 40},
    xAxis: {type: "time", min: d.start, max: d.end, axisLabel: {formatter: "{HH}:{mm}"}},
    yAxis: {type: "value", minInterval: 1,
            max: function (v) { return showLimit ? Math.max(v.max, Math.ceil(d.limit * 1.1)) : v.max; }},
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
