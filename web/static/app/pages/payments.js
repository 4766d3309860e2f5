// Payments: every card payment (terminal, payment link, checkout,
// subscription) with filters, the reservations that must be captured
// before they lapse, and one payment's page with its history and the
// actions each role may take.
import {
  html, useState, useEffect, Page, Panel, Link, Loading, ErrorBox, Status, Time, DL, useQuery, useLive, LiveBadge,
  useForm, Input, FormError, usePager, query, setQuery, isManager, parseAmount, formatMinor, fromLocalDate,
} from '../ui.js';
import { mutate, newKey } from '../gql.js';
import { tt, t, statusText } from '../i18n.js';
import { RefundForm } from './orders.js';

const T = {
  en: {
    title: 'Payments', payment: 'Payment {0}', all: 'All payments', reservations: 'Reservations', views: 'Show',
    status: 'Status', captureMode: 'Capture mode', staff: 'Staff member', initiator: 'Initiated by', from: 'Created from', to: 'Created to',
    IMMEDIATE: 'At purchase', RESERVE: 'Reserve, capture later', 'f.IMMEDIATE': 'At purchase', 'f.RESERVE': 'Reserve',
    CUSTOMER: 'Customer', MERCHANT_MOTO: 'Phone or mail order', MERCHANT_RECURRING: 'Subscription',
    anyone: 'Anyone', amount: 'Amount', card: 'Card', description: 'Description', takenBy: 'Taken by', created: 'Created',
    captureBefore: 'Capture before', capturable: 'Left to capture', noPayments: 'No payments match.', noReservations: 'No open reservations.',
    lapsed: 'Lapsed', lapsesMin: 'Lapses in {0} min', lapsesH: 'Lapses in {0} h', lapsesD: 'Lapses in {0} days',
    soonNote: 'Reservations that lapse within 24 hours are marked “Lapses in …”. Capture them, or they are released.',
    filterNote: 'The filters for capture mode, staff member, date and initiator need the newest kassa; if it refuses them, the message says so.',
    theCustomer: 'The customer', apiKey: 'API key {0}',
    amounts: 'Amounts', asked: 'Amount', authorized: 'Reserved', captured: 'Captured', refunded: 'Refunded',
    refundable: 'Refundable', details: 'Details', expiry: 'Expires', threeDS: '3-D Secure', processor: 'Processor',
    processorRef: 'Processor reference', customerEmail: 'Customer email', updated: 'Updated', failure: 'Why it failed',
    history: 'History', actions: 'Actions', noActions: 'Nothing more can be done with this payment.',
    captureHead: 'Capture', captureAmount: 'Amount to capture', captureHint: 'Leave empty to capture all that is reserved ({0}).',
    capture: 'Capture', confirmCapture: 'Capture {0} from the customer\u2019s card?', capturedMsg: 'Captured {0}.',
    void: 'Void reservation', voidHint: 'Releases the whole reservation on the customer\u2019s card; nothing is taken.',
    confirmVoid: 'Release the reservation of {0}? Nothing can be captured afterwards.', voided: 'The reservation was released.', refundedNote: 'The refund was made.',
    badAmount: 'Write an amount, e.g. 1 250,00.', nextAction: 'Waiting for the customer to pass 3-D Secure.',
    forOrder: 'For order {0}',
    UNKNOWN: 'Unknown', NOT_REQUIRED: 'Not required', PENDING: 'Pending', PASSED: 'Passed', FAILED: 'Failed', CANCELLED: 'Cancelled',
    notFound: 'There is no such payment, or you may not see it.',
    'ev.payment.created': 'Payment created', 'ev.payment.submitted': 'Sent to the card processor', 'ev.payment.requires_action': 'The customer was asked for 3-D Secure',
    'ev.payment.authorized': 'Approved by the card issuer', 'ev.payment.captured': 'Captured', 'ev.payment.voided': 'Reservation released', 'ev.payment.refunded': 'Refunded',
    'ev.payment.failed': 'Failed', 'ev.payment.declined': 'Declined', 'ev.payment.expired': 'Reservation lapsed', 'ev.payment.processor_unreachable': 'The card processor could not be reached',
    'ev.payment.capture_declined': 'Capture refused', 'ev.payment.void_declined': 'Release refused', 'ev.payment.refund_declined': 'Refund refused',
    'ev.reservation.expiring': 'Reminder: the reservation lapses soon',
  },
  sv: {
    title: 'Betalningar', payment: 'Betalning {0}', all: 'Alla betalningar', reservations: 'Reservationer', views: 'Visa',
    status: 'Status', captureMode: 'Dragning', staff: 'Personal', initiator: 'Initierad av', from: 'Skapad från', to: 'Skapad till',
    IMMEDIATE: 'Vid köpet', RESERVE: 'Reservera, dra senare', 'f.IMMEDIATE': 'Vid köpet', 'f.RESERVE': 'Reservera',
    CUSTOMER: 'Kund', MERCHANT_MOTO: 'Telefon- eller postorder', MERCHANT_RECURRING: 'Prenumeration',
    anyone: 'Alla', amount: 'Belopp', card: 'Kort', description: 'Beskrivning', takenBy: 'Tagen av', created: 'Skapad',
    captureBefore: 'Dra före', capturable: 'Kvar att dra', noPayments: 'Inga betalningar matchar.', noReservations: 'Inga öppna reservationer.',
    lapsed: 'Förfallen', lapsesMin: 'Förfaller om {0} min', lapsesH: 'Förfaller om {0} h', lapsesD: 'Förfaller om {0} dagar',
    soonNote: 'Reservationer som förfaller inom 24 timmar är märkta ”Förfaller om …”. Dra dem, annars släpps de.',
    filterNote: 'Filtren för dragning, personal, datum och initiering kräver den senaste kassa; om den inte godtar dem står det i meddelandet.',
    theCustomer: 'Kunden', apiKey: 'API-nyckel {0}',
    amounts: 'Belopp', asked: 'Belopp', authorized: 'Reserverat', captured: 'Draget', refunded: 'Återbetalt',
    refundable: 'Kan återbetalas', details: 'Detaljer', expiry: 'Går ut', threeDS: '3-D Secure', processor: 'Inlösare',
    processorRef: 'Inlösarens referens', customerEmail: 'Kundens e-post', updated: 'Ändrad', failure: 'Varför den misslyckades',
    history: 'Historik', actions: 'Åtgärder', noActions: 'Inget mer kan göras med den här betalningen.',
    captureHead: 'Dra', captureAmount: 'Belopp att dra', captureHint: 'Lämna tomt för att dra hela det reserverade beloppet ({0}).',
    capture: 'Dra', confirmCapture: 'Dra {0} från kundens kort?', capturedMsg: 'Drog {0}.',
    void: 'Släpp reservationen', voidHint: 'Släpper hela reservationen på kundens kort; inget dras.',
    confirmVoid: 'Släppa reservationen på {0}? Inget kan dras efteråt.', voided: 'Reservationen släpptes.', refundedNote: 'Återbetalningen är gjord.',
    badAmount: 'Skriv ett belopp, t.ex. 1 250,00.', nextAction: 'Väntar på att kunden klarar 3-D Secure.',
    forOrder: 'För order {0}',
    UNKNOWN: 'Okänt', NOT_REQUIRED: 'Behövs inte', PENDING: 'Väntar', PASSED: 'Godkänd', FAILED: 'Underkänd', CANCELLED: 'Avbruten',
    notFound: 'Betalningen finns inte, eller så får du inte se den.',
    'ev.payment.created': 'Betalningen skapades', 'ev.payment.submitted': 'Skickad till inlösaren', 'ev.payment.requires_action': 'Kunden ombads klara 3-D Secure',
    'ev.payment.authorized': 'Godkänd av kortutgivaren', 'ev.payment.captured': 'Dragen', 'ev.payment.voided': 'Reservationen släpptes', 'ev.payment.refunded': 'Återbetald',
    'ev.payment.failed': 'Misslyckades', 'ev.payment.declined': 'Nekad', 'ev.payment.expired': 'Reservationen förföll', 'ev.payment.processor_unreachable': 'Inlösaren gick inte att nå',
    'ev.payment.capture_declined': 'Dragningen nekades', 'ev.payment.void_declined': 'Släppet nekades', 'ev.payment.refund_declined': 'Återbetalningen nekades',
    'ev.reservation.expiring': 'Påminnelse: reservationen förfaller snart',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const STATUSES = ['PENDING', 'REQUIRES_ACTION', 'AUTHORIZED', 'PARTIALLY_CAPTURED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'EXPIRED', 'FAILED'];
const INITIATORS = ['CUSTOMER', 'MERCHANT_MOTO', 'MERCHANT_RECURRING'];
const OPEN = ['AUTHORIZED', 'PARTIALLY_CAPTURED'];
const DAY = 24 * 3600 * 1000;

// lapse says in words when a reservation lapses; soon is true within 24 h.
export function lapse(iso, now = Date.now()) {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now;
  if (ms <= 0) return { soon: true, text: tx('lapsed') };
  if (ms < 3600 * 1000) return { soon: true, text: tx('lapsesMin', Math.max(1, Math.floor(ms / 60000))) };
  if (ms <= DAY) return { soon: true, text: tx('lapsesH', Math.floor(ms / 3600000)) };
  return { soon: false, text: tx('lapsesD', Math.round(ms / DAY)) };
}

// useMinute re-renders every minute, so "Lapses in 5 h" stays true.
function useMinute() {
  const [, set] = useState(0);
  useEffect(() => {
    const h = setInterval(() => set((n) => n + 1), 60000);
    return () => clearInterval(h);
  }, []);
}

// useLiveReload runs reload when a payment (paymentId, or any) or any
// order changes; orderUpdated covers a kassa without paymentUpdated (there
// that subscription fails, and the other still runs).
function useLiveReload(paymentId, reload) {
  useLive('subscription($id: ID) { paymentUpdated(paymentId: $id) { id status } }', { id: paymentId || null }, () => reload(), [paymentId]);
  useLive('subscription { orderUpdated { id status } }', {}, () => reload(), []);
}

function takenBy(p) {
  if (p.createdBy) return p.createdBy.name || p.createdBy.email;
  if (p.createdByApiKey) return tx('apiKey', p.createdByApiKey.name);
  if (p.initiator === 'CUSTOMER') return tx('theCustomer');
  return '–';
}

const BRANDS = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', maestro: 'Maestro' };
const brand = (b) => BRANDS[String(b).toLowerCase()] || String(b).charAt(0).toUpperCase() + String(b).slice(1);
const cardText = (c) => (c ? `${brand(c.brand)} •••• ${c.last4}` : '–');

// eventText says what happened to a payment in words.
const eventText = (type) => {
  const k = 'ev.' + type;
  return T.en[k] ? tx(k) : type;
};

// Rows is a table (cards on a phone) whose rows can carry a class.
function Rows({ cols, rows, empty, caption, rowClass = () => '' }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table class="data">
    <caption class="sr-only">${caption}</caption>
    <thead><tr>${cols.map((c) => html`<th scope="col" class=${c.num ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.id} class=${rowClass(r)} data-payment=${r.id}>${cols.map((c) => html`<td class=${c.num ? 'num' : ''} data-label=${c.label}>${c.cell(r)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

// ---- list ------------------------------------------------------------------

const listFields = `id status captureMode initiator description customerEmail captureBefore createdAt
  amount { amount currency formatted } capturable { amount formatted }
  card { brand last4 } createdBy { name email } createdByApiKey { name }`;

const listQuery = `query Payments($first: Int, $after: String, $filter: PaymentFilter) {
  payments(first: $first, after: $after, filter: $filter) {
    edges { node { ${listFields} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const reservationsQuery = `query Reservations($first: Int, $after: String) {
  reservations(first: $first, after: $after) {
    edges { node { ${listFields} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function PaymentsPage() {
  const q = query();
  const view = q.get('view') === 'reservations' ? 'reservations' : 'all';
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} />`}>
    <nav class="tabs" aria-label=${tx('views')}>
      ${['all', 'reservations'].map((v) => html`<${Link} href=${v === 'all' ? '/payments' : '/payments?view=reservations'}
        aria-current=${view === v ? 'page' : undefined}>${tx(v)}</${Link}>`)}
    </nav>
    ${view === 'reservations' ? html`<${ReservationList} key="r" />` : html`<${PaymentList} key="a" />`}
  </${Page}>`;
}

function PaymentList() {
  useMinute();
  const q = query();
  const init = { status: q.get('status') || '', captureMode: q.get('mode') || '', createdBy: q.get('staff') || '',
    initiator: q.get('initiator') || '', from: q.get('from') || '', to: q.get('to') || '' };
  const [f, setF] = useState(init);
  const [applied, setApplied] = useState(init);
  const pager = usePager([applied]);
  const filter = {};
  // Fields are sent only when set, so the page works with a kassa that
  // does not know the newer ones yet.
  if (applied.status) filter.status = [applied.status];
  if (applied.captureMode) filter.captureMode = applied.captureMode;
  if (applied.createdBy) filter.createdBy = applied.createdBy;
  if (applied.initiator) filter.initiator = [applied.initiator];
  if (applied.from) filter.createdFrom = fromLocalDate(applied.from).toISOString();
  if (applied.to) filter.createdTo = fromLocalDate(applied.to, 1).toISOString();
  const { data, error, loading, reload } = useQuery(listQuery, { first: 25, after: pager.after, filter }, [JSON.stringify(filter), pager.after]);
  const staff = useQuery(isManager() ? 'query { users(first: 100) { edges { node { id name email } } } }' : 'query { __typename }', {}, []);
  useLiveReload(null, reload);
  const toQuery = (v) => ({ status: v.status, mode: v.captureMode, staff: v.createdBy, initiator: v.initiator, from: v.from, to: v.to });
  const now = (v) => { setF(v); setApplied(v); setQuery(toQuery(v)); };
  const apply = (e) => { e.preventDefault(); setApplied(f); setQuery(toQuery(f)); };
  const sel = (k) => (e) => now({ ...f, [k]: e.currentTarget.value });
  const users = staff.data?.users?.edges.map((e) => e.node) || [];
  const edges = data?.payments.edges || [];
  return html`<form class="filters" role="search" onSubmit=${apply}>
      <div class="field"><label for="p-status">${tx('status')}</label>
        <select id="p-status" value=${f.status} onChange=${sel('status')}>
          <option value="">${t('all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusText(s, 'payment')}</option>`)}
        </select></div>
      <div class="field"><label for="p-mode">${tx('captureMode')}</label>
        <select id="p-mode" value=${f.captureMode} onChange=${sel('captureMode')}>
          <option value="">${t('all')}</option>
          ${['IMMEDIATE', 'RESERVE'].map((s) => html`<option value=${s}>${tx('f.' + s)}</option>`)}
        </select></div>
      ${isManager() && html`<div class="field"><label for="p-staff">${tx('staff')}</label>
        <select id="p-staff" value=${f.createdBy} onChange=${sel('createdBy')}>
          <option value="">${tx('anyone')}</option>
          ${users.map((u) => html`<option value=${u.id}>${u.name || u.email}</option>`)}
        </select></div>`}
      <div class="field"><label for="p-initiator">${tx('initiator')}</label>
        <select id="p-initiator" value=${f.initiator} onChange=${sel('initiator')}>
          <option value="">${t('all')}</option>
          ${INITIATORS.map((s) => html`<option value=${s}>${tx(s)}</option>`)}
        </select></div>
      <div class="field"><label for="p-from">${tx('from')}</label><input id="p-from" type="date" value=${f.from} onInput=${(e) => setF({ ...f, from: e.currentTarget.value })} /></div>
      <div class="field"><label for="p-to">${tx('to')}</label><input id="p-to" type="date" value=${f.to} onInput=${(e) => setF({ ...f, to: e.currentTarget.value })} /></div>
      <button type="submit">${t('apply')}</button>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${error && (filter.captureMode || filter.createdBy || filter.initiator || filter.createdFrom || filter.createdTo) && html`<p class="hint">${tx('filterNote')}</p>`}
    ${loading && !data ? html`<${Loading} />` : !error && html`<div class="panel">
      <${Rows} caption=${tx('title')} empty=${tx('noPayments')} rows=${edges.map((e) => e.node)}
        rowClass=${(p) => (OPEN.includes(p.status) && lapse(p.captureBefore)?.soon ? 'soon' : '')} cols=${[
        { label: tx('amount'), num: true, cell: (p) => html`<${Link} href=${'/payments/' + p.id}>${p.amount.formatted}</${Link}>` },
        { label: tx('created'), cell: (p) => html`<${Time} t=${p.createdAt} />` },
        { label: tx('status'), cell: (p) => html`<span><${Status} value=${p.status} kind="payment" />${OPEN.includes(p.status) && p.captureBefore && html` <span class=${'lapse' + (lapse(p.captureBefore).soon ? ' soon' : '')}>${lapse(p.captureBefore).text}</span>`}</span>` },
        { label: tx('description'), cell: (p) => p.description || '–' },
        { label: tx('card'), cell: (p) => cardText(p.card) },
        { label: tx('initiator'), cell: (p) => tx(p.initiator) },
        { label: tx('takenBy'), cell: (p) => takenBy(p) },
      ]} />
      <${pager.Pager} pageInfo=${data?.payments.pageInfo} />
    </div>`}`;
}

function ReservationList() {
  useMinute();
  const pager = usePager([]);
  const { data, error, loading, reload } = useQuery(reservationsQuery, { first: 25, after: pager.after }, [pager.after]);
  useLiveReload(null, reload);
  const rows = data?.reservations.edges.map((e) => e.node) || [];
  return html`<p class="hint">${tx('soonNote')}</p>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<div class="panel">
      <${Rows} caption=${tx('reservations')} empty=${tx('noReservations')} rows=${rows}
        rowClass=${(p) => (lapse(p.captureBefore)?.soon ? 'soon' : '')} cols=${[
        { label: tx('capturable'), num: true, cell: (p) => html`<${Link} href=${'/payments/' + p.id}>${p.capturable.formatted}</${Link}>` },
        { label: tx('captureBefore'), cell: (p) => html`<span><${Time} t=${p.captureBefore} />
          <span class=${'lapse' + (lapse(p.captureBefore)?.soon ? ' soon' : '')}>${lapse(p.captureBefore)?.text}</span></span>` },
        { label: tx('amount'), num: true, cell: (p) => p.amount.formatted },
        { label: tx('status'), cell: (p) => html`<${Status} value=${p.status} kind="payment" />` },
        { label: tx('description'), cell: (p) => p.description || '–' },
        { label: tx('card'), cell: (p) => cardText(p.card) },
        { label: tx('takenBy'), cell: (p) => takenBy(p) },
      ]} />
      <${pager.Pager} pageInfo=${data?.reservations.pageInfo} />
    </div>`}`;
}

// ---- one payment -------------------------------------------------------------

// paymentID reads the address's id: a global id (pay_…) or the bare UUID
// the web terminal links to.
export function paymentID(id) {
  const s = String(id || '').trim();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) || /^[0-9a-f]{32}$/i.test(s)) {
    return 'pay_' + s.replace(/-/g, '').toLowerCase();
  }
  return s;
}

const money = 'amount currency formatted';
const paymentQuery = `query Payment($id: ID!) { node(id: $id) { __typename ... on Payment {
  id status captureMode initiator processor processorReference threeDSecure captureBefore failureCode failureMessage nextActionUrl
  description customerEmail createdAt updatedAt
  amount { ${money} } authorized { ${money} } captured { ${money} } refunded { ${money} } capturable { ${money} } refundable { ${money} }
  card { brand last4 expMonth expYear }
  createdBy { name email } createdByApiKey { name }
  order { id number status }
  events { type amount { formatted } status detail actor { name email } createdAt }
} } }`;

export function PaymentPage({ id }) {
  useMinute();
  const gid = paymentID(id);
  const { data, error, loading, reload } = useQuery(paymentQuery, { id: gid }, [gid]);
  useLiveReload(gid, reload);
  const node = data?.node?.__typename === 'Payment' ? data.node : null;
  const state = node ? [node.status, node.captured.amount, node.refunded.amount].join() : '';
  // The processor confirms a capture, void or refund a moment later; if
  // no live update tells us, look again for a little while.
  const [watch, setWatch] = useState(null);
  useEffect(() => {
    if (!watch) return undefined;
    if (state !== watch.state || Date.now() > watch.until) { setWatch(null); return undefined; }
    const h = setTimeout(reload, 1500);
    return () => clearTimeout(h);
  }, [watch, state, data]);
  // What was just done is said at the top of the page: the form that did
  // it may be gone once the payment has moved on.
  const [notice, setNotice] = useState(null);
  const onDone = (kind, text) => { setNotice({ kind, text }); setWatch({ state, until: Date.now() + 20000 }); reload(); };
  const back = { href: '/payments', label: tx('title') };
  if (loading && !data) return html`<${Loading} />`;
  const p = node;
  if (error || !p) return html`<${Page} title=${tx('title')} back=${back}><${ErrorBox} error=${error || { message: tx('notFound') }} retry=${reload} /></${Page}>`;
  const l = OPEN.includes(p.status) ? lapse(p.captureBefore) : null;
  const amountRows = [['asked', p.amount], ['authorized', p.authorized], ['captured', p.captured], ['refunded', p.refunded],
    ['capturable', p.capturable], ['refundable', p.refundable]];
  return html`<${Page} title=${tx('payment', p.amount.formatted)} back=${back}
      actions=${html`<${Status} value=${p.status} kind="payment" /><${LiveBadge} />`}>
    ${l && html`<p class=${'lapse-banner' + (l.soon ? ' soon' : '')} role="status"><strong>${l.text}</strong> · ${tx('captureBefore')} <${Time} t=${p.captureBefore} /></p>`}
    ${p.failureMessage && html`<p class="error">${tx('failure')}: ${p.failureMessage}${p.failureCode ? ` (${p.failureCode})` : ''}</p>`}
    ${p.status === 'REQUIRES_ACTION' && html`<p class="notice">${tx('nextAction')}</p>`}
    <div role="status">${notice && (notice.kind !== 'refund' || p.refundable.amount === 0) && html`<p class="notice">${notice.text}</p>`}</div>
    <div class="cols">
      <div>
        <${Panel} title=${tx('amounts')} id="pay-amounts-h">
          <table class="sums pay-sums"><tbody>
            ${amountRows.map(([k, m]) => html`<tr><th scope="row">${tx(k)}</th><td class="num">${m.formatted}</td></tr>`)}
          </tbody></table>
        </${Panel}>
        <${Actions} p=${p} onDone=${onDone} />
        <${Panel} title=${tx('history')} id="pay-history-h">
          <ol class="timeline">${p.events.map((ev) => html`<li><${Status} value=${ev.status} kind="payment" /> ${eventText(ev.type)}
            ${ev.amount && html` · ${ev.amount.formatted}`}${ev.actor && html` · ${ev.actor.name || ev.actor.email}`}
            ${ev.detail && html` <span class="event-detail">(${ev.detail})</span>`} <span class="when"><${Time} t=${ev.createdAt} /></span></li>`)}</ol>
        </${Panel}>
      </div>
      <div>
        <${Panel} title=${tx('details')} id="pay-details-h">
          <${DL} items=${[
            [tx('status'), html`<${Status} value=${p.status} kind="payment" />`],
            [tx('description'), p.description || '–'],
            [tx('customerEmail'), p.customerEmail || '–'],
            [tx('card'), cardText(p.card)],
            p.card && [tx('expiry'), `${String(p.card.expMonth).padStart(2, '0')}/${p.card.expYear}`],
            [tx('threeDS'), tx(p.threeDSecure)],
            [tx('captureMode'), tx(p.captureMode)],
            [tx('initiator'), tx(p.initiator)],
            [tx('takenBy'), takenBy(p)],
            p.captureBefore && [tx('captureBefore'), html`<${Time} t=${p.captureBefore} />`],
            [tx('processor'), p.processor],
            [tx('processorRef'), p.processorReference || '–'],
            [tx('created'), html`<${Time} t=${p.createdAt} />`],
            [tx('updated'), html`<${Time} t=${p.updatedAt} />`],
          ]} />
        </${Panel}>
        ${p.order && html`<p><${Link} href=${'/orders/' + p.order.id}>${tx('forOrder', p.order.number)}</${Link}> <${Status} value=${p.order.status} /></p>`}
      </div>
    </div>
  </${Page}>`;
}

function Actions({ p, onDone }) {
  const canCapture = OPEN.includes(p.status) && p.capturable.amount > 0;
  const canVoid = isManager() && p.status === 'AUTHORIZED' && p.captured.amount === 0;
  const canRefund = isManager() && p.refundable.amount > 0;
  return html`<${Panel} title=${tx('actions')} id="pay-actions-h">
    ${canCapture && html`<${CaptureForm} p=${p} onDone=${onDone} />`}
    ${canVoid && html`<${VoidButton} p=${p} onDone=${onDone} />`}
    ${canRefund && html`<${RefundForm} payment=${p} onDone=${() => onDone('refund', tx('refundedNote'))} />`}
    ${!canCapture && !canVoid && !canRefund && html`<p class="empty">${tx('noActions')}</p>`}
  </${Panel}>`;
}

function CaptureForm({ p, onDone }) {
  const form = useForm({ amount: '' });
  const go = async (e) => {
    e.preventDefault();
    const cur = p.capturable.currency;
    const input = { paymentId: p.id };
    let amount = p.capturable.amount;
    if (form.values.amount.trim()) {
      amount = parseAmount(form.values.amount, cur);
      if (amount == null) { form.setErrors({ amount: tx('badAmount') }); form.setFormError(t('err.form')); return; }
      input.amount = amount;
    }
    if (!window.confirm(tx('confirmCapture', formatMinor(amount, cur)))) return;
    const r = await form.submit(() => mutate(`mutation($input: CapturePaymentInput!) { capturePayment(input: $input) {
      payment { id status } userErrors { field message code } } }`, { input }, { idempotencyKey: newKey() }));
    if (r) { form.setValues({ amount: '' }); onDone('capture', tx('capturedMsg', formatMinor(amount, cur))); }
  };
  return html`<form onSubmit=${go} aria-labelledby="capture-h" novalidate>
    <h3 id="capture-h">${tx('captureHead')}</h3>
    <${FormError} message=${form.formError} />
    <${Input} form=${form} name="amount" id="capture-amount" inputmode="decimal" label=${tx('captureAmount')} hint=${tx('captureHint', p.capturable.formatted)} />
    <button type="submit" disabled=${form.busy}>${tx('capture')}</button>
  </form>`;
}

function VoidButton({ p, onDone }) {
  const form = useForm({});
  const go = async () => {
    if (!window.confirm(tx('confirmVoid', p.capturable.formatted))) return;
    const r = await form.submit(() => mutate(`mutation($input: VoidPaymentInput!) { voidPayment(input: $input) {
      payment { id status } userErrors { field message code } } }`, { input: { paymentId: p.id } }, { idempotencyKey: newKey() }));
    if (r) onDone('void', tx('voided'));
  };
  return html`<div class="void">
    <h3>${tx('void')}</h3>
    <p class="hint" id="void-hint">${tx('voidHint')}</p>
    <${FormError} message=${form.formError} />
    <button type="button" class="danger" aria-describedby="void-hint" disabled=${form.busy} onClick=${go}>${tx('void')}</button>
  </div>`;
}
