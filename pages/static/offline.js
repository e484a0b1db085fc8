// elkgezin: the pages without a connection. Without this script (or
// without service workers) every form posts as it always did; with it, a
// step's form sent while offline is kept on this device (queue.js), shown
// as "nog niet verzonden" on its trajectory and on "Mijn gezinnen", and
// sent when the connection returns. Signing out wipes it all.
(function () {
  'use strict';
  var W = window.elkgezinWachtrij;
  if (!W || !window.indexedDB) return;
  var root = document.documentElement, body = document.body;
  var who = body.getAttribute('data-wie') || '';
  var copy = root.getAttribute('data-bewaard') === 'ja';
  var stepPath = /^\/trajecten\/([^/]+)\/([^/]+)$/, pagePath = /^\/trajecten\/([^/]+)$/;
  var here = pagePath.exec(location.pathname);
  var shown = here ? decodeURIComponent(here[1]) : '';

  if (navigator.serviceWorker) navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
  // Signed out, nothing is kept: the queue is opened by signed-in pages only.
  if (!who && body.getAttribute('data-offline') !== 'ja') return;

  // live says something to screen readers and on the page.
  var live = document.createElement('div');
  live.setAttribute('role', 'status');
  live.className = 'queue-live';
  (document.getElementById('inhoud') || body).prepend(live);
  function say(t) { live.textContent = t; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function at(iso) {
    return new Date(iso).toLocaleString('nl-BE', { timeZone: 'Europe/Brussels', dateStyle: 'short', timeStyle: 'short' });
  }

  // label is what the form on this page calls a field, else its name.
  function label(e, name) {
    var f = document.querySelector('form[action="' + e.action + '"] [name="' + name + '"]');
    var l = f && f.id ? document.querySelector('label[for="' + f.id + '"]') : null;
    return l ? l.textContent : ({ done_at: 'Gedaan op', next_visit_due: 'Volgend bezoek', note: 'Nota' })[name] || name;
  }

  function title(e) {
    var h = document.getElementById('f-' + e.step);
    return e.title || (h ? h.textContent : ({ bezoek: 'Huisbezoek', intake: 'Intake' })[e.step] || 'Stap');
  }

  function item(e) {
    var li = el('li', e.status === 'geweigerd' ? 'error' : 'queued');
    var head = el('p');
    head.appendChild(el('strong', '', title(e)));
    head.appendChild(document.createTextNode(', ingevuld ' + at(e.at) + ': '));
    head.appendChild(el('span', 'badge ' + (e.status === 'geweigerd' ? 'late' : 'soon'),
      e.status === 'geweigerd' ? 'geweigerd' : 'nog niet verzonden'));
    li.appendChild(head);
    if (e.status === 'geweigerd') li.appendChild(el('p', '', e.message));
    var dl = el('dl', 'typed');
    e.fields.forEach(function (f) {
      if (f[0] === 'csrf' || f[0] === 'key' || f[0] === 'terug' || f[1] === '') return;
      dl.appendChild(el('dt', '', label(e, f[0])));
      dl.appendChild(el('dd', '', f[1].replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d)?$/, '$1 $2')));
    });
    li.appendChild(dl);
    if (e.status === 'geweigerd') {
      var b = el('button', '', 'Gelezen, wissen');
      b.type = 'button';
      b.setAttribute('aria-label', 'Geweigerde stap ' + title(e) + ' wissen');
      b.addEventListener('click', function () {
        W.remove(e.key).then(render).then(function () { say('De geweigerde stap is gewist.'); });
      });
      li.appendChild(b);
    }
    return li;
  }

  // render shows the queue: on a trajectory page its own steps, on
  // "Mijn gezinnen" a mark beside each family and how many wait.
  var rendered = Promise.resolve();
  function render() {
    // One at a time: two at once would show the queue twice.
    rendered = rendered.then(draw, draw);
    return rendered;
  }

  function draw() {
    return W.all().then(function (steps) {
      steps = steps.filter(function (e) { return e.who === who; });
      var mine = steps.filter(function (e) { return !here || e.trajectory === shown; });
      // Unchanged, the queue stays as it is: focus and what a screen
      // reader reads are not pulled from under the coach.
      var sig = JSON.stringify(steps.map(function (e) { return [e.key, e.status, e.message]; }));
      if (body.getAttribute('data-wachtrij') === sig) return;
      body.setAttribute('data-wachtrij', sig);
      var old = document.getElementById('wachtrij');
      if (old) old.remove();
      document.querySelectorAll('.queue-mark').forEach(function (m) { m.remove(); });
      document.querySelectorAll('ul.families a.name').forEach(function (a) {
        var m = pagePath.exec(new URL(a.href).pathname), id = m ? decodeURIComponent(m[1]) : '';
        var n = steps.filter(function (e) { return e.trajectory === id; }).length;
        if (n) a.after(el('span', 'badge soon queue-mark', n === 1 ? 'nog niet verzonden' : n + ' nog niet verzonden'));
      });
      if (!mine.length) return;
      var sec = el('section', 'queue');
      sec.id = 'wachtrij';
      sec.setAttribute('aria-labelledby', 'h-wachtrij');
      var h = el('h2', '', 'Nog niet verzonden');
      h.id = 'h-wachtrij';
      sec.appendChild(h);
      sec.appendChild(el('p', 'muted', 'Op dit toestel bewaard; verzonden zodra er verbinding is. Wat geweigerd werd, blijft hier tot u het wist.'));
      var ul = el('ul', 'queue');
      mine.forEach(function (e) { ul.appendChild(item(e)); });
      sec.appendChild(ul);
      var h1 = document.querySelector('main h1');
      if (h1) h1.after(sec); else live.after(sec);
    });
  }

  // send sends what waits, then shows what became of it; a step of the
  // trajectory shown that went through reloads it, with the page's own
  // "opgeslagen".
  function send() {
    if (!who || navigator.onLine === false) return Promise.resolve();
    var before;
    return W.all().then(function (steps) {
      before = steps;
      return W.flush();
    }).then(function () { return W.all(); }).then(function (after) {
      var left = {};
      after.forEach(function (e) { left[e.key] = e; });
      var sent = before.filter(function (e) { return e.status === 'wacht' && !left[e.key] && e.who === who; });
      var refused = before.filter(function (e) { return left[e.key] && left[e.key].status === 'geweigerd' && e.status === 'wacht'; });
      var ours = sent.filter(function (e) { return e.trajectory === shown; });
      if (ours.length && !refused.length) {
        location.replace(location.pathname + '?gedaan=' + encodeURIComponent(ours[ours.length - 1].step));
        return;
      }
      if (sent.length) say(sent.length === 1 ? 'Eén stap is verzonden.' : sent.length + ' stappen zijn verzonden.');
      if (refused.length) say('Niet alles kon worden opgeslagen: zie "Nog niet verzonden".');
      return render();
    }).catch(function () { return render(); });
  }

  // A step's form sent while the browser knows it is offline is queued
  // here; one that finds no network otherwise, the service worker queues.
  document.addEventListener('submit', function (ev) {
    var form = ev.target, action = new URL(form.action, location.href);
    if (form.method.toLowerCase() !== 'post') return;
    if (action.pathname === '/afmelden') return signOut(ev, form);
    if (!stepPath.test(action.pathname) || navigator.onLine !== false) return;
    ev.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (v, k) { fields.push([k, String(v)]); });
    var h = form.querySelector('h3');
    var e = W.entry(action.pathname, fields, h ? h.textContent : '', who);
    W.add(e).then(function () {
      form.reset();
      var key = form.querySelector('input[name=key]');
      if (key) key.value = W.newKey();
      return render();
    }).then(function () {
      say(title(e) + ' is op dit toestel bewaard en nog niet verzonden; het wordt vanzelf verzonden zodra er verbinding is.');
      var sec = document.getElementById('wachtrij');
      if (sec) sec.scrollIntoView();
    });
  }, true);

  // signOut wipes what this device kept before the session ends; steps
  // not yet sent are lost then, so the coach is asked first.
  function signOut(ev, form) {
    if (form.dataset.gewist) return;
    ev.preventDefault();
    W.all().then(function (steps) {
      var waiting = steps.filter(function (e) { return e.status === 'wacht'; }).length;
      if (waiting && !window.confirm(waiting + ' stap(pen) zijn nog niet verzonden en gaan verloren als u zich nu afmeldt. Toch afmelden?')) return;
      var gone = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(function (rs) {
        return Promise.all(rs.map(function (r) { return r.unregister(); }));
      }) : Promise.resolve();
      return Promise.all([W.clear(), gone]).catch(function () {}).then(function () {
        form.dataset.gewist = 'ja';
        form.submit();
      });
    });
  }

  if (copy) {
    // A copy kept on this device: its forms get keys of their own, so two
    // visits recorded from it are two steps.
    document.querySelectorAll('form input[name=key]').forEach(function (k) { k.value = W.newKey(); });
    var note = el('p', 'error', 'Geen verbinding: u ziet deze pagina zoals ze was toen u ze opende. Wat u nu invult, wordt bewaard en later verzonden.');
    note.id = 'bewaard';
    live.after(note);
  }
  var q = new URLSearchParams(location.search);
  if (q.get('bewaard')) say('De stap is op dit toestel bewaard en nog niet verzonden: ze wordt verzonden zodra er verbinding is.');

  var csrf = document.querySelector('input[name=csrf]');
  var ready = who && csrf && !copy ? W.setMeta({ who: who, csrf: csrf.value }) : Promise.resolve();
  if (body.getAttribute('data-offline') === 'ja') {
    // The offline page knows nobody: the queue is of who used the pages last.
    ready = W.who().then(function (w) { who = w; copy = true; });
  }
  ready.then(render).then(send).catch(function () {});
  // Back online, what waits is sent, from a kept copy too: a step of the
  // trajectory shown that went through brings the page as it is now.
  window.addEventListener('online', function () { send(); });
})();
