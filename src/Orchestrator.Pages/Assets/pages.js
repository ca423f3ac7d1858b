// Draws what the server wrote: each <figure class="chart"> from its Vega-Lite spec (vega-embed, as SVG), each journey
// map from its Mermaid text. The numbers are all in the page already (the tables); this only draws them. A served page
// with data-refresh-seconds fetches itself again and swaps <main>, so the map moves as customers do.
(function () {
  "use strict";
  var mapCount = 0;

  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral", flowchart: { useMaxWidth: true } });

  function fail(element, error) {
    var note = document.createElement("p");
    note.className = "render-error";
    note.textContent = "could not draw this: " + (error && error.message ? error.message : error);
    element.appendChild(note);
    console.error(error);
  }

  async function draw(root) {
    var jobs = [];
    root.querySelectorAll("figure.chart").forEach(function (figure) {
      var spec = JSON.parse(figure.querySelector("script.chart-spec").textContent);
      jobs.push(vegaEmbed(figure.querySelector(".chart-canvas"), spec, { renderer: "svg", actions: false })
        .catch(function (error) { fail(figure, error); throw error; }));
    });
    root.querySelectorAll("figure.map").forEach(function (figure) {
      var text = figure.querySelector(".map-source").textContent;
      jobs.push(mermaid.render("journey-map-" + (++mapCount), text)
        .then(function (result) { figure.querySelector(".map-canvas").innerHTML = result.svg; })
        .catch(function (error) { fail(figure, error); throw error; }));
    });
    var results = await Promise.allSettled(jobs);
    var failed = results.filter(function (r) { return r.status === "rejected"; }).length;
    document.body.dataset.rendered = failed === 0 ? "true" : "failed";
    document.body.dataset.renderedAt = new Date().toISOString();
  }

  async function refresh() {
    // A tab nobody looks at costs the worker nothing: it catches up when shown again.
    if (document.hidden) return;
    try {
      var response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) return;
      var next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
      var current = document.querySelector("main");
      if (!next || !current) return;
      current.replaceWith(next);
      await draw(next);
    } catch (error) {
      console.warn("refresh failed, trying again later", error);
    }
  }

  draw(document).then(function () {
    var seconds = Number(document.body.dataset.refreshSeconds || 0);
    if (seconds > 0) {
      setInterval(refresh, seconds * 1000);
      document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
    }
  });
})();
