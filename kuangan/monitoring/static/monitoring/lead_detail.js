// The evidence chart of a lead (ECharts): a hidden working face's qualifying days in its window, or a suspended
// mine's daily power use against its baseline. Data and labels come from the page (json_script).
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("lead-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(document.getElementById("lead-chart-data").textContent);
  var option;
  function line(value, label, color) {
    return {yAxis: value, label: {position: "insideEndTop", formatter: label + " " + value}, lineStyle: {color: color}};
  }
  if (d.kind === "days") {
    option = {
      xAxis: {type: "category", data: d.days},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", name: d.label, data: d.values, itemStyle: {color: "#b42318"},
                markLine: d.threshold === null ? undefined : {symbol: "none", silent: true, lineStyle: {type: "dashed"},
                                                                data: [line(d.threshold, d.threshold_label, "#1d5fa8")]}}]
    };
  } else {
    var days = d.values.map(function (v) { return v[0]; });
    var data = d.values.map(function (v) {
      return {value: v[1], itemStyle: {color: v[0] === d.day ? "#b42318" : (v[1] > d.limit ? "#b45309" : "#1d5fa8")}};
    });
    option = {
      xAxis: {type: "category", data: days},
      yAxis: {type: "value"},
      series: [{type: "bar", name: d.label, data: data,
                markLine: {symbol: "none", silent: true, lineStyle: {type: "dashed"},
                           data: [line(d.baseline, d.baseline_label, "#1a7f37"), line(d.limit, d.limit_label, "#b42318")]}}]
    };
  }
  option.animation = false;
  option.tooltip = {trigger: "axis"};
  option.grid = {left: 60, right: 40, top: 30, bottom: 40};
  var chart = echarts.init(el);
  chart.setOption(option);
  window.addEventListener("resize", function () { chart.resize(); });
});
