import { html, page } from '../http/html.js';

export function indexPage(): string {
  return page({
    title: 'Boutique',
    body: html`<p class="lead">One server, both ways of talking: a REST API answers when asked, a WebSocket pushes the moment something changes.</p>
<section class="tiles">
  <a class="tile" href="/customers"><h2>Customers</h2><p>The REST API, browsable: GET, POST, PUT, PATCH, DELETE with forms.</p></a>
  <a class="tile" href="/orders"><h2>Orders</h2><p>Every order, filterable by status, searchable by SKU.</p></a>
  <a class="tile" href="/dashboard"><h2>Dashboard</h2><p>Tables that update live, with the HTTP log and the socket log side by side.</p></a>
  <a class="tile" href="/chat"><h2>Chat</h2><p>The seed's WebSocket chat: rooms, history, reconnects without losing a line.</p></a>
  <a class="tile" href="/openapi.json"><h2>OpenAPI</h2><p>The API description, generated from the schemas that validate requests.</p></a>
  <a class="tile" href="/problems"><h2>Problem types</h2><p>Every error the API can answer, as RFC 9457 problem details.</p></a>
</section>
<h2>Try it from a terminal</h2>
<pre>curl -i -H 'Accept: application/json' http://HOST/customers
curl -i -X POST http://HOST/customers -H 'Content-Type: application/json' \\
  -d '{"customer": {"name": "Scylla Buss", "email": "scylla.buss@codecademy.org"}}'
curl -N http://HOST/events</pre>`,
  });
}
