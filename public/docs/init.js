// Starts Swagger UI on /docs. A file, not an inline script, so the page's Content-Security-Policy
// can allow scripts from this origin only.
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true })
