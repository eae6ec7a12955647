// Starts Swagger UI on the service's OpenAPI document (see swagger-ui/README.md).
// A file, not an inline script: the docs page allows scripts from the service only.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
