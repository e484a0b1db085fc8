// elkgezin: the steps a coach recorded without a connection, kept in this
// browser's IndexedDB until they are sent, and the sending itself. Shared
// by the pages (offline.js) and the service worker (sw.js). A step is sent
// with the idempotency key its form carried, so sending it twice (from
// here and from the service worker, or from a second device) is one step.
(function (global) {
  'use strict';
  var DB = 'elkgezin', STEPS = 'stappen', META = 'meta', LOCK = 'elkgezin-wachtrij';
  var SYNC = 'elkgezin-wachtrij';
  // wiped: signing out cleared it all; nothing on this page opens it again.
  var wiped = false;

  function open() {
    return new Promise(function (resolve, reject) {
      if (wiped) return reject(new Error('signed out'));
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STEPS, { keyPath: 'key' });
        req.result.createObjectStore(META);
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // tx runs fn on a store and closes the database after: a connection
  // left open would block deleting the database at sign-out.
  function tx(name, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name, mode), result;
        var req = fn(t.objectStore(name));
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() { return tx(STEPS, 'readonly', function (s) { return s.getAll(); }); }
  function put(step) { return tx(STEPS, 'readwrite', function (s) { return s.put(step); }); }
  function remove(key) { return tx(STEPS, 'readwrite', function (s) { return s.delete(key); }); }
  function meta() { return tx(META, 'readonly', function (s) { return s.get('sessie'); }); }
  function who() { return meta().then(function (m) { return m ? m.who : ''; }); }
  function setMeta(m) { return tx(META, 'readwrite', function (s) { return s.put(m, 'sessie'); }); }

  // newKey is an idempotency key for a form shown from this browser's copy.
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'form-' + Array.prototype.map.call(b, function (x) { return (x + 256).toString(36).slice(1); }).join('');
  }

  // belgianNow is this moment as a datetime-local value in Belgian time,
  // as the pages read it (whatever zone the phone is set to).
  function belgianNow(at) {
    var p = {};
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at || new Date()).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + 'T' + p.hour + ':' + p.minute + ':' + p.second;
  }

  var stepPath = /^\/trajecten\/([^/]+)\/([^/]+)$/;

  // entry makes the queued step of a form's fields (an array of
  // [name, value]) sent to action. A visit recorded without a time was
  // done now: the moment it was recorded, not the moment it is sent.
  function entry(action, fields, title, who) {
    var path = new URL(action, global.location.href).pathname, m = stepPath.exec(path);
    if (!m) return null;
    var key = '';
    fields.forEach(function (f) {
      if (f[0] === 'key') key = f[1];
      if (f[0] === 'done_at' && f[1] === '') f[1] = belgianNow();
    });
    if (!key) {
      key = newKey();
      fields.push(['key', key]);
    }
    return { key: key, action: path, trajectory: decodeURIComponent(m[1]), step: m[2], title: title || '',
      fields: fields, who: who || '', at: new Date().toISOString(), status: 'wacht', message: '' };
  }

  function add(e) {
    return put(e).then(function () {
      var reg = global.registration || null;
      var ready = reg ? Promise.resolve(reg) : (global.navigator.serviceWorker ? global.navigator.serviceWorker.ready : Promise.reject());
      // Background Sync where the browser has it; else the next page load
      // or the 'online' event sends it.
      return ready.then(function (r) { return r.sync && r.sync.register(SYNC); }).catch(function () {});
    });
  }

  function text(html) {
    return html.replace(/<[^>]*>/g, ' ').replace(/&#39;/g, "'").replace(/&#34;|&quot;/g, '"').replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
  }

  // refusal is what a page answering a sent step says: the outcome on top,
  // else the page's message (not found, no access).
  function refusal(html) {
    var m = /<div id="uitkomst"[^>]*>([\s\S]*?)<\/div>/.exec(html) || /<main[^>]*>([\s\S]*?)<\/main>/.exec(html);
    return m ? text(m[1]).replace(/\s*Naar het formulier$/, '') : 'De stap werd geweigerd.';
  }

  // sendOne sends a queued step with the session's CSRF secret. It
  // resolves to 'verzonden', 'geweigerd' (with the refusal kept on the
  // step) or 'later' (no connection, no session, the service busy);
  // it rejects when the network is away.
  function sendOne(e, session) {
    var body = new URLSearchParams();
    e.fields.forEach(function (f) { body.append(f[0], f[0] === 'csrf' && session.csrf ? session.csrf : f[1]); });
    // A send that hangs (a connection that is half there) gives up, so
    // that it holds the queue no longer than this; the key makes the next
    // try the same step.
    var abort = new AbortController(), timer = setTimeout(function () { abort.abort(); }, 20000);
    return fetch(e.action, { method: 'POST', body: body, credentials: 'same-origin', redirect: 'follow', signal: abort.signal }).then(function (res) {
      clearTimeout(timer);
      var u = new URL(res.url);
      if (u.pathname === '/aanmelden' || res.status >= 500 || res.status === 429) return 'later';
      if (res.ok && u.searchParams.has('gedaan')) return remove(e.key).then(function () { return 'verzonden'; });
      return res.text().then(function (html) {
        // A form the session does not know (signed in again since): it is
        // sent with the new session's secret from the next page.
        if (res.status === 403 && html.indexOf('niet van deze website') >= 0) return 'later';
        e.status = 'geweigerd';
        e.message = refusal(html);
        return put(e).then(function () { return 'geweigerd'; });
      });
    });
  }

  // flush sends every waiting step of the signed-in person, one by one;
  // it stops at the first that finds no connection. Steps of another
  // person (signed in before on this browser) wait for them.
  function flush() {
    var run = function () {
      return meta().then(function (session) {
        if (!session || !session.who) return [];
        return all().then(function (steps) {
          var results = [];
          var next = function (i) {
            while (i < steps.length && (steps[i].status !== 'wacht' || steps[i].who !== session.who)) i++;
            if (i >= steps.length) return Promise.resolve(results);
            return sendOne(steps[i], session).then(function (r) {
              results.push(r);
              return r === 'later' ? results : next(i + 1);
            });
          };
          return next(0);
        });
      });
    };
    var locks = global.navigator.locks;
    return locks ? locks.request(LOCK, run) : run();
  }

  // clear forgets everything this browser kept: the queue, the session's
  // secret, and the pages kept for use without a connection.
  function clear() {
    wiped = true;
    var dbGone = new Promise(function (resolve) {
      var req = indexedDB.deleteDatabase(DB);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    });
    var cachesGone = global.caches ? caches.keys().then(function (ks) {
      return Promise.all(ks.map(function (k) { return caches.delete(k); }));
    }) : Promise.resolve();
    return Promise.all([dbGone, cachesGone]);
  }

  global.elkgezinWachtrij = { entry: entry, add: add, all: all, remove: remove, setMeta: setMeta, who: who, flush: flush,
    clear: clear, newKey: newKey, SYNC: SYNC };
})(self);
