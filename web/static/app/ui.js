// Building blocks shared by the dashboard's pages: routing, data hooks,
// forms that keep what was typed and show each userError beside its field,
// and formatting in the merchant's time zone.
import { html, useState, useEffect, useRef, useCallback } from '/static/vendor/preact-htm.js';
import { gql, subscribe, onLiveState } from './gql.js';
import { t, lang, statusText, errorText } from './i18n.js';
import qrcode from '/static/vendor/qrcode.js';

export { html, useState, useEffect, useRef, useCallback };

// ---- session: who is logged in (set once by main.js) --------------------

export const session = { viewer: null, merchant: null, user: null, role: null, timeZone: 'Europe/Stockholm' };

// isManager: OWNER or ADMIN. The server decides every action; the pages
// only leave out what the role cannot do.
export const isManager = () => session.role === 'OWNER' || session.role === 'ADMIN';

// ---- routing -------------------------------------------------------------

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event('kassa:navigate'));
  window.scrollTo(0, 0);
}

export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}

export function query() {
  return new URLSearchParams(location.search);
}

// setQuery changes the address's query (filters, cursor) without a new
// history entry per keystroke.
export function setQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null && v !== false) q.set(k, v);
  const s = q.toString();
  navigate(location.pathname + (s ? '?' + s : ''), { replace: true });
}

// ---- data ----------------------------------------------------------------

// useQuery runs a query when deps change; reload() runs it again.
export function useQuery(q, vars, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    gql(q, vars).then(
      (data) => n === seq.current && setState({ data, error: null, loading: false }),
      (error) => n === seq.current && setState({ data: null, error, loading: false }));
  }, deps); // eslint-disable-line
  useEffect(run, [run]);
  return { ...state, reload: run };
}

// useLive runs onEvent for each event of a subscription while the page
// is shown.
export function useLive(q, vars, onEvent, deps = []) {
  const cb = useRef(onEvent);
  cb.current = onEvent;
  useEffect(() => subscribe(q, vars, (d) => cb.current(d)), deps);
}

// useMoneyMoves reloads a page when any of the merchant's orders or
// payments changes (a subscription's charges and first payment are
// payments), once soon and once a little later, for what a job finishes
// right after the payment.
export function useMoneyMoves(reload) {
  const timers = useRef([]);
  const on = () => {
    timers.current.forEach(clearTimeout);
    timers.current = [setTimeout(reload, 300), setTimeout(reload, 2500)];
  };
  useLive('subscription { paymentUpdated { id } }', {}, on, []);
  useLive('subscription { orderUpdated { id } }', {}, on, []);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
}

export function LiveBadge() {
  const [up, setUp] = useState(true);
  useEffect(() => onLiveState(setUp), []);
  return html`<span class=${'live ' + (up ? 'on' : 'off')} role="status">${up ? '● ' + t('live') : '○ ' + t('liveOff')}</span>`;
}

// ---- forms ---------------------------------------------------------------

// useForm keeps a form's values and its errors per field. Errors come from
// userErrors: field ["input","lines","1","unitPrice"] is key
// "lines.1.unitPrice". Values are never reset by an error.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k, v) => setValues((s) => ({ ...s, [k]: v }));
  const bind = (k) => ({ value: values[k] ?? '', onInput: (e) => set(k, e.currentTarget.value) });
  // submit runs fn (which returns a payload or throws); it shows the
  // payload's userErrors and returns the payload when there were none.
  const submit = async (fn) => {
    if (busy) return null;
    setBusy(true); setErrors({}); setFormError('');
    try {
      const p = await fn();
      if (p?.userErrors?.length) {
        const byField = {};
        const loose = [];
        for (const e of p.userErrors) {
          const path = (e.field || []).filter((x, i) => !(i === 0 && x === 'input')).join('.');
          const msg = errorText(e.code, e.message);
          if (path) byField[path] = byField[path] ? byField[path] + ' ' + msg : msg;
          else loose.push(msg);
        }
        setErrors(byField);
        setFormError(loose.length ? loose.join(' ') : t('err.form'));
        return null;
      }
      return p;
    } catch (e) {
      setFormError(e.message);
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { values, set, setValues, bind, errors, setErrors, formError, setFormError, busy, submit };
}

// Field is a labelled control with its hint and error, wired for screen
// readers: children is a function given the aria attributes to spread on
// the control (aria-describedby, aria-invalid).
export function Field({ id, label, error, hint, children, class: cls = '' }) {
  const desc = [hint ? id + '-hint' : '', error ? id + '-err' : ''].filter(Boolean).join(' ') || undefined;
  const aria = { 'aria-describedby': desc, 'aria-invalid': error ? 'true' : undefined };
  const kid = Array.isArray(children) ? children[0] : children;
  return html`<div class=${'field ' + cls + (error ? ' has-error' : '')}>
    <label for=${id}>${label}</label>
    ${typeof kid === 'function' ? kid(aria) : children}
    ${hint && html`<p class="hint" id=${id + '-hint'}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${id + '-err'}>${error}</p>`}
  </div>`;
}

// Input, Select and TextArea are Fields bound to a useForm value; the
// error shown is the form's error for name (or error when given).
export function Input({ form, name, id, label, hint, error, type = 'text', class: cls, ...rest }) {
  const err = error ?? form.errors[name];
  return html`<${Field} id=${id} label=${label} error=${err} hint=${hint} class=${cls}>${(a) =>
    html`<input id=${id} name=${name} type=${type} ...${form.bind(name)} ...${a} ...${rest} />`}</${Field}>`;
}

export function Select({ form, name, id, label, hint, error, options, class: cls, ...rest }) {
  const err = error ?? form.errors[name];
  return html`<${Field} id=${id} label=${label} error=${err} hint=${hint} class=${cls}>${(a) =>
    html`<select id=${id} name=${name} value=${form.values[name] ?? ''} onChange=${(e) => form.set(name, e.currentTarget.value)} ...${a} ...${rest}>
      ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
    </select>`}</${Field}>`;
}

export function TextArea({ form, name, id, label, hint, error, class: cls, ...rest }) {
  const err = error ?? form.errors[name];
  return html`<${Field} id=${id} label=${label} error=${err} hint=${hint} class=${cls}>${(a) =>
    html`<textarea id=${id} name=${name} ...${form.bind(name)} ...${a} ...${rest}></textarea>`}</${Field}>`;
}

export function Check({ form, name, id, label, hint }) {
  return html`<div class="field check">
    <label class="check" for=${id}><input id=${id} name=${name} type="checkbox" checked=${!!form.values[name]}
      onChange=${(e) => form.set(name, e.currentTarget.checked)} aria-describedby=${hint ? id + '-hint' : undefined} /> ${label}</label>
    ${hint && html`<p class="hint" id=${id + '-hint'}>${hint}</p>`}
  </div>`;
}

export function FormError({ message }) {
  return message ? html`<p class="error" role="alert">${message}</p>` : null;
}

// findError returns the first error whose key starts with one of keys.
export function findError(errors, ...keys) {
  for (const k of keys) {
    if (errors[k]) return errors[k];
    const hit = Object.keys(errors).find((e) => e.startsWith(k + '.'));
    if (hit) return errors[hit];
  }
  return '';
}

// ---- money and time ------------------------------------------------------

export function fractionDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

// parseAmount reads "1 234,50", "1234.50" or "1234" as minor units
// exactly (no floating point); null when it is not an amount.
export function parseAmount(s, currency = 'SEK') {
  const digits = fractionDigits(currency);
  let v = String(s ?? '').replace(/[\s\u00a0\u202f]/g, '').replace(/(kr|sek|eur|€|\$|usd|nok|dkk)$/i, '');
  if (!v) return null;
  const lastSep = Math.max(v.lastIndexOf(','), v.lastIndexOf('.'));
  let whole = v, frac = '';
  if (lastSep >= 0) {
    const after = v.slice(lastSep + 1);
    if (after.length > 0 && after.length <= digits && !/[.,]/.test(after)) {
      whole = v.slice(0, lastSep); frac = after;
    }
    whole = whole.replace(/[.,](?=\d{3}(\D|$))/g, '');
  }
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(frac)) return null;
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt((frac + '0'.repeat(digits)).slice(0, digits) || '0');
  if (minor > 9007199254740991n) return null;
  return Number(minor);
}

// formatMinor shows minor units as the merchant's locale writes them (as
// the API's Money.formatted does, so amounts look alike on every page).
export function formatMinor(amount, currency = 'SEK') {
  const digits = fractionDigits(currency);
  try {
    return new Intl.NumberFormat((session.merchant?.locale || lang) === 'en' ? 'en-GB' : 'sv-SE', { style: 'currency', currency, minimumFractionDigits: digits })
      .format(amount / 10 ** digits);
  } catch {
    return (amount / 10 ** digits).toFixed(digits) + ' ' + currency;
  }
}

// amountInput writes minor units for an input field (no currency sign).
export function amountInput(amount, currency = 'SEK') {
  const digits = fractionDigits(currency);
  const s = String(Math.abs(amount)).padStart(digits + 1, '0');
  const whole = s.slice(0, s.length - digits), frac = s.slice(s.length - digits);
  return (amount < 0 ? '-' : '') + whole + (digits ? (lang === 'sv' ? ',' : '.') + frac : '');
}

export function Money({ m }) {
  if (!m) return '–';
  return html`<span class="money">${m.formatted}</span>`;
}

const loc = () => (lang === 'sv' ? 'sv-SE' : 'en-GB');

export function fmtTime(iso, { date = true, time = true } = {}) {
  if (!iso) return '–';
  const o = { timeZone: session.timeZone };
  if (date) Object.assign(o, { year: 'numeric', month: 'short', day: 'numeric' });
  if (time) Object.assign(o, { hour: '2-digit', minute: '2-digit' });
  return new Intl.DateTimeFormat(loc(), o).format(new Date(iso));
}

export function Time({ t: iso, date, time }) {
  return iso ? html`<time datetime=${iso}>${fmtTime(iso, { date, time })}</time>` : '–';
}

// zonedMidnight returns the instant of local midnight starting the day
// that holds date (a Date), in the merchant's time zone, moved by days.
export function zonedDayStart(date, days = 0) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: session.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(date).split('-').map(Number);
  return zonedInstant(parts[0], parts[1], parts[2] + days);
}

// zonedInstant: the instant of y-m-d 00:00 in the merchant's time zone.
export function zonedInstant(y, m, d) {
  const guess = Date.UTC(y, m - 1, d);
  const off = (ms) => {
    const p = new Intl.DateTimeFormat('en-US', { timeZone: session.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms)).reduce((a, x) => ({ ...a, [x.type]: x.value }), {});
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - ms;
  };
  let ms = guess - off(guess);
  ms = guess - off(ms);
  return new Date(ms);
}

// localDate writes an instant as YYYY-MM-DD in the merchant's zone (for
// <input type=date>).
export function localDate(d) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: session.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function fromLocalDate(s, days = 0) {
  const [y, m, d] = s.split('-').map(Number);
  return zonedInstant(y, m, d + days);
}

// ---- display -------------------------------------------------------------

const tone = {
  PAID: 'ok', CAPTURED: 'ok', ACTIVE: 'ok', SUCCEEDED: 'ok', ENABLED: 'ok',
  RESERVED: 'warn', AUTHORIZED: 'warn', PARTIALLY_CAPTURED: 'warn', CONFIRMATION_SENT: 'info', PENDING: 'info', REQUIRES_ACTION: 'info',
  PENDING_MANDATE: 'info', OPEN: 'info', INVITED: 'info', PAUSED: 'muted', DRAFT: 'muted',
  PARTIALLY_REFUNDED: 'muted', REFUNDED: 'muted', VOIDED: 'muted', CANCELLED: 'muted', DEACTIVATED: 'muted', VOID: 'muted', DISABLED: 'muted',
  FAILED: 'bad', EXPIRED: 'bad', PAST_DUE: 'bad',
};

// Status is an object's status as words, with a mark and a colour that
// only repeat what the words say.
export function Status({ value, kind }) {
  const mark = { ok: '✓', warn: '◔', info: '…', bad: '!', muted: '–' }[tone[value] || 'muted'];
  return html`<span class=${'status ' + (tone[value] || 'muted')} data-status=${value}><span aria-hidden="true">${mark} </span>${statusText(value, kind)}</span>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t('loading')}</p>`;
}

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  return html`<div class="error" role="alert">${error.message}${retry && html` <button class="inline" onClick=${retry}>${t('retry')}</button>`}</div>`;
}

export function Page({ title, actions, children, back }) {
  useEffect(() => { document.title = title + ' · kassa'; }, [title]);
  return html`<section class="page">
    ${back && html`<p class="back"><${Link} href=${back.href}>← ${back.label}</${Link}></p>`}
    <header class="page-head"><h1 tabindex="-1" id="page-title">${title}</h1>${actions && html`<div class="page-actions">${actions}</div>`}</header>
    ${children}
  </section>`;
}

export function Panel({ title, children, id, actions }) {
  return html`<section class="panel" aria-labelledby=${id}>
    ${title && html`<header class="panel-head"><h2 id=${id}>${title}</h2>${actions}</header>`}
    ${children}
  </section>`;
}

// Pager pages a connection forwards; the cursors seen make "previous".
export function usePager(resetDeps = []) {
  const [stack, setStack] = useState([null]);
  useEffect(() => setStack([null]), resetDeps);
  const after = stack[stack.length - 1];
  return {
    after,
    Pager: ({ pageInfo }) => (stack.length < 2 && !pageInfo?.hasNextPage ? null : html`<nav class="pager" aria-label=${t('next')}>
      <button class="secondary" disabled=${stack.length < 2} onClick=${() => setStack(stack.slice(0, -1))}>${t('prev')}</button>
      <button class="secondary" disabled=${!pageInfo?.hasNextPage} onClick=${() => setStack([...stack, pageInfo.endCursor])}>${t('next')}</button>
    </nav>`),
  };
}

export function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      try { document.execCommand('copy'); } catch { /* nothing more to try */ }
      ta.remove();
    }
    setDone(true); setTimeout(() => setDone(false), 1500);
  };
  return html`<button type="button" class="secondary inline" onClick=${copy}>${done ? t('copied') : (label || t('copy'))}</button>`;
}

// qrSvg returns an SVG document of a QR code for text.
export function qrSvg(text) {
  const q = qrcode(0, 'M');
  q.addData(text);
  q.make();
  return q.createSvgTag({ cellSize: 6, margin: 4, scalable: true, alt: { text: 'QR: ' + text }, title: { text } });
}

export function QR({ text, name = 'qr' }) {
  const svg = qrSvg(text);
  const href = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  return html`<figure class="qr">
    <img src=${href} alt=${t('qr') + ': ' + text} width="180" height="180" />
    <figcaption><a href=${href} download=${name + '.svg'}>${t('qrDownload')}</a></figcaption>
  </figure>`;
}

// Table shows rows as a table on a desktop and as stacked cards on a
// phone (each cell labelled by data-label, see app.css).
export function Table({ cols, rows, empty, caption }) {
  if (!rows.length) return html`<p class="empty">${empty || t('none')}</p>`;
  return html`<div class="table-wrap"><table class="data">
    ${caption && html`<caption class="sr-only">${caption}</caption>`}
    <thead><tr>${cols.map((c) => html`<th scope="col" class=${c.num ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r, i) => html`<tr key=${r.id || i}>${cols.map((c) => html`<td class=${c.num ? 'num' : ''} data-label=${c.label}>${c.cell(r)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

// percent writes a VAT rate in basis points as people read it: 2500 → "25 %".
export const percent = (bp) => (bp / 100).toLocaleString(lang === 'sv' ? 'sv-SE' : 'en-GB') + ' %';

// cardText names a stored card as people say it: "Visa •••• 4242, 12/29".
export function cardText(c, withExpiry = false) {
  if (!c) return '–';
  const brands = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', maestro: 'Maestro', discover: 'Discover', unknown: '' };
  const b = brands[(c.brand || '').toLowerCase()] ?? c.brand;
  const exp = withExpiry && c.expMonth ? ', ' + String(c.expMonth).padStart(2, '0') + '/' + String(c.expYear % 100).padStart(2, '0') : '';
  return (b ? b + ' ' : '') + '•••• ' + c.last4 + exp;
}

export function DL({ items }) {
  return html`<dl class="dl">${items.filter(Boolean).map(([k, v]) => html`<div><dt>${k}</dt><dd>${v ?? '–'}</dd></div>`)}</dl>`;
}
