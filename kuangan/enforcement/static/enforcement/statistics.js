document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("chart-county");
  if (!el || !window.echarts || !data.county.length) return;
  var names = data.county.map(function (r) { return r[0]; });
  var series = [["检查次数", 1], ["现场时长（小时）", 2], ["查出重大隐患", 3], ["行政处罚（件）", 4]].map(function (s) {
    return {name: s[0], type: "bar", data: data.county.map(function (r) { return r[s[1]]; })};
  });
  echarts.init(el).setOption({
    animation: false, tooltip: {trigger: "axis"}, legend: {top: 0},
    grid: {left: 50, right: 20, top: 40, bottom: 40},
    xAxis: {type: "category", data: names}, yAxis: {type: "value"}, series: series
  });
});
