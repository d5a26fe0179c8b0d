// The dashboard: the same data reached two ways. Tables load over HTTP (each call logged
// left), then stay current from events the server pushes over a WebSocket (logged right).
// Received text only ever goes through textContent.
(function () {
  'use strict';

  var customers = new Map(); // id → customer
  var orders = new Map(); // id → order
  var selected = null; // customer id whose orders the form adds to
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'className') node.className = props[k];
      else if (k.indexOf('on') === 0) node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function time() { return new Date().toLocaleTimeString([], { hour12: false }); }

  function pushLog(list, cells) {
    var li = el('li', { className: 'new' }, cells);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 300) list.removeChild(list.lastChild);
  }

  // ---- HTTP ---------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    var token = $('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    var started = performance.now();
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        var ms = performance.now() - started;
        pushLog($('http-log'), [
          el('span', { className: 't', text: time() }),
          el('span', { className: 'm', text: method }),
          el('span', { text: path }),
          el('span', { className: 's-' + String(res.status)[0], text: res.status + ' · ' + ms.toFixed(1) + ' ms' }),
        ]);
        var position = Number(res.headers.get('Boutique-Log-Position') || 0);
        if (res.status === 204) return { ok: true, status: 204, body: null, position: position };
        return res.json().then(function (json) { return { ok: res.ok, status: res.status, body: json, position: position }; });
      });
  }

  function showError(id, result) {
    var box = $(id);
    if (!result || result.ok) { box.hidden = true; return; }
    var p = result.body || {};
    box.hidden = false;
    box.textContent = result.status + ' ' + (p.title || '') + ': ' + (p.detail || '');
  }

  // ---- rendering ----------------------------------------------------------------------
  function money(cents) { return (cents / 100).toFixed(2); }

  function flash(row) { row.classList.remove('flash'); void row.offsetWidth; row.classList.add('flash'); }

  function ordersOf(customerId) {
    var n = 0;
    orders.forEach(function (o) { if (o.customerId === customerId) n++; });
    return n;
  }

  function renderCustomers(flashId) {
    var filter = $('filter').value.trim().toLowerCase();
    var body = $('customers').tBodies[0];
    body.textContent = '';
    var list = Array.from(customers.values()).sort(function (a, b) { return b.id - a.id; });
    list.forEach(function (c) {
      if (filter && (c.name + ' ' + c.email).toLowerCase().indexOf(filter) === -1) return;
      var row = el('tr', { 'data-id': String(c.id), className: c.id === selected ? 'selected' : '' }, [
        el('td', { text: String(c.id) }),
        el('td', { className: 'name', text: c.name }),
        el('td', { text: c.email }),
        el('td', { text: String(ordersOf(c.id)) }),
        el('td', {}, [el('div', { className: 'actions' }, [
          el('button', { className: 'small ghost', type: 'button', text: 'Rename', onclick: function (e) { e.stopPropagation(); rename(c); } }),
          el('button', { className: 'small danger', type: 'button', text: 'Delete', onclick: function (e) { e.stopPropagation(); removeCustomer(c); } }),
        ])]),
      ]);
      row.addEventListener('click', function () { select(c.id); });
      body.appendChild(row);
      if (c.id === flashId) flash(row);
    });
    $('customer-count').textContent = '(' + customers.size + ')';
  }

  function renderOrders(flashId) {
    var body = $('orders').tBodies[0];
    body.textContent = '';
    var list = Array.from(orders.values())
      .filter(function (o) { return selected === null || o.customerId === selected; })
      .sort(function (a, b) { return b.id - a.id; });
    list.forEach(function (o) {
      var next = { pending: ['paid', 'cancelled'], paid: ['shipped', 'cancelled'], shipped: [], cancelled: [] }[o.status] || [];
      var status = el('select', { className: 'status', 'aria-label': 'Status of order ' + o.id }, [o.status].concat(next).map(function (s) {
        var opt = el('option', { text: s });
        opt.value = s;
        return opt;
      }));
      status.disabled = next.length === 0;
      status.addEventListener('change', function () { changeStatus(o, status.value); });
      var row = el('tr', { 'data-order': String(o.id) }, [
        el('td', { text: String(o.id) }),
        el('td', { text: (customers.get(o.customerId) || { name: '#' + o.customerId }).name }),
        el('td', { text: o.items.map(function (i) { return i.sku + ' ×' + i.quantity; }).join(', ') }),
        el('td', { text: money(o.total) }),
        el('td', {}, [status]),
        el('td', {}, [el('button', { className: 'small danger', type: 'button', text: 'Delete', onclick: function () { removeOrder(o); } })]),
      ]);
      body.appendChild(row);
      if (o.id === flashId) flash(row);
    });
    $('order-count').textContent = '(' + list.length + ')';
    var c = selected === null ? null : customers.get(selected);
    $('orders-title').firstChild.textContent = c ? 'Orders of ' + c.name + ' ' : 'Orders ';
    $('new-order').hidden = c == null;
    $('order-hint').hidden = c != null;
    $('show-all-orders').hidden = selected === null;
  }

  function select(id) {
    selected = selected === id ? null : id;
    renderCustomers();
    renderOrders();
  }

  // ---- actions (all through the REST API) ------------------------------------------------
  function rename(c) {
    var name = window.prompt('New name for ' + c.name, c.name);
    if (name === null || name.trim() === '') return;
    api('PATCH', '/customers/' + c.id, { name: name.trim() }).then(function (r) { showError('customer-error', r); });
  }

  function removeCustomer(c) {
    if (!window.confirm('Delete ' + c.name + ' and their orders?')) return;
    api('DELETE', '/customers/' + c.id).then(function (r) { showError('customer-error', r); });
  }

  function changeStatus(o, status) {
    api('PATCH', '/customers/' + o.customerId + '/orders/' + o.id, { status: status }).then(function (r) {
      showError('order-error', r);
      if (!r.ok) renderOrders();
    });
  }

  function removeOrder(o) {
    api('DELETE', '/customers/' + o.customerId + '/orders/' + o.id).then(function (r) { showError('order-error', r); });
  }

  $('new-customer').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    api('POST', '/customers', { customer: { name: form.name.value.trim(), email: form.email.value.trim() } }).then(function (r) {
      showError('customer-error', r);
      if (r.ok) form.reset();
    });
  });

  $('new-order').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    if (selected === null) return;
    var item = { sku: form.sku.value.trim(), quantity: Number(form.quantity.value), unitPrice: Number(form.unitPrice.value) };
    api('POST', '/customers/' + selected + '/orders', { order: { items: [item] } }).then(function (r) {
      showError('order-error', r);
      if (r.ok) form.reset();
    });
  });

  $('filter').addEventListener('input', function () { renderCustomers(); });
  $('show-all-orders').addEventListener('click', function () { select(selected); });
  document.querySelectorAll('[data-clear]').forEach(function (b) {
    b.addEventListener('click', function () { $(b.getAttribute('data-clear')).textContent = ''; });
  });
  $('token').value = sessionStorage.getItem('boutique-token') || '';
  $('token').addEventListener('change', function () { sessionStorage.setItem('boutique-token', $('token').value.trim()); });

  // Where each table's copy stands in the change log: the Boutique-Log-Position of the GET that
  // filled it, then the seq of each event applied. Subscribing after it joins the snapshot and the
  // stream with nothing missed and nothing twice.
  var positions = { customers: 0, orders: 0 };

  function load() {
    return Promise.all([api('GET', '/customers?per_page=100&sort=-id'), api('GET', '/orders?per_page=100&sort=-id')]).then(function (r) {
      if (r[0].ok) { customers.clear(); r[0].body.forEach(function (c) { customers.set(c.id, c); }); positions.customers = r[0].position; }
      if (r[1].ok) { orders.clear(); r[1].body.forEach(function (o) { orders.set(o.id, o); }); positions.orders = r[1].position; }
      renderCustomers();
      renderOrders();
    });
  }

  // ---- WebSocket ----------------------------------------------------------------------
  function apply(event) {
    var map = event.topic === 'orders' ? orders : customers;
    var item = event.data;
    if (event.action === 'deleted') {
      map.delete(item.id);
      if (map === customers && selected === item.id) selected = null;
    } else {
      map.set(item.id, item);
    }
    renderCustomers(map === customers ? item.id : undefined);
    renderOrders(map === orders ? item.id : undefined);
  }

  var attempt = 0;
  var socket = null;

  function subscribe(topic) {
    var msg = { type: 'subscribe', topic: topic, after: positions[topic] };
    var token = $('token').value.trim();
    if (token) msg.token = token;
    socket.send(JSON.stringify(msg));
  }

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/socketserver';
    socket = new WebSocket(url, 'json');
    var state = $('socket-state');
    socket.onopen = function () {
      attempt = 0;
      state.textContent = 'socket: live';
      state.className = 'pill pill-on';
      ['customers', 'orders'].forEach(subscribe);
    };
    socket.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === 'event') {
        if (msg.seq <= positions[msg.topic]) return;
        positions[msg.topic] = msg.seq;
        pushLog($('socket-log'), [
          el('span', { className: 't', text: time() }),
          el('span', { className: 'a-' + msg.action, text: msg.action }),
          el('span', { text: msg.topic + ' #' + msg.data.id + (msg.data.name ? ' ' + msg.data.name : msg.data.status ? ' ' + msg.data.status : '') }),
          el('span', { className: 't', text: 'seq ' + msg.seq }),
        ]);
        apply(msg);
      } else if (msg.type === 'reset') {
        // The log no longer holds every change since this copy: read the tables again, then go on live.
        pushLog($('socket-log'), [
          el('span', { className: 't', text: time() }),
          el('span', { className: 'a-deleted', text: 'reset' }),
          el('span', { text: msg.topic + ' → GET ' + msg.href }),
          el('span', { className: 't', text: 'seq ' + msg.seq }),
        ]);
        load();
      } else if (msg.type === 'subscribed' || msg.type === 'error') {
        if (msg.type === 'subscribed' && msg.seq > positions[msg.topic]) positions[msg.topic] = msg.seq;
        pushLog($('socket-log'), [
          el('span', { className: 't', text: time() }),
          el('span', { className: msg.type === 'error' ? 'a-deleted' : 'm', text: msg.type }),
          el('span', { text: msg.topic || msg.message || '' }),
          el('span', { text: '' }),
        ]);
      }
    };
    socket.onclose = function () {
      state.textContent = 'socket: reconnecting…';
      state.className = 'pill pill-off';
      var delay = Math.min(10000, 500 * Math.pow(2, attempt++)) * (0.75 + Math.random() / 2);
      // Whatever changed while the socket was down arrives on resubscribing after each table's position.
      setTimeout(connect, delay);
    };
  }

  load().then(connect, connect);
})();
