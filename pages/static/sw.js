// elkgezin's service worker, served at /sw.js for the whole site. It keeps
// only what the coach opened (the trajectory pages, the static files),
// never a list of families; a step's form sent without a connection is
// queued (queue.js) and sent when the connection returns.
'use strict';
importScripts('/static/queue.js');

var PAGES = 'elkgezin-paginas', STATIC = 'elkgezin-static';
var W = self.elkgezinWachtrij;
var trajectoryPage = /^\/trajecten\/[^/]+$/, stepPath = /^\/trajecten\/([^/]+)\/([^/]+)$/;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) {
    return c.addAll(['/static/style.css', '/static/queue.js', '/static/offline.js', '/static/offline.html']);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('sync', function (event) {
  if (event.tag === W.SYNC) event.waitUntil(W.flush());
});

self.addEventListener('fetch', function (event) {
  var req = event.request, url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && req.mode === 'navigate' && stepPath.test(url.pathname)) {
    event.respondWith(postStep(req, url));
  } else if (req.method === 'GET' && req.mode === 'navigate') {
    event.respondWith(page(req, url));
  } else if (req.method === 'GET' && url.pathname.indexOf('/static/') === 0) {
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(STATIC).then(function (c) { return c.put(url.pathname, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  }
});

// postStep sends a step's form; without a connection it queues it and
// answers with the trajectory page, which shows it as not sent yet.
function postStep(req, url) {
  var copy = req.clone();
  return fetch(req).catch(function () {
    return copy.formData().then(function (fd) {
      var fields = [];
      fd.forEach(function (v, k) { fields.push([k, String(v)]); });
      var e = W.entry(url.pathname, fields, '', '');
      return W.who().then(function (who) {
        e.who = who;
        return W.add(e);
      }).then(function () {
        return Response.redirect('/trajecten/' + encodeURIComponent(e.trajectory) + '?bewaard=' + encodeURIComponent(e.step), 303);
      });
    });
  });
}

// page answers a navigation from the network; a trajectory page is kept
// (by its path) for when there is no connection. Without one, the copy is
// shown marked as a copy, without the outcome it showed then; any other
// page gives the offline page.
function page(req, url) {
  return fetch(req).then(function (res) {
    var where = new URL(res.url || req.url);
    if (res.status === 404 && trajectoryPage.test(where.pathname)) {
      // No longer the coach's (reassigned) or gone: its copy goes too.
      caches.open(PAGES).then(function (c) { return c.delete(where.pathname); });
    }
    if (res.ok && !res.redirected && trajectoryPage.test(where.pathname) && !where.searchParams.has('geweigerd')) {
      var copy = res.clone();
      caches.open(PAGES).then(function (c) { return c.put(where.pathname, copy); });
    }
    return res;
  }).catch(function () {
    return caches.open(PAGES).then(function (c) { return c.match(url.pathname); }).then(function (hit) {
      if (!hit) return caches.match('/static/offline.html').then(function (o) { return o || Response.error(); });
      return hit.text().then(function (html) {
        html = html.replace('<html lang="nl">', '<html lang="nl" data-bewaard="ja">')
          .replace(/<div id="uitkomst"[\s\S]*?<\/div>\n/, '');
        return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
      });
    });
  });
}
