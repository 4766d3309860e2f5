// Orders: the list, the salesperson's new-order form, an order's page with
// everything that happened to it, and the actions each role may take.
import {
  html, useState, useEffect, Page, Panel, Link, Loading, ErrorBox, Status, Money, Time, Table, DL, useQuery, useLive, LiveBadge,
  useForm, Input, Select, TextArea, Check, Field, FormError, usePager, query, setQuery, navigate, session, isManager, parseAmount,
  formatMinor, amountInput, CopyButton, QR, fromLocalDate, findError, fmtTime, cardText, percent,
} from '../ui.js';
import { mutate, newKey } from '../gql.js';
import { tt, t, lang, statusText } from '../i18n.js';

const T = {
  en: {
    title: 'Orders', newTitle: 'New order', editTitle: 'Edit order {0}', order: 'Order {0}', number: 'Number', total: 'Total',
    searchLabel: 'Search orders', searchHint: 'Number, customer, reference or line text', statusLabel: 'Status',
    customerHead: 'Customer', customerName: 'Customer name', customerEmail: 'Customer email', customerPhone: 'Phone',
    language: 'Language of emails and payment page', sv: 'Swedish', en: 'English',
    linesHead: 'Lines', line: 'Line {0}', description: 'Description', quantity: 'Quantity', unitPrice: 'Unit price',
    unitPriceHint: 'Including VAT, in {0}', vatRate: 'VAT rate', addLine: 'Add line', removeLine: 'Remove line {0}',
    currency: 'Currency', captureMode: 'When to take the money', IMMEDIATE: 'At purchase', RESERVE: 'Reserve now, capture at delivery',
    reference: 'Your reference', message: 'Message to the customer', messageHint: 'Shown above the order in the confirmation email.',
    create: 'Create order', saveChanges: 'Save changes (new version)', badAmount: 'Write an amount, e.g. 1 250,00.',
    badQuantity: 'Write a whole number of at least 1.', needLine: 'Add at least one line.',
    net: 'Net', vat: 'VAT', gross: 'Total incl. VAT', vatAt: 'VAT {0}', paid: 'Paid', refunded: 'Refunded',
    send: 'Send order confirmation', sendHead: 'Send the order confirmation', cc: 'Send me a copy', expires: 'Link valid until',
    sent: 'The order confirmation was sent to {0}.', resend: 'Resend confirmation', resent: 'Sent again.',
    edit: 'Edit', cancelOrder: 'Cancel order', confirmCancel: 'Cancel order {0}? A reservation is released.',
    deliver: 'Mark delivered', deliverHead: 'Delivery', deliverAmount: 'Amount delivered', deliverHint: 'Leave empty to capture all that is reserved ({0}).',
    delivered: 'Captured.', refundHead: 'Refund', refundAmount: 'Amount to refund', refundHint: 'Up to {0}. Leave empty to refund all of it.',
    reason: 'Reason', refund: 'Refund', refundedMsg: 'Refunded {0}.', confirmRefund: 'Refund {0} to the customer\u2019s card?',
    confirmations: 'Order confirmations', version: 'Version {0}', sentTimes: 'Sent {0} times, last {1}', sentOnce: 'Sent {0}', notSent: 'Not sent',
    accepted: 'Accepted by the customer {0} from {1}', notAccepted: 'Not accepted yet', link: 'Payment link',
    payments: 'Payments', noPayments: 'No payments yet.', history: 'History', card: 'Card', createdBy: 'Created by',
    receipts: 'Receipts', receiptNote: 'A receipt is emailed to the customer when a payment is captured.',
    from: 'Created from', to: 'Created to', noOrders: 'No orders match.', capture: 'Capture', mode: 'Capture',
    draftHint: 'This order is a draft: the customer has seen nothing yet. Send the order confirmation when it is right.',
    newVersionHint: 'The order was changed after the last confirmation: send the new version.',
    pending: 'Payment in progress…', customerHistory: 'All of this customer', created: 'Created', customer: 'Customer', status: 'Status',
  },
  sv: {
    title: 'Ordrar', newTitle: 'Ny order', editTitle: 'Ändra order {0}', order: 'Order {0}', number: 'Nummer', total: 'Summa',
    searchLabel: 'Sök ordrar', searchHint: 'Nummer, kund, referens eller radtext', statusLabel: 'Status',
    customerHead: 'Kund', customerName: 'Kundens namn', customerEmail: 'Kundens e-post', customerPhone: 'Telefon',
    language: 'Språk i e-post och på betalsidan', sv: 'Svenska', en: 'Engelska',
    linesHead: 'Rader', line: 'Rad {0}', description: 'Beskrivning', quantity: 'Antal', unitPrice: 'Styckpris',
    unitPriceHint: 'Inklusive moms, i {0}', vatRate: 'Momssats', addLine: 'Lägg till rad', removeLine: 'Ta bort rad {0}',
    currency: 'Valuta', captureMode: 'När pengarna dras', IMMEDIATE: 'Vid köpet', RESERVE: 'Reservera nu, dra vid leverans',
    reference: 'Er referens', message: 'Meddelande till kunden', messageHint: 'Visas ovanför ordern i bekräftelsemejlet.',
    create: 'Skapa order', saveChanges: 'Spara ändringar (ny version)', badAmount: 'Skriv ett belopp, t.ex. 1 250,00.',
    badQuantity: 'Skriv ett heltal, minst 1.', needLine: 'Lägg till minst en rad.',
    net: 'Netto', vat: 'Moms', gross: 'Summa inkl. moms', vatAt: 'Moms {0}', paid: 'Betalt', refunded: 'Återbetalt',
    send: 'Skicka orderbekräftelse', sendHead: 'Skicka orderbekräftelsen', cc: 'Skicka en kopia till mig', expires: 'Länken gäller till',
    sent: 'Orderbekräftelsen skickades till {0}.', resend: 'Skicka bekräftelsen igen', resent: 'Skickad igen.',
    edit: 'Ändra', cancelOrder: 'Makulera order', confirmCancel: 'Makulera order {0}? En reservation släpps.',
    deliver: 'Markera som levererad', deliverHead: 'Leverans', deliverAmount: 'Levererat belopp', deliverHint: 'Lämna tomt för att dra hela det reserverade beloppet ({0}).',
    delivered: 'Draget.', refundHead: 'Återbetalning', refundAmount: 'Belopp att återbetala', refundHint: 'Högst {0}. Lämna tomt för att återbetala allt.',
    reason: 'Anledning', refund: 'Återbetala', refundedMsg: 'Återbetalade {0}.', confirmRefund: 'Återbetala {0} till kundens kort?',
    confirmations: 'Orderbekräftelser', version: 'Version {0}', sentTimes: 'Skickad {0} gånger, senast {1}', sentOnce: 'Skickad {0}', notSent: 'Inte skickad',
    accepted: 'Godkänd av kunden {0} från {1}', notAccepted: 'Inte godkänd än', link: 'Betallänk',
    payments: 'Betalningar', noPayments: 'Inga betalningar än.', history: 'Historik', card: 'Kort', createdBy: 'Skapad av',
    receipts: 'Kvitton', receiptNote: 'Kunden får ett kvitto med e-post när en betalning dras.',
    from: 'Skapad från', to: 'Skapad till', noOrders: 'Inga ordrar matchar.', capture: 'Dra', mode: 'Dragning',
    draftHint: 'Ordern är ett utkast: kunden har inte sett något än. Skicka orderbekräftelsen när den stämmer.',
    newVersionHint: 'Ordern ändrades efter senaste bekräftelsen: skicka den nya versionen.',
    pending: 'Betalning pågår…', customerHistory: 'Allt om kunden', created: 'Skapad', customer: 'Kund', status: 'Status',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const STATUSES = ['DRAFT', 'CONFIRMATION_SENT', 'RESERVED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CANCELLED', 'EXPIRED'];
const pct = percent;

// ---- list ------------------------------------------------------------------

const listQuery = `query Orders($first: Int, $after: String, $filter: OrderFilter) {
  orders(first: $first, after: $after, filter: $filter) {
    edges { node { id number status customer { name email } totals { gross { amount currency formatted } } createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function OrdersPage() {
  const q = query();
  const [f, setF] = useState({ status: q.get('status') || '', search: q.get('search') || '', from: q.get('from') || '', to: q.get('to') || '' });
  const [applied, setApplied] = useState(f);
  const pager = usePager([applied]);
  const filter = {};
  if (applied.status) filter.status = [applied.status];
  if (applied.search.trim()) filter.search = applied.search.trim();
  if (applied.from) filter.createdFrom = fromLocalDate(applied.from).toISOString();
  if (applied.to) filter.createdTo = fromLocalDate(applied.to, 1).toISOString();
  const { data, error, loading, reload } = useQuery(listQuery, { first: 25, after: pager.after, filter }, [JSON.stringify(filter), pager.after]);
  useLive('subscription { orderUpdated { id } }', {}, () => reload(), []);
  const apply = (e) => { e.preventDefault(); setApplied(f); setQuery(f); };
  const edges = data?.orders.edges || [];
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} /><${Link} class="button" href="/orders/new">${t('nav.newOrder')}</${Link}>`}>
    <form class="filters" role="search" onSubmit=${apply}>
      <div class="field wide"><label for="o-search">${tx('searchLabel')}</label>
        <input id="o-search" type="search" value=${f.search} placeholder=${tx('searchHint')} onInput=${(e) => setF({ ...f, search: e.currentTarget.value })} /></div>
      <div class="field"><label for="o-status">${tx('statusLabel')}</label>
        <select id="o-status" value=${f.status} onChange=${(e) => { const n = { ...f, status: e.currentTarget.value }; setF(n); setApplied(n); setQuery(n); }}>
          <option value="">${t('all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusText(s)}</option>`)}
        </select></div>
      <div class="field"><label for="o-from">${tx('from')}</label><input id="o-from" type="date" value=${f.from} onInput=${(e) => setF({ ...f, from: e.currentTarget.value })} /></div>
      <div class="field"><label for="o-to">${tx('to')}</label><input id="o-to" type="date" value=${f.to} onInput=${(e) => setF({ ...f, to: e.currentTarget.value })} /></div>
      <button type="submit">${t('apply')}</button>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<div class="panel">
      <${Table} caption=${tx('title')} empty=${tx('noOrders')} rows=${edges.map((e) => e.node)} cols=${[
        { label: tx('number'), cell: (o) => html`<${Link} href=${'/orders/' + o.id}>${tx('order', o.number)}</${Link}>` },
        { label: tx('customer'), cell: (o) => html`${o.customer.name || o.customer.email || '–'}` },
        { label: tx('status'), cell: (o) => html`<${Status} value=${o.status} />` },
        { label: tx('total'), num: true, cell: (o) => html`<${Money} m=${o.totals.gross} />` },
        { label: tx('created'), cell: (o) => html`<${Time} t=${o.createdAt} />` },
      ]} />
      <${pager.Pager} pageInfo=${data?.orders.pageInfo} />
    </div>`}
  </${Page}>`;
}

// ---- new / edit --------------------------------------------------------------

const emptyLine = () => ({ description: '', quantity: '1', unitPrice: '', vatRate: '2500' });

const orderFields = `id number status version currency captureMode reference
  customer { id name email phone locale }
  lines { position description quantity unitPrice { amount currency formatted } vatRate net { formatted } vat { formatted } gross { formatted } }
  totals { net { formatted } vat { formatted } gross { amount currency formatted } byRate { rate net { formatted } vat { formatted } gross { formatted } } }`;

function OrderForm({ initial, onSubmit, submitLabel, busyLabel }) {
  const cur = initial?.currency || session.merchant.defaultCurrency || 'SEK';
  const form = useForm({
    'customer.name': initial?.customer.name || '', 'customer.email': initial?.customer.email || '',
    'customer.phone': initial?.customer.phone || '', 'customer.locale': initial?.customer.locale || (lang === 'en' ? 'en' : 'sv'),
    currency: cur, captureMode: initial?.captureMode || 'IMMEDIATE', reference: initial?.reference || '', message: '',
  });
  const [lines, setLines] = useState(initial
    ? initial.lines.map((l) => ({ description: l.description, quantity: String(l.quantity), unitPrice: amountInput(l.unitPrice.amount, cur), vatRate: String(l.vatRate) }))
    : [emptyLine()]);
  const setLine = (i, k, v) => setLines(lines.map((l, j) => (j === i ? { ...l, [k]: v } : l)));
  const currency = form.values.currency;
  const total = lines.reduce((s, l) => {
    const p = parseAmount(l.unitPrice, currency), n = parseInt(l.quantity, 10);
    return p != null && n > 0 ? s + p * n : s;
  }, 0);

  const submit = async (e) => {
    e.preventDefault();
    // What the browser can tell at once, it tells at once (and keeps
    // everything typed); the server checks everything again.
    const local = {};
    const out = lines.map((l, i) => {
      const p = parseAmount(l.unitPrice, currency);
      if (p == null) local[`lines.${i}.unitPrice`] = tx('badAmount');
      const n = Number(l.quantity);
      if (!Number.isInteger(n) || n < 1) local[`lines.${i}.quantity`] = tx('badQuantity');
      return { description: l.description, quantity: Number.isInteger(n) ? n : 0, unitPrice: p ?? 0, vatRate: Number(l.vatRate) };
    });
    if (!lines.length) local.lines = tx('needLine');
    if (Object.keys(local).length) { form.setErrors(local); form.setFormError(t('err.form')); return; }
    const v = form.values;
    const input = {
      customer: { name: v['customer.name'], email: v['customer.email'] || null, phone: v['customer.phone'] || null, locale: v['customer.locale'] },
      lines: out, captureMode: v.captureMode, reference: v.reference || null,
    };
    await onSubmit(form, input, v);
  };

  const e = form.errors;
  return html`<form class="panel order-form" onSubmit=${submit} novalidate>
    <${FormError} message=${form.formError} />
    <h2>${tx('customerHead')}</h2>
    <div class="form-row">
      <${Input} form=${form} name="customer.name" id="customer-name" label=${tx('customerName')} autocomplete="off" />
      <${Input} form=${form} name="customer.email" id="customer-email" label=${tx('customerEmail')} type="email" autocomplete="off" />
    </div>
    <div class="form-row">
      <${Input} form=${form} name="customer.phone" id="customer-phone" label=${tx('customerPhone')} type="tel" autocomplete="off" />
      <${Select} form=${form} name="customer.locale" id="customer-locale" label=${tx('language')} options=${[['sv', tx('sv')], ['en', tx('en')]]} />
    </div>
    <fieldset class="lines">
      <legend>${tx('linesHead')}</legend>
      ${findError(e, 'lines') && !Object.keys(e).some((k) => k.startsWith('lines.')) && html`<p class="field-error" role="alert">${e.lines}</p>`}
      ${lines.map((l, i) => html`<fieldset class="line" key=${i} aria-label=${tx('line', i + 1)}>
        <div class="line-head"><span>${tx('line', i + 1)}</span>
          ${lines.length > 1 && html`<button type="button" class="linkish" onClick=${() => setLines(lines.filter((_, j) => j !== i))}>${tx('removeLine', i + 1)}</button>`}</div>
        <${Field} id=${'line-' + i + '-description'} label=${tx('description')} error=${e[`lines.${i}.description`]}>${(a) =>
          html`<input id=${'line-' + i + '-description'} value=${l.description} onInput=${(ev) => setLine(i, 'description', ev.currentTarget.value)} ...${a} />`}</${Field}>
        <div class="form-row">
          <${Field} class="narrow" id=${'line-' + i + '-quantity'} label=${tx('quantity')} error=${e[`lines.${i}.quantity`]}>${(a) =>
            html`<input id=${'line-' + i + '-quantity'} inputmode="numeric" value=${l.quantity} onInput=${(ev) => setLine(i, 'quantity', ev.currentTarget.value)} ...${a} />`}</${Field}>
          <${Field} id=${'line-' + i + '-unitPrice'} label=${tx('unitPrice')} hint=${tx('unitPriceHint', currency)} error=${e[`lines.${i}.unitPrice`]}>${(a) =>
            html`<input id=${'line-' + i + '-unitPrice'} inputmode="decimal" value=${l.unitPrice} onInput=${(ev) => setLine(i, 'unitPrice', ev.currentTarget.value)} ...${a} />`}</${Field}>
          <${Field} class="narrow" id=${'line-' + i + '-vatRate'} label=${tx('vatRate')} error=${e[`lines.${i}.vatRate`]}>${(a) =>
            html`<select id=${'line-' + i + '-vatRate'} value=${l.vatRate} onChange=${(ev) => setLine(i, 'vatRate', ev.currentTarget.value)} ...${a}>
              ${[2500, 1200, 600, 0].map((r) => html`<option value=${String(r)}>${pct(r)}</option>`)}
            </select>`}</${Field}>
        </div>
      </fieldset>`)}
      <button type="button" class="secondary" onClick=${() => setLines([...lines, emptyLine()])}>${tx('addLine')}</button>
    </fieldset>
    <p class="totals" aria-live="polite">${tx('gross')}: <strong>${formatMinor(total, currency)}</strong></p>
    <div class="form-row">
      <${Select} form=${form} name="captureMode" id="capture-mode" label=${tx('captureMode')} options=${[['IMMEDIATE', tx('IMMEDIATE')], ['RESERVE', tx('RESERVE')]]} />
      ${!initial && html`<${Select} form=${form} name="currency" id="currency" label=${tx('currency')} class="narrow"
        options=${[...new Set([cur, 'SEK', 'EUR', 'NOK', 'DKK', 'USD'])].map((c) => [c, c])} />`}
      <${Input} form=${form} name="reference" id="reference" label=${tx('reference')} />
    </div>
    ${!initial && html`<${TextArea} form=${form} name="message" id="message" label=${tx('message')} hint=${tx('messageHint')} />`}
    <div class="form-actions"><button type="submit" disabled=${form.busy}>${submitLabel}</button></div>
  </form>`;
}

export function NewOrderPage() {
  const onSubmit = async (form, input, v) => {
    input.currency = v.currency;
    const p = await form.submit(() => mutate(`mutation($input: CreateOrderInput!) { createOrder(input: $input) {
      order { id number } userErrors { field message code } } }`, { input }));
    if (p?.order) {
      if (v.message) sessionStorage.setItem('kassa.message.' + p.order.id, v.message);
      navigate('/orders/' + p.order.id);
    }
  };
  return html`<${Page} title=${tx('newTitle')} back=${{ href: '/orders', label: tx('title') }}>
    <${OrderForm} onSubmit=${onSubmit} submitLabel=${tx('create')} />
  </${Page}>`;
}

export function EditOrderPage({ id }) {
  const { data, error, loading, reload } = useQuery(`query($id: ID!) { node(id: $id) { ... on Order { ${orderFields} } } }`, { id }, [id]);
  if (loading) return html`<${Loading} />`;
  if (error || !data?.node) return html`<${ErrorBox} error=${error || { message: t('err.NOT_FOUND') }} retry=${reload} />`;
  const o = data.node;
  const onSubmit = async (form, input) => {
    const p = await form.submit(() => mutate(`mutation($input: UpdateOrderInput!) { updateOrder(input: $input) {
      order { id } userErrors { field message code } } }`, { input: { orderId: id, ...input } }));
    if (p?.order) navigate('/orders/' + id);
  };
  return html`<${Page} title=${tx('editTitle', o.number)} back=${{ href: '/orders/' + id, label: tx('order', o.number) }}>
    <${OrderForm} initial=${o} onSubmit=${onSubmit} submitLabel=${tx('saveChanges')} />
  </${Page}>`;
}

// ---- one order ---------------------------------------------------------------

const orderQuery = `query Order($id: ID!) { node(id: $id) { ... on Order {
  ${orderFields}
  paid { amount currency formatted } refunded { amount formatted } createdAt paidAt
  createdBy { name email } createdByApiKey { name }
  confirmations { id version message sentCount lastSentAt acceptedAt acceptedIp createdAt paymentLink { id url status } }
  paymentLinks { id url status kind expiresAt }
  payments { id status captureMode initiator amount { formatted } captured { amount formatted } refunded { formatted }
    refundable { amount currency formatted } capturable { amount currency formatted } captureBefore
    card { brand last4 expMonth expYear } createdAt failureMessage
    events { type amount { formatted } status detail actor { name email } createdAt } }
} } }`;

export function OrderPage({ id }) {
  const { data, error, loading, reload } = useQuery(orderQuery, { id }, [id]);
  // Said on the page itself: the form that did it may be gone once the
  // order has moved on.
  const [notice, setNotice] = useState('');
  useLive('subscription($id: ID) { orderUpdated(orderId: $id) { id status } }', { id }, () => reload(), [id]);
  if (loading && !data) return html`<${Loading} />`;
  if (error || !data?.node) return html`<${Page} title=${tx('title')} back=${{ href: '/orders', label: tx('title') }}><${ErrorBox} error=${error || { message: t('err.NOT_FOUND') }} retry=${reload} /></${Page}>`;
  const o = data.node;
  const latest = o.confirmations[o.confirmations.length - 1];
  const unpaid = ['DRAFT', 'CONFIRMATION_SENT'].includes(o.status);
  const needsSend = o.status === 'DRAFT' || (o.status === 'CONFIRMATION_SENT' && latest && latest.version < o.version);
  const link = latest?.paymentLink || o.paymentLinks.find((l) => l.status === 'ACTIVE');
  return html`<${Page} title=${tx('order', o.number)} back=${{ href: '/orders', label: tx('title') }}
      actions=${html`<${Status} value=${o.status} /><${LiveBadge} />`}>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${needsSend && html`<${SendPanel} order=${o} onDone=${(m) => { setNotice(m); reload(); }} />`}
    <div class="cols">
      <div>
        <${Panel} title=${tx('linesHead')} id="lines-h">
          <${Lines} order=${o} />
        </${Panel}>
        <${Panel} title=${tx('payments')} id="payments-h">
          ${o.payments.length ? o.payments.map((p) => html`<${PaymentBox} key=${p.id} p=${p} order=${o} onDone=${reload} />`) : html`<p class="empty">${tx('noPayments')}</p>`}
          ${o.payments.some((p) => p.status === 'CAPTURED' || p.status === 'PARTIALLY_REFUNDED') && html`<p class="hint">${tx('receiptNote')}</p>`}
        </${Panel}>
        <${Panel} title=${tx('confirmations')} id="conf-h">
          ${o.confirmations.length ? o.confirmations.slice().reverse().map((c) => html`<div class="confirmation" key=${c.id}>
            <h3>${tx('version', c.version)}</h3>
            <p>${c.sentCount === 1 ? tx('sentOnce', fmtTime(c.lastSentAt)) : c.sentCount ? tx('sentTimes', c.sentCount, fmtTime(c.lastSentAt)) : tx('notSent')}</p>
            <p>${c.acceptedAt ? tx('accepted', fmtTime(c.acceptedAt), c.acceptedIp || '–') : tx('notAccepted')}</p>
            ${c.message && html`<blockquote>${c.message}</blockquote>`}
            ${c === latest && unpaid && html`<${ResendButton} confirmationId=${c.id} />`}
          </div>`) : html`<p class="empty">${tx('notSent')}</p>`}
        </${Panel}>
      </div>
      <div>
        <${Panel} title=${tx('customerHead')} id="cust-h" actions=${o.customer.id && html`<${Link} href=${'/customers/' + o.customer.id}>${tx('customerHistory')}</${Link}>`}>
          <${DL} items=${[[tx('customerName'), o.customer.name], [tx('customerEmail'), o.customer.email], o.customer.phone && [tx('customerPhone'), o.customer.phone],
            [tx('language'), tx(o.customer.locale)], [tx('mode'), tx(o.captureMode)], o.reference && [tx('reference'), o.reference],
            [tx('createdBy'), o.createdBy?.name || o.createdBy?.email || o.createdByApiKey?.name], [tx('created'), html`<${Time} t=${o.createdAt} />`],
            o.paidAt && [tx('paid'), html`<${Time} t=${o.paidAt} />`]]} />
        </${Panel}>
        ${link && html`<${Panel} title=${tx('link')} id="link-h">
          <p class="url"><a href=${link.url} target="_blank" rel="noopener">${link.url}</a></p>
          <p><${CopyButton} text=${link.url} /> <${Status} value=${link.status} /></p>
          ${link.status === 'ACTIVE' && html`<${QR} text=${link.url} name=${'order-' + o.number} />`}
        </${Panel}>`}
        <${Actions} order=${o} onDone=${reload} />
      </div>
    </div>
  </${Page}>`;
}

function Lines({ order: o }) {
  return html`<div class="table-wrap"><table class="data lines-table">
    <thead><tr><th scope="col">${tx('description')}</th><th scope="col" class="num">${tx('quantity')}</th><th scope="col" class="num">${tx('unitPrice')}</th><th scope="col" class="num">${tx('vatRate')}</th><th scope="col" class="num">${tx('total')}</th></tr></thead>
    <tbody>${o.lines.map((l) => html`<tr><td data-label=${tx('description')}>${l.description}</td><td class="num" data-label=${tx('quantity')}>${l.quantity}</td>
      <td class="num" data-label=${tx('unitPrice')}>${l.unitPrice.formatted}</td><td class="num" data-label=${tx('vatRate')}>${pct(l.vatRate)}</td><td class="num" data-label=${tx('total')}>${l.gross.formatted}</td></tr>`)}</tbody>
  </table></div>
  <table class="sums"><tbody>
    <tr><th scope="row">${tx('net')}</th><td class="num">${o.totals.net.formatted}</td></tr>
    ${o.totals.byRate.map((r) => html`<tr><th scope="row">${tx('vatAt', pct(r.rate))}</th><td class="num">${r.vat.formatted}</td></tr>`)}
    <tr><th scope="row">${tx('gross')}</th><td class="num"><strong>${o.totals.gross.formatted}</strong></td></tr>
    ${o.paid.amount > 0 && html`<tr><th scope="row">${tx('paid')}</th><td class="num">${o.paid.formatted}</td></tr>`}
    ${o.refunded.amount > 0 && html`<tr><th scope="row">${tx('refunded')}</th><td class="num">${o.refunded.formatted}</td></tr>`}
  </tbody></table>`;
}

function SendPanel({ order: o, onDone }) {
  const stored = sessionStorage.getItem('kassa.message.' + o.id) || '';
  const form = useForm({ message: stored, ccSalesperson: false, expires: '' });
  const send = async (e) => {
    e.preventDefault();
    const input = { orderId: o.id, message: form.values.message || null, ccSalesperson: !!form.values.ccSalesperson };
    if (form.values.expires) input.expiresAt = fromLocalDate(form.values.expires, 1).toISOString();
    const p = await form.submit(() => mutate(`mutation($input: SendOrderConfirmationInput!) { sendOrderConfirmation(input: $input) {
      confirmation { id } paymentLink { url } userErrors { field message code } } }`, { input }));
    if (p) {
      sessionStorage.removeItem('kassa.message.' + o.id);
      onDone(tx('sent', o.customer.email || o.customer.name));
    }
  };
  return html`<form class="panel" onSubmit=${send} aria-labelledby="send-h">
    <h2 id="send-h">${tx('sendHead')}</h2>
    <p class="hint">${o.status === 'DRAFT' ? tx('draftHint') : tx('newVersionHint')}</p>
    <${FormError} message=${form.formError} />
    <${TextArea} form=${form} name="message" id="send-message" label=${tx('message')} hint=${tx('messageHint')} />
    <div class="form-row">
      <${Input} form=${form} name="expires" id="send-expires" type="date" label=${tx('expires')} error=${form.errors.expiresAt} />
    </div>
    <${Check} form=${form} name="ccSalesperson" id="send-cc" label=${tx('cc')} />
    <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('send')}</button></div>
  </form>`;
}

function ResendButton({ confirmationId }) {
  const form = useForm({});
  const [done, setDone] = useState(false);
  const go = async () => {
    const p = await form.submit(() => mutate(`mutation($input: ResendOrderConfirmationInput!) { resendOrderConfirmation(input: $input) {
      confirmation { id } userErrors { field message code } } }`, { input: { confirmationId } }));
    if (p) setDone(true);
  };
  return html`<div class="form-actions"><button type="button" class="secondary" disabled=${form.busy} onClick=${go}>${tx('resend')}</button>
    ${done && html`<span role="status">${tx('resent')}</span>`}<${FormError} message=${form.formError} /></div>`;
}

function Actions({ order: o, onDone }) {
  const unpaid = ['DRAFT', 'CONFIRMATION_SENT'].includes(o.status);
  const cancel = useForm({});
  const doCancel = async () => {
    if (!window.confirm(tx('confirmCancel', o.number))) return;
    const p = await cancel.submit(() => mutate(`mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id } userErrors { field message code } } }`,
      { input: { orderId: o.id } }));
    if (p) onDone();
  };
  const reserved = o.payments.find((p) => p.capturable.amount > 0);
  if (!unpaid && o.status !== 'RESERVED') return null;
  return html`<${Panel} title=${t('actions')} id="actions-h">
    ${o.status === 'RESERVED' && reserved && html`<${DeliverForm} order=${o} payment=${reserved} onDone=${onDone} />`}
    <div class="form-actions">
      ${unpaid && html`<${Link} class="button secondary" href=${'/orders/' + o.id + '/edit'}>${tx('edit')}</${Link}>`}
      <button type="button" class="secondary" disabled=${cancel.busy} onClick=${doCancel}>${tx('cancelOrder')}</button>
    </div>
    <${FormError} message=${cancel.formError} />
  </${Panel}>`;
}

function DeliverForm({ order: o, payment, onDone }) {
  const form = useForm({ amount: '' });
  const go = async (e) => {
    e.preventDefault();
    const input = { orderId: o.id };
    if (form.values.amount.trim()) {
      const a = parseAmount(form.values.amount, o.currency);
      if (a == null) { form.setErrors({ amount: tx('badAmount') }); return; }
      input.amount = a;
    }
    const p = await form.submit(() => mutate(`mutation($input: MarkOrderDeliveredInput!) { markOrderDelivered(input: $input) {
      order { id } userErrors { field message code } } }`, { input }, { idempotencyKey: newKey() }));
    if (p) onDone();
  };
  return html`<form onSubmit=${go}>
    <h3>${tx('deliverHead')}</h3>
    <${FormError} message=${form.formError} />
    <${Input} form=${form} name="amount" id="deliver-amount" inputmode="decimal" label=${tx('deliverAmount')} hint=${tx('deliverHint', payment.capturable.formatted)} />
    <button type="submit" disabled=${form.busy}>${tx('deliver')}</button>
  </form>`;
}

// PaymentBox is one payment of an order: amounts, card, history, and the
// refund form for those who may refund.
export function PaymentBox({ p, onDone, currency }) {
  return html`<div class="payment-box">
    <p><${Link} href=${'/payments/' + p.id}>${p.amount.formatted}</${Link}> <${Status} value=${p.status} kind="payment" />
      ${p.card && html` · ${cardText(p.card)}`}</p>
    ${p.failureMessage && html`<p class="field-error">${p.failureMessage}</p>`}
    <details><summary>${tx('history')}</summary>
      <ol class="timeline">${p.events.map((ev) => html`<li><${Status} value=${ev.status} kind="payment" /> ${ev.detail || ev.type}
        ${ev.amount && html` · ${ev.amount.formatted}`}${ev.actor && html` · ${ev.actor.name || ev.actor.email}`} <span class="when"><${Time} t=${ev.createdAt} /></span></li>`)}</ol>
    </details>
    ${isManager() && p.refundable.amount > 0 && html`<${RefundForm} payment=${p} onDone=${onDone} />`}
  </div>`;
}

export function RefundForm({ payment: p, onDone }) {
  const form = useForm({ amount: '', reason: '' });
  const [done, setDone] = useState('');
  const go = async (e) => {
    e.preventDefault();
    const cur = p.refundable.currency;
    const input = { paymentId: p.id, reason: form.values.reason || null };
    let amount = p.refundable.amount;
    if (form.values.amount.trim()) {
      amount = parseAmount(form.values.amount, cur);
      if (amount == null) { form.setErrors({ amount: tx('badAmount') }); form.setFormError(t('err.form')); return; }
      input.amount = amount;
    }
    if (!window.confirm(tx('confirmRefund', formatMinor(amount, cur)))) return;
    const r = await form.submit(() => mutate(`mutation($input: RefundPaymentInput!) { refundPayment(input: $input) {
      payment { id refunded { formatted } } userErrors { field message code } } }`, { input }, { idempotencyKey: newKey() }));
    if (r) { setDone(tx('refundedMsg', formatMinor(amount, cur))); form.setValues({ amount: '', reason: '' }); onDone(); }
  };
  return html`<form class="refund" onSubmit=${go} aria-label=${tx('refundHead')}>
    <h3>${tx('refundHead')}</h3>
    ${done && html`<p class="notice" role="status">${done}</p>`}
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="amount" id=${'refund-amount-' + p.id} inputmode="decimal" label=${tx('refundAmount')} hint=${tx('refundHint', p.refundable.formatted)} />
      <${Input} form=${form} name="reason" id=${'refund-reason-' + p.id} label=${tx('reason')} />
    </div>
    <button type="submit" class="danger" disabled=${form.busy}>${tx('refund')}</button>
  </form>`;
}
