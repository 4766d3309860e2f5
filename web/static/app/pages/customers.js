// Customers: everyone who bought, with their whole history in one place:
// orders, payments, subscriptions, stored cards and the emails kassa sent.
import {
  html, useState, Page, Panel, Link, Loading, ErrorBox, Status, Money, Time, Table, DL, useQuery, usePager, query, setQuery, cardText,
} from '../ui.js';
import { tt, t } from '../i18n.js';

const T = {
  en: {
    title: 'Customers', search: 'Search customers', searchHint: 'Name, email or phone', name: 'Name', email: 'Email', phone: 'Phone',
    orders: 'Orders', paid: 'Paid, net of refunds', last: 'Last order', none: 'No customers match.', since: 'Customer since',
    language: 'Language', sv: 'Swedish', en: 'English', order: 'Order {0}', total: 'Total', payments: 'Payments', amount: 'Amount',
    subs: 'Subscriptions', plan: 'Plan', cards: 'Stored cards', noCards: 'No stored card.', emails: 'Emails sent', subject: 'Subject',
    sent: 'Sent', kind: 'Kind', noOrders: 'No orders.', noPayments: 'No payments.', noSubs: 'No subscriptions.', noEmails: 'No emails logged yet.',
    newOrder: 'New order for this customer', FIXED: '{0} / {1}', MONTHLY: 'month', QUARTERLY: 'quarter', SEMIANNUAL: 'half-year', YEARLY: 'year',
    usage: 'By usage', manual: 'Manual charges', QUEUED: 'Queued', SENT: 'Sent', FAILED: 'Not delivered',
  },
  sv: {
    title: 'Kunder', search: 'Sök kunder', searchHint: 'Namn, e-post eller telefon', name: 'Namn', email: 'E-post', phone: 'Telefon',
    orders: 'Ordrar', paid: 'Betalt efter återbetalningar', last: 'Senaste order', none: 'Inga kunder matchar.', since: 'Kund sedan',
    language: 'Språk', sv: 'Svenska', en: 'Engelska', order: 'Order {0}', total: 'Summa', payments: 'Betalningar', amount: 'Belopp',
    subs: 'Prenumerationer', plan: 'Plan', cards: 'Sparade kort', noCards: 'Inget sparat kort.', emails: 'Skickad e-post', subject: 'Ämne',
    sent: 'Skickat', kind: 'Typ', noOrders: 'Inga ordrar.', noPayments: 'Inga betalningar.', noSubs: 'Inga prenumerationer.', noEmails: 'Ingen e-post loggad än.',
    newOrder: 'Ny order till kunden', FIXED: '{0} / {1}', MONTHLY: 'månad', QUARTERLY: 'kvartal', SEMIANNUAL: 'halvår', YEARLY: 'år',
    usage: 'Efter förbrukning', manual: 'Manuella dragningar', QUEUED: 'I kö', SENT: 'Skickat', FAILED: 'Inte levererat',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);
const money = '{ amount currency formatted }';

const listQuery = `query Customers($first: Int, $after: String, $search: String) {
  customers(first: $first, after: $after, search: $search) {
    edges { node { id name email phone orderCount lastOrderAt totalPaid ${money} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function CustomersPage() {
  const [q, setQ] = useState(query().get('search') || '');
  const [applied, setApplied] = useState(q);
  const pager = usePager([applied]);
  const { data, error, loading, reload } = useQuery(listQuery, { first: 25, after: pager.after, search: applied.trim() || null }, [applied, pager.after]);
  const rows = data?.customers.edges.map((e) => e.node) || [];
  return html`<${Page} title=${tx('title')}>
    <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setApplied(q); setQuery({ search: q }); }}>
      <div class="field wide"><label for="c-search">${tx('search')}</label>
        <input id="c-search" type="search" value=${q} placeholder=${tx('searchHint')} onInput=${(e) => setQ(e.currentTarget.value)} /></div>
      <button type="submit">${t('search')}</button>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<div class="panel">
      <${Table} caption=${tx('title')} empty=${tx('none')} rows=${rows} cols=${[
        { label: tx('name'), cell: (c) => html`<${Link} href=${'/customers/' + c.id}>${c.name || c.email || c.phone || '–'}</${Link}>` },
        { label: tx('email'), cell: (c) => c.email || '–' },
        { label: tx('orders'), num: true, cell: (c) => String(c.orderCount) },
        { label: tx('paid'), num: true, cell: (c) => (c.totalPaid.length ? c.totalPaid.map((m) => m.formatted).join(', ') : '–') },
        { label: tx('last'), cell: (c) => html`<${Time} t=${c.lastOrderAt} />` },
      ]} />
      <${pager.Pager} pageInfo=${data?.customers.pageInfo} />
    </div>`}
  </${Page}>`;
}

const customerQuery = `query Customer($id: ID!) { node(id: $id) { ... on Customer {
  id name email phone locale createdAt orderCount lastOrderAt totalPaid ${money}
  storedCards { brand last4 expMonth expYear }
  orders(first: 50) { edges { node { id number status totals { gross ${money} } createdAt } } pageInfo { hasNextPage } }
  payments(first: 50) { edges { node { id status amount ${money} refunded ${money} card { brand last4 } createdAt } } pageInfo { hasNextPage } }
  subscriptions(first: 50) { edges { node { id status plan { kind interval amount ${money} } createdAt } } }
  emails(first: 50) { edges { node { kind subject recipient status failure queuedAt sentAt } } }
} } }`;

export function CustomerPage({ id }) {
  const { data, error, loading, reload } = useQuery(customerQuery, { id }, [id]);
  if (loading && !data) return html`<${Loading} />`;
  const c = data?.node;
  if (error || !c) return html`<${Page} title=${tx('title')} back=${{ href: '/customers', label: tx('title') }}><${ErrorBox} error=${error || { message: t('err.NOT_FOUND') }} retry=${reload} /></${Page}>`;
  const plan = (p) => (p.kind === 'FIXED' && p.amount ? tx('FIXED', p.amount.formatted, tx(p.interval)) : p.kind === 'USAGE' ? tx('usage') : tx('manual'));
  return html`<${Page} title=${c.name || c.email || '–'} back=${{ href: '/customers', label: tx('title') }}>
    <div class="cols">
      <div>
        <${Panel} title=${tx('orders')} id="c-orders">
          <${Table} empty=${tx('noOrders')} rows=${c.orders.edges.map((e) => e.node)} cols=${[
            { label: tx('orders'), cell: (o) => html`<${Link} href=${'/orders/' + o.id}>${tx('order', o.number)}</${Link}>` },
            { label: t('status'), cell: (o) => html`<${Status} value=${o.status} />` },
            { label: tx('total'), num: true, cell: (o) => html`<${Money} m=${o.totals.gross} />` },
            { label: t('created'), cell: (o) => html`<${Time} t=${o.createdAt} />` },
          ]} />
        </${Panel}>
        <${Panel} title=${tx('payments')} id="c-payments">
          <${Table} empty=${tx('noPayments')} rows=${c.payments.edges.map((e) => e.node)} cols=${[
            { label: tx('amount'), cell: (p) => html`<${Link} href=${'/payments/' + p.id}>${p.amount.formatted}</${Link}>` },
            { label: t('status'), cell: (p) => html`<${Status} value=${p.status} kind="payment" />` },
            { label: 'Card', cell: (p) => cardText(p.card) },
            { label: t('created'), cell: (p) => html`<${Time} t=${p.createdAt} />` },
          ]} />
        </${Panel}>
        <${Panel} title=${tx('subs')} id="c-subs">
          <${Table} empty=${tx('noSubs')} rows=${c.subscriptions.edges.map((e) => e.node)} cols=${[
            { label: tx('plan'), cell: (s) => html`<${Link} href=${'/subscriptions/' + s.id}>${plan(s.plan)}</${Link}>` },
            { label: t('status'), cell: (s) => html`<${Status} value=${s.status} kind="subscription" />` },
            { label: t('created'), cell: (s) => html`<${Time} t=${s.createdAt} />` },
          ]} />
        </${Panel}>
        <${Panel} title=${tx('emails')} id="c-emails">
          <${Table} empty=${tx('noEmails')} rows=${c.emails.edges.map((e) => e.node)} cols=${[
            { label: tx('subject'), cell: (m) => m.subject },
            { label: tx('email'), cell: (m) => m.recipient },
            { label: t('status'), cell: (m) => html`<span class=${'status ' + (m.status === 'SENT' ? 'ok' : m.status === 'FAILED' ? 'bad' : 'info')}>${tx(m.status)}</span>${m.failure ? ' ' + m.failure : ''}` },
            { label: tx('sent'), cell: (m) => html`<${Time} t=${m.sentAt || m.queuedAt} />` },
          ]} />
        </${Panel}>
      </div>
      <div>
        <${Panel} title=${tx('title')} id="c-details">
          <${DL} items=${[[tx('name'), c.name], [tx('email'), c.email], c.phone && [tx('phone'), c.phone], [tx('language'), tx(c.locale)],
            [tx('since'), html`<${Time} t=${c.createdAt} />`], [tx('orders'), String(c.orderCount)],
            [tx('paid'), c.totalPaid.map((m) => m.formatted).join(', ') || '–']]} />
        </${Panel}>
        <${Panel} title=${tx('cards')} id="c-cards">
          ${c.storedCards.length ? html`<ul class="plain">${c.storedCards.map((k) => html`<li>${cardText(k, true)}</li>`)}</ul>` : html`<p class="empty">${tx('noCards')}</p>`}
        </${Panel}>
      </div>
    </div>
  </${Page}>`;
}
