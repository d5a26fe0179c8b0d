import { html, page } from '../../http/html.js';
import { csvRows, type View } from '../../http/representation.js';
import { pager, searchBox, type ListPage } from '../../http/list-page.js';
import type { Customer } from './schema.js';

const CSV_HEADER = ['id', 'name', 'email', 'createdAt', 'updatedAt'] as const;
const csvRow = (c: Customer) => [c.id, c.name, c.email, c.createdAt, c.updatedAt];

export const customerView: View<Customer> = {
  html: (c, request) =>
    page(request, {
      title: c.name,
      crumbs: [['Customers', '/customers'], [c.name, `/customers/${c.id}`]],
      path: `/customers/${c.id}`,
      body: html`<dl class="record">
  <dt>id</dt><dd>${c.id}</dd>
  <dt>name</dt><dd>${c.name}</dd>
  <dt>email</dt><dd><a href="mailto:${c.email}">${c.email}</a></dd>
  <dt>created</dt><dd><time>${c.createdAt}</time></dd>
  <dt>updated</dt><dd><time>${c.updatedAt}</time></dd>
</dl>
<p><a class="button" href="/customers/${c.id}/orders">Orders of ${c.name} →</a></p>
<section class="forms">
  <form class="card" data-method="PUT" action="/customers/${c.id}">
    <h2>Edit</h2>
    <label>Name <input name="name" value="${c.name}" required maxlength="200"></label>
    <label>Email <input name="email" type="email" value="${c.email}" required></label>
    <button>Save (PUT)</button>
  </form>
  <form class="card danger" data-method="DELETE" data-confirm="Delete ${c.name} and all their orders?" action="/customers/${c.id}" data-then="/customers">
    <h2>Delete</h2>
    <p>Deletes the customer and every order of theirs.</p>
    <button>Delete (DELETE)</button>
  </form>
</section>`,
    }),
  text: (c) => `id: ${c.id}\nname: ${c.name}\nemail: ${c.email}\ncreatedAt: ${c.createdAt}\nupdatedAt: ${c.updatedAt}\n`,
  csv: (c) => csvRows(CSV_HEADER, [csvRow(c)]),
};

export const customerListView: View<ListPage<Customer>> = {
  html: (list, request) =>
    page(request, {
      title: 'Customers',
      crumbs: [['Customers', '/customers']],
      path: '/customers',
      body: html`${searchBox(request, 'Search names and emails')}
<table class="grid">
  <thead><tr><th>id</th><th>name</th><th>email</th><th>created</th><th></th></tr></thead>
  <tbody>${list.items.map(
    (c) => html`<tr><td><a href="/customers/${c.id}">${c.id}</a></td><td><a href="/customers/${c.id}">${c.name}</a></td><td>${c.email}</td><td><time>${c.createdAt}</time></td><td><a href="/customers/${c.id}/orders">orders</a></td></tr>`,
  )}</tbody>
</table>
${list.items.length === 0 ? html`<p class="empty">No customers match.</p>` : ''}
${pager(list, request)}
<form class="card" method="post" action="/customers">
  <h2>New customer</h2>
  <label>Name <input name="name" required maxlength="200" placeholder="Scylla Buss"></label>
  <label>Email <input name="email" type="email" required placeholder="scylla.buss@codecademy.org"></label>
  <button>Create (POST)</button>
</form>`,
    }),
  text: (list) =>
    list.items.map((c) => `${c.id}\t${c.name}\t${c.email}`).join('\n') + (list.items.length ? '\n' : '') + `# page ${list.page}, ${list.items.length} of ${list.total}\n`,
  csv: (list) => csvRows(CSV_HEADER, list.items.map(csvRow)),
};
