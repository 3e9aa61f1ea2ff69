// The alarm's point curve (ECharts); its data and labels come from the page (json_script, data-*).
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("alarm-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(document.getElementById("chart-data").textContent);
  var series = {type: "line", name: d.point_code, showSymbol: false, data: d.values, lineStyle: {width: 1.5},
                itemStyle: {color: "#1d5fa8"},
                markArea: {silent: true, itemStyle: {color: "rgba(192,57,43,0.10)"},
                           data: [[{name: el.dataset.alarmLabel, xAxis: d.alarm_start}, {xAxis: d.alarm_end}]]}};
  if (d.threshold !== null) {
    series.markLine = {symbol: "none", silent: true, lineStyle: {color: "#c0392b", type: "dashed"},
                       label: {position: "insideEndTop", formatter: d.threshold_label + " " + d.threshold + (d.unit || "")},
                       data: [{yAxis: d.threshold}]};
  }
  var yAxes = [{type: "value", name: d.unit, scale: true,
                max: function (v) { return d.threshold !== null ? Math.max(v.max, d.threshold * 1.1) : v.max; }}];
  var all = [series];
  var colors = ["#1a7f37", "#b45309", "#6d28d9", "#0e7490"];
  if (d.switches.length) {
    // a switch point is 0/1: its own axis on the right, drawn as steps
    yAxes.push({type: "value", name: d.switch_axis, min: 0, max: 1, interval: 1, position: "right",
                splitLine: {show: false}, axisLabel: {formatter: function (v) { return v === 1 ? el.dataset.onLabel : el.dataset.offLabel; }}});
    d.switches.forEach(function (s, i) {
      all.push({type: "line", name: s.name, yAxisIndex: 1, step: "end", showSymbol: false, data: s.values,
                lineStyle: {width: 1.5}, itemStyle: {color: colors[i % colors.length]}});
    });
  }
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, tooltip: {trigger: "axis"},
    legend: d.switches.length ? {top: 0, data: all.map(function (s) { return s.name; })} : undefined,
    grid: {left: 60, right: d.switches.length ? 90 : 40, top: d.switches.length ? 50 : 30, bottom: 40},
    xAxis: {type: "time", min: d.start, max: d.end},
    yAxis: yAxes,
    series: all
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
