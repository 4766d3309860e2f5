// Payment links: the list with each link's address and QR code (to print
// for a fair or a shop window), a form for a new link, and deactivation.
import {
  html, useState, useEffect, Page, Link, Loading, ErrorBox, Status, Time, useQuery, useLive,
  useForm, Input, Select, Check, FormError, usePager, query, setQuery, session, parseAmount, CopyButton, QR, fromLocalDate, localDate, fmtTime, percent,
} from '../ui.js';
import { mutate } from '../gql.js';
import { tt, t, lang, statusText } from '../i18n.js';

const T = {
  en: {
    title: 'Payment links', newLink: 'New payment link', newHead: 'New payment link', create: 'Create payment link',
    amount: 'Amount', amountHint: 'Including VAT, in {0}', description: 'Description', descriptionHint: 'What the customer pays for; shown on the payment page.',
    vatRate: 'VAT rate', reusable: 'Reusable', reusableHint: 'Anyone with the link can pay, any number of times; each payment makes its own order. Otherwise the link takes one payment.',
    expires: 'Expires', expiresHint: 'The link works until the end of this day. Leave empty for no end date.',
    customerEmail: 'Customer email', customerEmailHint: 'Optional: the receipt goes here.', currency: 'Currency',
    captureMode: 'When to take the money', IMMEDIATE: 'At purchase', RESERVE: 'Reserve now, capture at delivery',
    badAmount: 'Write an amount, e.g. 1 250,00.', created: 'Created', createdHead: 'Your new payment link',
    createdNote: 'Share the address, or print the QR code: customers scan it and pay with their card.',
    status: 'Status', kind: 'Kind', viewsAttempts: 'Views / attempts', expiry: 'Expires', never: 'Never',
    ORDER: 'Order confirmation', AMOUNT: 'Single use', REUSABLE: 'Reusable', CHECKOUT: 'Webshop checkout',
    show: 'Show link', hide: 'Hide link', showFor: 'Show link: {0}', hideFor: 'Hide link: {0}',
    address: 'Address', deactivate: 'Deactivate', confirmDeactivate: 'Deactivate the link “{0}”? Customers can no longer pay through it.',
    deactivated: 'The link was deactivated.', order: 'Order {0}', noLinks: 'No payment links match.', close: 'Close',
    views: '{0} views, {1} payment attempts', details: 'Link', through: 'Until the end of {0}',
  },
  sv: {
    title: 'Betallänkar', newLink: 'Ny betallänk', newHead: 'Ny betallänk', create: 'Skapa betallänk',
    amount: 'Belopp', amountHint: 'Inklusive moms, i {0}', description: 'Beskrivning', descriptionHint: 'Vad kunden betalar för; visas på betalsidan.',
    vatRate: 'Momssats', reusable: 'Återanvändbar', reusableHint: 'Alla med länken kan betala, hur många gånger som helst; varje betalning blir en egen order. Annars tar länken en betalning.',
    expires: 'Gäller till', expiresHint: 'Länken fungerar till slutet av den dagen. Lämna tomt för inget slutdatum.',
    customerEmail: 'Kundens e-post', customerEmailHint: 'Frivilligt: kvittot skickas hit.', currency: 'Valuta',
    captureMode: 'När pengarna dras', IMMEDIATE: 'Vid köpet', RESERVE: 'Reservera nu, dra vid leverans',
    badAmount: 'Skriv ett belopp, t.ex. 1 250,00.', created: 'Skapad', createdHead: 'Din nya betallänk',
    createdNote: 'Dela adressen, eller skriv ut QR-koden: kunden skannar den och betalar med kort.',
    status: 'Status', kind: 'Typ', viewsAttempts: 'Visningar / försök', expiry: 'Gäller till', never: 'Tills vidare',
    ORDER: 'Orderbekräftelse', AMOUNT: 'Engångs', REUSABLE: 'Återanvändbar', CHECKOUT: 'Webbshopskassa',
    show: 'Visa länk', hide: 'Dölj länk', showFor: 'Visa länk: {0}', hideFor: 'Dölj länk: {0}',
    address: 'Adress', deactivate: 'Avaktivera', confirmDeactivate: 'Avaktivera länken ”{0}”? Kunder kan inte längre betala med den.',
    deactivated: 'Länken avaktiverades.', order: 'Order {0}', noLinks: 'Inga betallänkar matchar.', close: 'Stäng',
    views: '{0} visningar, {1} betalningsförsök', details: 'Länk', through: 'T.o.m. {0}',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const STATUSES = ['ACTIVE', 'PAID', 'EXPIRED', 'DEACTIVATED'];
const pct = percent;

// expiryText writes an end at local midnight as the last day the link
// works (the form asks for that day), any other end as date and time.
function expiryText(iso) {
  const d = new Date(iso);
  if (/^00\D00$/.test(fmtTime(iso, { date: false }))) return tx('through', fmtTime(new Date(d.getTime() - 1).toISOString(), { time: false }));
  return fmtTime(iso);
}

const linkFields = `id url kind status reusable description customerEmail captureMode expiresAt views attempts paidAt createdAt
  amount { amount currency formatted } order { id number }`;

const listQuery = `query Links($first: Int, $after: String, $status: [PaymentLinkStatus!]) {
  paymentLinks(first: $first, after: $after, status: $status) {
    edges { node { ${linkFields} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function LinksPage() {
  const q = query();
  const [status, setStatus] = useState(q.get('status') || '');
  const [open, setOpen] = useState(q.get('new') === '1');
  const [created, setCreated] = useState(null);
  const pager = usePager([status]);
  const vars = { first: 25, after: pager.after, status: status ? [status] : null };
  const { data, error, loading, reload } = useQuery(listQuery, vars, [status, pager.after]);
  // A single-use link is paid through its order: an order's change is
  // the news that a link changed.
  useLive('subscription { orderUpdated { id status } }', {}, () => reload(), []);
  const onCreated = (l) => { setCreated(l); setOpen(false); reload(); };
  const edges = data?.paymentLinks.edges || [];
  return html`<${Page} title=${tx('title')} actions=${html`<button type="button" aria-expanded=${open} aria-controls="new-link"
      onClick=${() => { setOpen(!open); setCreated(null); }}>${tx('newLink')}</button>`}>
    ${created && html`<${NewLinkPanel} link=${created} onClose=${() => setCreated(null)} />`}
    ${open && html`<${LinkForm} onCreated=${onCreated} />`}
    <form class="filters links-filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="l-status">${tx('status')}</label>
        <select id="l-status" value=${status} onChange=${(e) => { const v = e.currentTarget.value; setStatus(v); setQuery({ status: v }); }}>
          <option value="">${t('all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusText(s)}</option>`)}
        </select></div>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : !error && html`<div class="panel">
      <${LinkTable} links=${edges.map((e) => e.node)} onChange=${reload} />
      <${pager.Pager} pageInfo=${data?.paymentLinks.pageInfo} />
    </div>`}
  </${Page}>`;
}

function NewLinkPanel({ link: l, onClose }) {
  useEffect(() => { document.getElementById('new-link-h')?.focus(); }, [l.id]);
  return html`<section class="panel new-link" aria-labelledby="new-link-h">
    <header class="panel-head"><h2 id="new-link-h" tabindex="-1">${tx('createdHead')}</h2>
      <button type="button" class="secondary inline" onClick=${onClose}>${tx('close')}</button></header>
    <p role="status">${l.description} · ${l.amount.formatted} · ${tx(l.kind)}</p>
    <p class="hint">${tx('createdNote')}</p>
    <p class="link-url"><a href=${l.url} target="_blank" rel="noopener">${l.url}</a> <${CopyButton} text=${l.url} /></p>
    <${QR} text=${l.url} name=${'payment-link-' + l.id} />
    ${l.order && html`<p><${Link} href=${'/orders/' + l.order.id}>${tx('order', l.order.number)}</${Link}></p>`}
  </section>`;
}

function LinkForm({ onCreated }) {
  const cur = session.merchant?.defaultCurrency || 'SEK';
  const form = useForm({ amount: '', description: '', vatRate: '2500', reusable: false, expiresAt: '', customerEmail: '', captureMode: 'IMMEDIATE', currency: cur });
  const v = form.values;
  const submit = async (e) => {
    e.preventDefault();
    // What the browser can tell at once it tells at once, keeping all
    // that was typed; the server checks everything again.
    const amount = parseAmount(v.amount, v.currency);
    if (amount == null || amount <= 0) { form.setErrors({ amount: tx('badAmount') }); form.setFormError(t('err.form')); return; }
    const input = {
      amount, currency: v.currency, description: v.description, vatRate: Number(v.vatRate), reusable: !!v.reusable,
      captureMode: v.captureMode, customerEmail: v.customerEmail.trim() || null,
    };
    if (v.expiresAt) input.expiresAt = fromLocalDate(v.expiresAt, 1).toISOString();
    const p = await form.submit(() => mutate(`mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) {
      paymentLink { ${linkFields} } userErrors { field message code } } }`, { input }));
    if (p?.paymentLink) onCreated(p.paymentLink);
  };
  return html`<form id="new-link" class="panel" onSubmit=${submit} aria-labelledby="new-link-form-h" novalidate>
    <h2 id="new-link-form-h">${tx('newHead')}</h2>
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="amount" id="link-amount" inputmode="decimal" label=${tx('amount')} hint=${tx('amountHint', v.currency)} autocomplete="off" />
      <${Select} form=${form} name="vatRate" id="link-vat" class="narrow" label=${tx('vatRate')} options=${[2500, 1200, 600, 0].map((r) => [String(r), pct(r)])} />
      <${Select} form=${form} name="currency" id="link-currency" class="narrow" label=${tx('currency')}
        options=${[...new Set([cur, 'SEK', 'EUR', 'NOK', 'DKK', 'USD'])].map((c) => [c, c])} />
    </div>
    <${Input} form=${form} name="description" id="link-description" label=${tx('description')} hint=${tx('descriptionHint')} autocomplete="off" />
    <${Check} form=${form} name="reusable" id="link-reusable" label=${tx('reusable')} hint=${tx('reusableHint')} />
    <div class="form-row">
      <${Input} form=${form} name="expiresAt" id="link-expires" type="date" min=${localDate(new Date())} label=${tx('expires')} hint=${tx('expiresHint')} />
      <${Input} form=${form} name="customerEmail" id="link-email" type="email" label=${tx('customerEmail')} hint=${tx('customerEmailHint')} autocomplete="off" />
    </div>
    <${Select} form=${form} name="captureMode" id="link-mode" label=${tx('captureMode')} options=${[['IMMEDIATE', tx('IMMEDIATE')], ['RESERVE', tx('RESERVE')]]} />
    <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('create')}</button></div>
  </form>`;
}

// LinkTable lists links; a row opens below itself with the address, its
// QR code and the deactivate button (a table on a desktop, cards on a
// phone).
function LinkTable({ links, onChange }) {
  const [open, setOpen] = useState({});
  if (!links.length) return html`<p class="empty">${tx('noLinks')}</p>`;
  const cols = [
    [tx('description'), (l) => html`${l.description || '–'}${l.order && html`<br /><${Link} href=${'/orders/' + l.order.id}>${tx('order', l.order.number)}</${Link}>`}`],
    [tx('amount'), (l) => l.amount.formatted, true],
    [tx('kind'), (l) => tx(l.kind), false, 'nowrap'],
    [tx('status'), (l) => html`<${Status} value=${l.status} />`],
    [tx('viewsAttempts'), (l) => html`<span aria-label=${tx('views', l.views, l.attempts)}>${l.views} / ${l.attempts}</span>`, true],
    [tx('expiry'), (l) => (l.expiresAt ? html`<time datetime=${l.expiresAt}>${expiryText(l.expiresAt)}</time>` : tx('never'))],
    [tx('created'), (l) => html`<${Time} t=${l.createdAt} />`],
  ];
  return html`<div class="table-wrap"><table class="data links-table">
    <caption class="sr-only">${tx('title')}</caption>
    <thead><tr>${cols.map(([label, , num]) => html`<th scope="col" class=${num ? 'num' : ''}>${label}</th>`)}<th scope="col"><span class="sr-only">${tx('details')}</span></th></tr></thead>
    ${links.map((l) => {
      const shown = !!open[l.id];
      const name = l.description || l.amount.formatted;
      return html`<tbody key=${l.id} class=${shown ? 'open' : ''}>
        <tr data-link=${l.id}>
          ${cols.map(([label, cell, num, cls]) => html`<td class=${(num ? 'num' : '') + (cls ? ' ' + cls : '')} data-label=${label}>${cell(l)}</td>`)}
          <td class="toggle"><button type="button" class="secondary inline" aria-expanded=${shown} aria-controls=${'link-' + l.id}
            aria-label=${tx(shown ? 'hideFor' : 'showFor', name)} onClick=${() => setOpen({ ...open, [l.id]: !shown })}>${tx(shown ? 'hide' : 'show')}</button></td>
        </tr>
        ${shown && html`<tr class="link-detail"><td colspan=${cols.length + 1} id=${'link-' + l.id}><${LinkDetail} link=${l} onChange=${onChange} /></td></tr>`}
      </tbody>`;
    })}
  </table></div>`;
}

function LinkDetail({ link: l, onChange }) {
  const form = useForm({});
  const [done, setDone] = useState('');
  const deactivate = async () => {
    if (!window.confirm(tx('confirmDeactivate', l.description || l.amount.formatted))) return;
    const p = await form.submit(() => mutate(`mutation($input: DeactivatePaymentLinkInput!) { deactivatePaymentLink(input: $input) {
      paymentLink { id status } userErrors { field message code } } }`, { input: { paymentLinkId: l.id } }));
    if (p) { setDone(tx('deactivated')); onChange(); }
  };
  return html`<div class="link-box">
    <div class="link-info">
      <p><strong>${tx('address')}:</strong> <a href=${l.url} target="_blank" rel="noopener">${l.url}</a> <${CopyButton} text=${l.url} /></p>
      <p>${tx('views', l.views, l.attempts)}${l.customerEmail ? ` · ${l.customerEmail}` : ''} · ${tx(l.captureMode)}</p>
      ${l.order && html`<p><${Link} href=${'/orders/' + l.order.id}>${tx('order', l.order.number)}</${Link}></p>`}
      ${done && html`<p class="notice" role="status">${done}</p>`}
      <${FormError} message=${form.formError} />
      ${l.status === 'ACTIVE' && html`<p><button type="button" class="danger" disabled=${form.busy} onClick=${deactivate}>${tx('deactivate')}</button></p>`}
    </div>
    ${l.status === 'ACTIVE' && html`<${QR} text=${l.url} name=${'payment-link-' + l.id} />`}
  </div>`;
}
