// Messages shown next to what they are about: an error under the field or button it concerns (not
// in a line at the top of the page), a progress or success note beside a button. A message stays
// until its field is changed, its form is submitted again, or the screen changes.
let counter = 0;

function messageFor(anchor) {
  let p = anchor.dataset.msgId ? document.getElementById(anchor.dataset.msgId) : null;
  if (!p) {
    p = document.createElement('p');
    p.id = `msg-${anchor.id || 'anon'}-${++counter}`;
    p.className = 'field-msg';
    p.hidden = true;
    anchor.insertAdjacentElement('afterend', p);
    anchor.dataset.msgId = p.id;
    if (anchor.matches('input, select, textarea')) {
      const clear = () => clearAt(anchor);
      anchor.addEventListener('input', clear);
      anchor.addEventListener('change', clear);
    }
  }
  return p;
}

// kind: 'error' (red), 'partial' (amber: some of it worked), 'ok' (green), 'info' (muted).
export function showAt(anchor, text, kind = 'error') {
  const p = messageFor(anchor);
  p.textContent = text;
  p.dataset.kind = kind;
  p.hidden = !text;
  p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  if (anchor.matches('input, select, textarea')) {
    if (kind === 'error' && text) {
      anchor.setAttribute('aria-invalid', 'true');
      anchor.setAttribute('aria-describedby', p.id);
    } else {
      anchor.removeAttribute('aria-invalid');
    }
  }
  return p;
}

export function clearAt(anchor) {
  if (!anchor.dataset.msgId) return;
  const p = document.getElementById(anchor.dataset.msgId);
  if (p) { p.textContent = ''; p.hidden = true; }
  anchor.removeAttribute('aria-invalid');
}

// Clears every message inside `root` (a form, a screen, the whole page).
export function clearAll(root = document) {
  for (const p of root.querySelectorAll('.field-msg')) { p.textContent = ''; p.hidden = true; }
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// Query parameters of the screen's hash route ("#/audit?batch=7" -> {batch: "7"}).
export function hashParams() {
  const q = location.hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : location.hash.slice(q + 1));
}

// Downloads text as a file (a blob: link clicked once, then revoked).
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
