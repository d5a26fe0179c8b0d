// The browsable API's forms: HTML can only GET and POST, so forms marked data-method send
// their fields as JSON with that method through fetch, then show the result.
(function () {
  'use strict';

  function formToJson(form) {
    var out = {};
    new FormData(form).forEach(function (value, key) {
      var v = String(value).trim();
      if (v === '') return;
      if (key === 'items') {
        out.items = v.split(/\r?\n/).filter(Boolean).map(function (line) {
          var parts = line.trim().split(/[\s,;]+/);
          return { sku: parts[0], quantity: Number(parts[1]), unitPrice: Number(parts[2]) };
        });
      } else {
        out[key] = v;
      }
    });
    return out;
  }

  function showProblem(form, problem) {
    var box = form.querySelector('.form-error') || form.appendChild(document.createElement('div'));
    box.className = 'form-error';
    box.textContent = '';
    var title = document.createElement('strong');
    title.textContent = problem.status + ' ' + problem.title + ': ';
    box.appendChild(title);
    box.appendChild(document.createTextNode(problem.detail || ''));
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var method = form.getAttribute('data-method');
    if (!method) return;
    event.preventDefault();
    var confirmText = form.getAttribute('data-confirm');
    if (confirmText && !window.confirm(confirmText)) return;
    var init = { method: method, headers: { Accept: 'application/json' } };
    if (method !== 'DELETE') {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(formToJson(form));
    }
    fetch(form.getAttribute('action'), init).then(function (res) {
      if (res.ok) {
        window.location.href = form.getAttribute('data-then') || window.location.pathname;
        return;
      }
      return res.json().then(function (problem) { showProblem(form, problem); });
    }).catch(function (err) {
      showProblem(form, { status: 0, title: 'Network error', detail: String(err) });
    });
  });

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('pre').forEach(function (pre) {
      pre.textContent = pre.textContent.split('http://HOST').join(window.location.origin);
    });
    document.querySelectorAll('time').forEach(function (t) {
      var d = new Date(t.textContent);
      if (!isNaN(d)) { t.title = t.textContent; t.textContent = d.toLocaleString(); }
    });
  });
})();
