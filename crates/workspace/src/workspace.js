// The workspace's script: progressive enhancement only, every page works without it.

// Uploads show their progress, and the preview of the delivery replaces the page.
(function(){var f=document.getElementById('upload');if(!f||!window.XMLHttpRequest||!window.FormData)return;f.addEventListener('submit',function(e){e.preventDefault();var p=document.getElementById('upload-progress');var s=document.getElementById('upload-status');p.hidden=false;var x=new XMLHttpRequest();x.open('POST',f.action);x.upload.addEventListener('progress',function(ev){if(ev.lengthComputable){p.value=ev.loaded/ev.total;s.textContent='Hochgeladen: '+Math.round(100*ev.loaded/ev.total)+' %';}});x.upload.addEventListener('load',function(){s.textContent='Hochgeladen. Die Dateien werden geprüft …';});x.addEventListener('load',function(){if(x.status<400&&x.responseURL){window.location.href=x.responseURL;return;}var d=new DOMParser().parseFromString(x.responseText,'text/html').querySelector('main');var m=document.querySelector('main');if(d&&m){m.innerHTML=d.innerHTML;m.focus();}else{s.textContent='Fehler '+x.status;}});x.addEventListener('error',function(){s.textContent='Das Hochladen ist fehlgeschlagen. Bitte versuchen Sie es noch einmal.';});x.send(new FormData(f));});})();

// The formula of a catalogue entry is checked while it is typed: half a second after the last
// key, the server's check (parse, measures, a preview of the values) replaces the one below the
// field, and its first sentence is read out by screen readers. Without script, "Prüfen" does
// the same.
(function () {
  var input = document.getElementById('f-formula');
  var out = document.getElementById('formel-pruefung');
  var status = document.getElementById('formel-status');
  if (!input || !out || !status || !window.fetch || !window.URLSearchParams) return;
  var form = input.form, timer = null, asked = 0, pending = null;
  function value(name) {
    var e = form.elements[name];
    if (!e) return '';
    if (e.type === 'checkbox') return e.checked ? '1' : '';
    return e.value;
  }
  function check() {
    var mine = ++asked;
    var q = new URLSearchParams({
      formula: input.value, unit: value('unit'),
      confidentiality: value('confidentiality'), public: value('public')
    });
    // Only the newest check matters: the one before it is cancelled.
    if (pending && window.AbortController) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    // An expired session answers with a redirect to the login page, which must not land in
    // the form: a redirect is an error here.
    fetch(out.getAttribute('data-check') + '?' + q.toString(),
      { credentials: 'same-origin', redirect: 'error', signal: pending ? pending.signal : undefined })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        if (mine !== asked) return;
        out.innerHTML = html;
        var first = out.querySelector('p');
        status.textContent = first ? first.textContent : '';
      })
      .catch(function (e) {
        if (mine !== asked || (e && e.name === 'AbortError')) return;
        status.textContent = 'Die Prüfung ist gerade nicht möglich. Ist die Sitzung abgelaufen? Dann bitte neu anmelden; „Prüfen“ prüft ebenfalls.';
        out.innerHTML = '';
        var p = document.createElement('p');
        p.className = 'error';
        p.textContent = status.textContent;
        out.appendChild(p);
      });
  }
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
})();
