// Invoices of subscriptions: the list, and an invoice's page with its
// lines, totals with VAT, charge attempts, payment and the customer's
// hosted invoice page.
import {
  html, useState, Page, Panel, Link, Loading, ErrorBox, Status, Time, Table, DL, useQuery, useLive, useMoneyMoves, LiveBadge,
  usePager, query, setQuery, CopyButton, fmtTime, formatMinor, percent,
} from '../ui.js';
import { tt, t, lang, statusText } from '../i18n.js';
import { PaymentBox } from './orders.js';
import { periodText } from './subscriptions.js';

const T = {
  en: {
    title: 'Invoices', invoice: 'Invoice {0}', number: 'Number', customer: 'Customer', subscription: 'Subscription',
    amount: 'Amount', status: 'Status', period: 'Period', dueOrPaid: 'Due / paid', paidOn: 'Paid {0}', dueOn: 'Due {0}',
    created: 'Created', noInvoices: 'No invoices match.', statusLabel: 'Status', kind: 'Kind', PERIOD: 'Period invoice', MANUAL: 'Manual charge',
    lines: 'Lines', description: 'Description', quantity: 'Quantity', unitPrice: 'Unit price', vatRate: 'VAT rate', total: 'Total',
    net: 'Net', vatAt: 'VAT {0}', vat: 'VAT', gross: 'Total incl. VAT', attemptsHead: 'Payment attempts', attempts: 'Charge attempts',
    nextAttempt: 'Next try', failure: 'Last failure', payment: 'Payment', noPayment: 'No payment yet.', hosted: 'Customer’s invoice page',
    hostedHint: 'The invoice as the customer sees it; they can pay an unpaid invoice there.', openHosted: 'Open the invoice page',
    paidAt: 'Paid', openSub: 'Subscription of {0}', back: 'Invoices',
  },
  sv: {
    title: 'Fakturor', invoice: 'Faktura {0}', number: 'Nummer', customer: 'Kund', subscription: 'Prenumeration',
    amount: 'Belopp', status: 'Status', period: 'Period', dueOrPaid: 'Förfaller / betald', paidOn: 'Betald {0}', dueOn: 'Dras {0}',
    created: 'Skapad', noInvoices: 'Inga fakturor matchar.', statusLabel: 'Status', kind: 'Slag', PERIOD: 'Periodfaktura', MANUAL: 'Manuell debitering',
    lines: 'Rader', description: 'Beskrivning', quantity: 'Antal', unitPrice: 'Styckpris', vatRate: 'Momssats', total: 'Summa',
    net: 'Netto', vatAt: 'Moms {0}', vat: 'Moms', gross: 'Summa inkl. moms', attemptsHead: 'Betalningsförsök', attempts: 'Dragningsförsök',
    nextAttempt: 'Nästa försök', failure: 'Senaste fel', payment: 'Betalning', noPayment: 'Ingen betalning än.', hosted: 'Kundens fakturasida',
    hostedHint: 'Fakturan som kunden ser den; där kan kunden betala en obetald faktura.', openHosted: 'Öppna fakturasidan',
    paidAt: 'Betald', openSub: 'Prenumeration för {0}', back: 'Fakturor',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const STATUSES = ['OPEN', 'PAID', 'FAILED', 'VOID'];
const pct = percent;

const listQuery = `query Invoices($first: Int, $after: String, $status: [InvoiceStatus!]) {
  invoices(first: $first, after: $after, status: $status) {
    edges { node { id number status kind description period { start end } gross { formatted } paidAt nextAttemptAt createdAt
      subscription { id customer { name email } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const dueOrPaid = (i) => (i.paidAt ? tx('paidOn', fmtTime(i.paidAt)) : i.nextAttemptAt && i.status !== 'VOID' ? tx('dueOn', fmtTime(i.nextAttemptAt)) : '–');

export function InvoicesPage() {
  const [status, setStatus] = useState(query().get('status') || '');
  const pager = usePager([status]);
  const { data, error, loading, reload } = useQuery(listQuery, { first: 25, after: pager.after, status: status ? [status] : null }, [status, pager.after]);
  useMoneyMoves(reload);
  const edges = data?.invoices.edges || [];
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} />`}>
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="i-status">${tx('statusLabel')}</label>
        <select id="i-status" value=${status} onChange=${(e) => { const v = e.currentTarget.value; setStatus(v); setQuery({ status: v }); }}>
          <option value="">${t('all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusText(s, 'invoice')}</option>`)}
        </select></div>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<div class="panel">
      <${Table} caption=${tx('title')} empty=${tx('noInvoices')} rows=${edges.map((e) => e.node)} cols=${[
        { label: tx('number'), cell: (i) => html`<${Link} href=${'/subscriptions/invoices/' + i.id}>${tx('invoice', i.number)}</${Link}>` },
        { label: tx('customer'), cell: (i) => (i.subscription
          ? html`<${Link} href=${'/subscriptions/' + i.subscription.id}>${i.subscription.customer.name || i.subscription.customer.email}</${Link}>` : '–') },
        { label: tx('amount'), num: true, cell: (i) => i.gross.formatted },
        { label: tx('status'), cell: (i) => html`<${Status} value=${i.status} kind="invoice" />` },
        { label: tx('period'), cell: (i) => (i.period ? periodText(i.period) : tx(i.kind) || i.description) },
        { label: tx('dueOrPaid'), cell: dueOrPaid },
      ]} />
      <${pager.Pager} pageInfo=${data?.invoices.pageInfo} />
    </div>`}
  </${Page}>`;
}

const invoiceQuery = `query Invoice($id: ID!) { node(id: $id) { ... on Invoice {
  id number status kind description period { start end } attempts nextAttemptAt failureCode url paidAt createdAt
  lines { description quantity unitPrice { formatted } vatRate net { amount currency formatted } vat { amount currency formatted } gross { formatted } }
  net { formatted } vat { formatted } gross { amount currency formatted }
  subscription { id status customer { name email } }
  payment { id status captureMode initiator amount { formatted } captured { amount formatted } refunded { formatted }
    refundable { amount currency formatted } capturable { amount currency formatted } captureBefore
    card { brand last4 expMonth expYear } createdAt failureMessage
    events { type amount { formatted } status detail actor { name email } createdAt } }
} } }`;

export function InvoicePage({ id }) {
  const { data, error, loading, reload } = useQuery(invoiceQuery, { id }, [id]);
  useMoneyMoves(reload);
  if (loading && !data) return html`<${Loading} />`;
  if (error || !data?.node) return html`<${Page} title=${tx('title')} back=${{ href: '/invoices', label: tx('back') }}><${ErrorBox} error=${error || { message: t('err.NOT_FOUND') }} retry=${reload} /></${Page}>`;
  const i = data.node;
  const sub = i.subscription;
  // VAT per rate, from the lines.
  const byRate = new Map();
  for (const l of i.lines) byRate.set(l.vatRate, (byRate.get(l.vatRate) || 0) + l.vat.amount);
  const cur = i.gross.currency;
  return html`<${Page} title=${tx('invoice', i.number)} back=${{ href: '/invoices', label: tx('back') }}
      actions=${html`<${Status} value=${i.status} kind="invoice" /><${LiveBadge} />`}>
    <div class="cols">
      <div>
        <${Panel} title=${tx('lines')} id="lines-h">
          <div class="table-wrap"><table class="data lines-table">
            <thead><tr><th scope="col">${tx('description')}</th><th scope="col" class="num">${tx('quantity')}</th><th scope="col" class="num">${tx('unitPrice')}</th><th scope="col" class="num">${tx('vatRate')}</th><th scope="col" class="num">${tx('total')}</th></tr></thead>
            <tbody>${i.lines.map((l) => html`<tr><td data-label=${tx('description')}>${l.description}</td><td class="num" data-label=${tx('quantity')}>${l.quantity}</td>
              <td class="num" data-label=${tx('unitPrice')}>${l.unitPrice.formatted}</td><td class="num" data-label=${tx('vatRate')}>${pct(l.vatRate)}</td><td class="num" data-label=${tx('total')}>${l.gross.formatted}</td></tr>`)}</tbody>
          </table></div>
          <table class="sums"><tbody>
            <tr><th scope="row">${tx('net')}</th><td class="num">${i.net.formatted}</td></tr>
            ${byRate.size > 1 ? [...byRate].map(([r, v]) => html`<tr><th scope="row">${tx('vatAt', pct(r))}</th><td class="num">${formatMinor(v, cur)}</td></tr>`)
              : html`<tr><th scope="row">${byRate.size ? tx('vatAt', pct([...byRate.keys()][0])) : tx('vat')}</th><td class="num">${i.vat.formatted}</td></tr>`}
            <tr><th scope="row">${tx('gross')}</th><td class="num"><strong>${i.gross.formatted}</strong></td></tr>
          </tbody></table>
        </${Panel}>
        <${Panel} title=${tx('attemptsHead')} id="attempts-h">
          <${DL} items=${[
            [tx('attempts'), String(i.attempts)],
            i.nextAttemptAt && i.status !== 'PAID' && i.status !== 'VOID' && [tx('nextAttempt'), html`<${Time} t=${i.nextAttemptAt} />`],
            i.failureCode && [tx('failure'), i.failureCode],
            i.paidAt && [tx('paidAt'), html`<${Time} t=${i.paidAt} />`],
          ]} />
          <h3>${tx('payment')}</h3>
          ${i.payment ? html`<${PaymentBox} p=${i.payment} onDone=${reload} />` : html`<p class="empty">${tx('noPayment')}</p>`}
        </${Panel}>
      </div>
      <div>
        <${Panel} title=${tx('subscription')} id="sub-h">
          <${DL} items=${[
            sub && [tx('customer'), html`<${Link} href=${'/subscriptions/' + sub.id}>${tx('openSub', sub.customer.name || sub.customer.email)}</${Link}>`],
            sub && [tx('status'), html`<${Status} value=${sub.status} kind="subscription" />`],
            [tx('kind'), tx(i.kind)],
            [tx('period'), i.period ? periodText(i.period) : '–'],
            [tx('description'), i.description],
            [tx('created'), html`<${Time} t=${i.createdAt} />`],
          ]} />
        </${Panel}>
        <${Panel} title=${tx('hosted')} id="hosted-h">
          <p class="hint">${tx('hostedHint')}</p>
          <p><a href=${i.url} target="_blank" rel="noopener">${tx('openHosted')}</a></p>
          <p class="break">${i.url}</p>
          <p><${CopyButton} text=${i.url} /></p>
        </${Panel}>
      </div>
    </div>
  </${Page}>`;
}
