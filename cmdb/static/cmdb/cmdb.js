// CMDB pages. The graph is drawn by Cytoscape (vendored, see vendor/cytoscape/LICENSE) from the
// impact JSON endpoint; the same result is listed in a table for keyboards and screen readers.
(function () {
  "use strict";

  // The CI form: choosing another class reloads the form with that class's attributes.
  document.addEventListener("change", (event) => {
    if (event.target.matches("#ci-form select[name=ci_class]")) {
      const reload = document.querySelector("[data-reload-class]");
      if (reload) reload.click();
    }
  });

  function drawGraph(container) {
    if (typeof window.cytoscape !== "function") return;
    fetch(container.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((data) => {
        const root = String(data.root);
        const elements = [];
        data.nodes.forEach((node) => {
          elements.push({
            data: {
              id: String(node.id),
              label: node.name + "\n" + node["class"],
              url: node.url,
              kind: String(node.id) === root ? "root" : node.business_service ? "service" : "other",
              retired: node.status === "retired" ? "yes" : "no",
            },
          });
        });
        data.edges.forEach((edge, index) => {
          elements.push({
            data: { id: "e" + index, source: String(edge.source), target: String(edge.target), label: edge.type.replace("_", " ") },
          });
        });
        const rtl = document.documentElement.dir === "rtl";
        const graph = window.cytoscape({
          container: container,
          elements: elements,
          wheelSensitivity: 0.3,
          layout: {
            name: "breadthfirst",
            directed: false,
            roots: [root],
            spacingFactor: 1.1,
            padding: 20,
            transform: (node, position) => (rtl ? { x: -position.x, y: position.y } : position),
          },
          style: [
            { selector: "node", style: {
              label: "data(label)", "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 4,
              "font-size": 10, "background-color": "#7b8ba3", width: 22, height: 22, color: "#1c2430" } },
            { selector: "node[kind = 'root']", style: { "background-color": "#1f5fbf", width: 32, height: 32, shape: "diamond" } },
            { selector: "node[kind = 'service']", style: { "background-color": "#a32020", shape: "round-rectangle", width: 30 } },
            { selector: "node[retired = 'yes']", style: { opacity: 0.45 } },
            { selector: "edge", style: {
              width: 1.5, "line-color": "#b6c2d2", "target-arrow-color": "#b6c2d2",
              "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)",
              "font-size": 8, color: "#5b6676", "text-rotation": "autorotate" } },
          ],
        });
        graph.on("tap", "node", (event) => {
          const url = event.target.data("url");
          if (url) window.location.href = url;
        });
        container.dataset.ready = String(data.nodes.length);
      })
      .catch(() => {
        container.textContent = container.dataset.error || "";
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("#impact-graph").forEach(drawGraph);
  });
})();
