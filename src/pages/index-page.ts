import type { FastifyRequest } from 'fastify';
import { html, page } from '../http/html.js';

/** The home page: a tile for every link of the navigation (the registry's resources first), then the problem types. */
export function indexPage(request: FastifyRequest): string {
  return page(request, {
    title: 'Boutique',
    body: html`<p class="lead">One server, both ways of talking: a REST API answers when asked, a WebSocket pushes the moment something changes.</p>
<section class="tiles">
  ${request.server.navigation.map((link) => html`<a class="tile" href="${link.href}"><h2>${link.label}</h2><p>${link.description}</p></a>`)}
  <a class="tile" href="/problems"><h2>Problem types</h2><p>Every error the API can answer, as RFC 9457 problem details.</p></a>
</section>
<h2>Try it from a terminal</h2>
<pre>curl -i -H 'Accept: application/json' http://HOST/customers
curl -i -X POST http://HOST/customers -H 'Content-Type: application/json' \\
  -d '{"customer": {"name": "Scylla Buss", "email": "scylla.buss@codecademy.org"}}'
curl -N http://HOST/events</pre>`,
  });
}
