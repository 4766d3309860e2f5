// Subscriptions: the list, the form that creates one (the customer is
// emailed the link of the first payment, which stores the card), and a
// subscription's page: plan, period, stored card, invoices, usage, the
// upcoming invoice, and pause, resume, cancel, change plan, charge.
import {
  html, useState, useRef, Page, Panel, Link, Loading, ErrorBox, Status, Time, Table, DL, useQuery, useLive, useMoneyMoves, LiveBadge,
  useForm, Input, Select, Field, FormError, usePager, query, setQuery, navigate, session, parseAmount, amountInput,
  CopyButton, QR, fmtTime, formatMinor, percent,
} from '../ui.js';
import { mutate, newKey } from '../gql.js';
import { tt, t, lang, statusText } from '../i18n.js';

const T = {
  en: {
    title: 'Subscriptions', newTitle: 'New subscription', sub: 'Subscription of {0}', customer: 'Customer', plan: 'Plan',
    status: 'Status', periodEnd: 'Current period ends', created: 'Created', noSubs: 'No subscriptions match.',
    statusLabel: 'Status', customerHead: 'Customer', customerName: 'Customer name', customerEmail: 'Customer email',
    language: 'Language of emails and payment page', sv: 'Swedish', en: 'English',
    planHead: 'Plan', kind: 'Plan type', FIXED: 'Fixed amount each interval', USAGE: 'Usage (metered)', MANUAL: 'Manual charges',
    kindShort_FIXED: 'Fixed', kindShort_USAGE: 'Usage', kindShort_MANUAL: 'Manual',
    kindHint_FIXED: 'Charged in advance at the start of each period.', kindHint_USAGE: 'Usage reported through the API, charged at the end of each period.',
    kindHint_MANUAL: 'No schedule: you charge the stored card when you choose.',
    description: 'Description', descriptionHint: 'Shown on invoices and in emails, e.g. “Coffee club”.',
    interval: 'Interval', MONTHLY: 'Monthly', QUARTERLY: 'Quarterly', SEMIANNUAL: 'Every six months', YEARLY: 'Yearly',
    per_MONTHLY: 'month', per_QUARTERLY: 'quarter', per_SEMIANNUAL: 'half-year', per_YEARLY: 'year',
    amount: 'Amount', amountHint: 'Including VAT, each interval, in {0}', unitPrice: 'Unit price', unitPriceHint: 'Including VAT, per unit, in {0}',
    vatRate: 'VAT rate', currency: 'Currency', aggregation: 'How usage is counted', SUM: 'Sum of reported quantities', MAX: 'Largest reported quantity (e.g. seats)',
    useTiers: 'Price in tiers (graduated)', tiersHead: 'Tiers', tier: 'Tier {0}', upTo: 'Up to (units)', upToHint: 'Empty on the last tier: no limit.',
    flatFee: 'Flat fee', addTier: 'Add tier', removeTier: 'Remove tier {0}',
    create: 'Create subscription', badAmount: 'Write an amount, e.g. 199,00.', badUpTo: 'Write a whole number of units, or leave the last tier empty.',
    emailed: 'Created. We emailed {0} the link for the first payment: paying it stores the card and starts the subscription.',
    firstPayment: 'First payment', firstPaymentHint: 'Send this link to the customer if the email does not arrive.',
    linkStatus: 'Link status', expires: 'Valid until',
    planSummary_FIXED: '{0} / {1}', planSummary_USAGE: '{0} per unit / {1}', planSummary_TIERS: 'Tiered usage / {0}', planSummary_MANUAL: 'Manual charges',
    currentPeriod: 'Current period', nextBilling: 'Next charge', card: 'Stored card', noCard: 'No card yet: waiting for the first payment.',
    cardLine: '{0} ending {1}, expires {2}', processor: 'Processor', pendingPlan: 'From the next period', cancelAt: 'Ends at the end of the period: {0}',
    cancelledAt: 'Cancelled', invoices: 'Invoices', noInvoices: 'No invoices yet.', number: 'Number', period: 'Period', dueOrPaid: 'Due / paid',
    invoice: 'Invoice {0}', paidOn: 'Paid {0}', dueOn: 'Due {0}', usage: 'Usage so far', usagePeriod: 'Period', quantity: 'Quantity',
    events: 'Reports', usageAmount: 'Cost so far', upcoming: 'Upcoming invoice', upcomingNone: 'No upcoming invoice.', upcomingFirst: 'The first period is paid through the first-payment link.', dueAt: 'Charged',
    net: 'Net', vat: 'VAT', gross: 'Total incl. VAT', dunning: 'Payment state',
    dunning_ok: 'Charges are going through.', dunning_PAST_DUE: 'Past due: a charge failed every retry. New periods are still invoiced; the customer was emailed a link to pay with another card.',
    dunning_retry: 'Invoice {0}: the charge failed {1} time(s); the next try is {2}.', dunning_PENDING_MANDATE: 'Waiting for the customer’s first payment.',
    dunning_PAUSED: 'Paused: periods while paused are not billed.', dunning_CANCELLED: 'Cancelled: nothing more is billed.',
    pause: 'Pause', resume: 'Resume', paused: 'Paused.', resumed: 'Resumed.',
    cancelHead: 'Cancel subscription', cancelSub: 'Cancel subscription', cancelWhen: 'When', cancelNow: 'Now: nothing more is billed',
    cancelEnd: 'At the end of the current period', confirmCancelNow: 'Cancel this subscription now? Nothing more is billed.',
    confirmCancelEnd: 'Cancel this subscription at the end of the current period?', cancelled: 'Cancelled.', cancelScheduled: 'It ends at the end of the period.',
    changeHead: 'Change plan', changeHint: 'The new plan takes effect from the next period. The plan type, interval and currency stay.',
    changePlan: 'Change plan', changed: 'Plan changed: it takes effect from the next period.', changedNow: 'The plan was changed.',
    chargeHead: 'Charge manually', chargeHint: 'Invoices the customer and charges the stored card at once.',
    chargeAmount: 'Amount to charge', chargeAmountHint: 'Including VAT, in {0}', chargeDescription: 'What the charge is for',
    chargeVat: 'VAT rate of the charge', planVat: 'As the plan ({0})', charge: 'Charge card', confirmCharge: 'Charge {0} to the customer’s card?',
    charged: 'Invoice {0} made; the payment is {1}.', actions: 'Actions', back: 'Subscriptions', noActions: 'A cancelled subscription has no actions.',
    openInvoice: 'Open invoice {0}',
  },
  sv: {
    title: 'Prenumerationer', newTitle: 'Ny prenumeration', sub: 'Prenumeration för {0}', customer: 'Kund', plan: 'Plan',
    status: 'Status', periodEnd: 'Perioden slutar', created: 'Skapad', noSubs: 'Inga prenumerationer matchar.',
    statusLabel: 'Status', customerHead: 'Kund', customerName: 'Kundens namn', customerEmail: 'Kundens e-post',
    language: 'Språk i e-post och på betalsidan', sv: 'Svenska', en: 'Engelska',
    planHead: 'Plan', kind: 'Typ av plan', FIXED: 'Fast belopp varje period', USAGE: 'Användning (mätt)', MANUAL: 'Manuella debiteringar',
    kindShort_FIXED: 'Fast', kindShort_USAGE: 'Användning', kindShort_MANUAL: 'Manuell',
    kindHint_FIXED: 'Dras i förskott när varje period börjar.', kindHint_USAGE: 'Användning rapporteras via API:t och dras när varje period slutar.',
    kindHint_MANUAL: 'Inget schema: du drar från det sparade kortet när du vill.',
    description: 'Beskrivning', descriptionHint: 'Visas på fakturor och i e-post, t.ex. ”Kaffeklubben”.',
    interval: 'Intervall', MONTHLY: 'Varje månad', QUARTERLY: 'Varje kvartal', SEMIANNUAL: 'Varje halvår', YEARLY: 'Varje år',
    per_MONTHLY: 'månad', per_QUARTERLY: 'kvartal', per_SEMIANNUAL: 'halvår', per_YEARLY: 'år',
    amount: 'Belopp', amountHint: 'Inklusive moms, varje period, i {0}', unitPrice: 'Styckpris', unitPriceHint: 'Inklusive moms, per enhet, i {0}',
    vatRate: 'Momssats', currency: 'Valuta', aggregation: 'Hur användningen räknas', SUM: 'Summan av rapporterade antal', MAX: 'Största rapporterade antal (t.ex. platser)',
    useTiers: 'Pris i trappsteg', tiersHead: 'Trappsteg', tier: 'Steg {0}', upTo: 'Upp till (enheter)', upToHint: 'Tomt på sista steget: ingen gräns.',
    flatFee: 'Fast avgift', addTier: 'Lägg till steg', removeTier: 'Ta bort steg {0}',
    create: 'Skapa prenumeration', badAmount: 'Skriv ett belopp, t.ex. 199,00.', badUpTo: 'Skriv ett heltal, eller lämna sista steget tomt.',
    emailed: 'Skapad. Vi har mejlat länken till första betalningen till {0}: betalningen sparar kortet och startar prenumerationen.',
    firstPayment: 'Första betalningen', firstPaymentHint: 'Skicka länken till kunden om mejlet inte kommer fram.',
    linkStatus: 'Länkens status', expires: 'Gäller till',
    planSummary_FIXED: '{0} / {1}', planSummary_USAGE: '{0} per enhet / {1}', planSummary_TIERS: 'Användning i trappsteg / {0}', planSummary_MANUAL: 'Manuella debiteringar',
    currentPeriod: 'Aktuell period', nextBilling: 'Nästa dragning', card: 'Sparat kort', noCard: 'Inget kort än: väntar på första betalningen.',
    cardLine: '{0} som slutar på {1}, går ut {2}', processor: 'Inlösare', pendingPlan: 'Från nästa period', cancelAt: 'Upphör när perioden slutar: {0}',
    cancelledAt: 'Avslutad', invoices: 'Fakturor', noInvoices: 'Inga fakturor än.', number: 'Nummer', period: 'Period', dueOrPaid: 'Förfaller / betald',
    invoice: 'Faktura {0}', paidOn: 'Betald {0}', dueOn: 'Dras {0}', usage: 'Användning hittills', usagePeriod: 'Period', quantity: 'Antal',
    events: 'Rapporter', usageAmount: 'Kostnad hittills', upcoming: 'Kommande faktura', upcomingNone: 'Ingen kommande faktura.', upcomingFirst: 'Första perioden betalas via länken till första betalningen.', dueAt: 'Dras',
    net: 'Netto', vat: 'Moms', gross: 'Summa inkl. moms', dunning: 'Betalningsläge',
    dunning_ok: 'Dragningarna går igenom.', dunning_PAST_DUE: 'Förfallen: en dragning misslyckades vid alla försök. Nya perioder faktureras ändå; kunden har fått en länk för att betala med ett annat kort.',
    dunning_retry: 'Faktura {0}: dragningen misslyckades {1} gång(er); nästa försök {2}.', dunning_PENDING_MANDATE: 'Väntar på kundens första betalning.',
    dunning_PAUSED: 'Pausad: perioder under pausen faktureras inte.', dunning_CANCELLED: 'Avslutad: inget mer faktureras.',
    pause: 'Pausa', resume: 'Återuppta', paused: 'Pausad.', resumed: 'Återupptagen.',
    cancelHead: 'Avsluta prenumerationen', cancelSub: 'Avsluta prenumerationen', cancelWhen: 'När', cancelNow: 'Nu: inget mer faktureras',
    cancelEnd: 'När den aktuella perioden slutar', confirmCancelNow: 'Avsluta prenumerationen nu? Inget mer faktureras.',
    confirmCancelEnd: 'Avsluta prenumerationen när den aktuella perioden slutar?', cancelled: 'Avslutad.', cancelScheduled: 'Den upphör när perioden slutar.',
    changeHead: 'Byt plan', changeHint: 'Den nya planen gäller från nästa period. Typ av plan, intervall och valuta är desamma.',
    changePlan: 'Byt plan', changed: 'Planen är ändrad: den gäller från nästa period.', changedNow: 'Planen ändrades.',
    chargeHead: 'Debitera manuellt', chargeHint: 'Fakturerar kunden och drar från det sparade kortet direkt.',
    chargeAmount: 'Belopp att dra', chargeAmountHint: 'Inklusive moms, i {0}', chargeDescription: 'Vad dragningen gäller',
    chargeVat: 'Momssats för dragningen', planVat: 'Som planen ({0})', charge: 'Dra från kortet', confirmCharge: 'Dra {0} från kundens kort?',
    charged: 'Faktura {0} skapad; betalningen är {1}.', actions: 'Åtgärder', back: 'Prenumerationer', noActions: 'En avslutad prenumeration har inga åtgärder.',
    openInvoice: 'Öppna faktura {0}',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const STATUSES = ['PENDING_MANDATE', 'ACTIVE', 'PAST_DUE', 'PAUSED', 'CANCELLED'];
const INTERVALS = ['MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'];
const RATES = [2500, 1200, 600, 0];
const pct = percent;
const day = (iso) => fmtTime(iso, { time: false });

// periodText shows a period as its first and last day (its end is the
// start of the next).
export function periodText(p) {
  if (!p) return '–';
  return day(p.start) + ' – ' + day(new Date(new Date(p.end).getTime() - 1).toISOString());
}

export function planText(p) {
  if (!p) return '–';
  const per = p.interval ? tx('per_' + p.interval) : '';
  let s;
  if (p.kind === 'FIXED') s = tx('planSummary_FIXED', p.amount?.formatted || '–', per);
  else if (p.kind === 'USAGE') s = p.tiers?.length ? tx('planSummary_TIERS', per) : tx('planSummary_USAGE', p.unitPrice?.formatted || '–', per);
  else s = tx('planSummary_MANUAL');
  // The server names a plan without a description by its kind.
  const plain = ['Subscription', 'Usage', 'Charge', 'Abonnemang', 'Användning', 'Debitering'].includes(p.description);
  return p.description && !plain ? p.description + ' · ' + s : s;
}

const planFields = `kind description amount { amount currency formatted } unitPrice { amount currency formatted }
  tiers { upTo unitPrice { amount formatted } flatFee { amount formatted } } aggregation currency interval vatRate`;

// ---- list ------------------------------------------------------------------

const listQuery = `query Subscriptions($first: Int, $after: String, $status: [BillingSubscriptionStatus!]) {
  subscriptions(first: $first, after: $after, status: $status) {
    edges { node { id status customer { name email } plan { ${planFields} } currentPeriod { start end } cancelAtPeriodEnd createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function SubscriptionsPage() {
  const [status, setStatus] = useState(query().get('status') || '');
  const pager = usePager([status]);
  const { data, error, loading, reload } = useQuery(listQuery, { first: 25, after: pager.after, status: status ? [status] : null }, [status, pager.after]);
  useMoneyMoves(reload);
  const edges = data?.subscriptions.edges || [];
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} /><${Link} class="button" href="/subscriptions/new">${tx('newTitle')}</${Link}>`}>
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="s-status">${tx('statusLabel')}</label>
        <select id="s-status" value=${status} onChange=${(e) => { const v = e.currentTarget.value; setStatus(v); setQuery({ status: v }); }}>
          <option value="">${t('all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusText(s, 'subscription')}</option>`)}
        </select></div>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<div class="panel">
      <${Table} caption=${tx('title')} empty=${tx('noSubs')} rows=${edges.map((e) => e.node)} cols=${[
        { label: tx('customer'), cell: (s) => html`<${Link} href=${'/subscriptions/' + s.id}>${s.customer.name || s.customer.email || '–'}</${Link}>` },
        { label: tx('plan'), cell: (s) => html`<span>${tx('kindShort_' + s.plan.kind)}${s.plan.kind !== 'MANUAL' ? ': ' + planText(s.plan) : ''}</span>` },
        { label: tx('status'), cell: (s) => html`<${Status} value=${s.status} kind="subscription" />` },
        { label: tx('periodEnd'), cell: (s) => (s.currentPeriod ? day(s.currentPeriod.end) : '–') },
        { label: tx('created'), cell: (s) => html`<${Time} t=${s.createdAt} />` },
      ]} />
      <${pager.Pager} pageInfo=${data?.subscriptions.pageInfo} />
    </div>`}
  </${Page}>`;
}

// ---- the plan's fields (new subscription, change of plan) -------------------

const emptyTier = () => ({ upTo: '', unitPrice: '', flatFee: '' });

function planValues(p) {
  const cur = p?.currency || session.merchant?.defaultCurrency || 'SEK';
  return {
    'plan.kind': p?.kind || 'FIXED', 'plan.description': p?.description || '', 'plan.interval': p?.interval || 'MONTHLY',
    'plan.amount': p?.amount ? amountInput(p.amount.amount, cur) : '', 'plan.unitPrice': p?.unitPrice ? amountInput(p.unitPrice.amount, cur) : '',
    'plan.vatRate': String(p?.vatRate ?? 2500), 'plan.currency': cur, 'plan.aggregation': p?.aggregation || 'SUM',
    useTiers: !!p?.tiers?.length,
  };
}

function tiersOf(p) {
  const cur = p?.currency || 'SEK';
  return p?.tiers?.length
    ? p.tiers.map((x) => ({ upTo: x.upTo == null ? '' : String(x.upTo), unitPrice: amountInput(x.unitPrice.amount, cur), flatFee: x.flatFee.amount ? amountInput(x.flatFee.amount, cur) : '' }))
    : [emptyTier(), emptyTier()];
}

// readPlan turns the form's plan fields into a PlanInput, or returns the
// field errors the browser can tell at once.
function readPlan(v, tiers) {
  const errs = {};
  const kind = v['plan.kind'], cur = v['plan.currency'];
  const plan = { kind, description: v['plan.description'].trim() || null, vatRate: Number(v['plan.vatRate']), currency: cur };
  if (kind !== 'MANUAL') plan.interval = v['plan.interval'];
  if (kind === 'FIXED') {
    const a = parseAmount(v['plan.amount'], cur);
    if (a == null) errs['plan.amount'] = tx('badAmount');
    plan.amount = a;
  }
  if (kind === 'USAGE') {
    plan.aggregation = v['plan.aggregation'];
    if (v.useTiers) {
      plan.tiers = tiers.map((x, i) => {
        const last = i === tiers.length - 1;
        const out = {};
        const up = x.upTo.trim();
        if (up === '' && last) out.upTo = null;
        else if (/^\d+$/.test(up)) out.upTo = Number(up);
        else errs[`plan.tiers.${i}.upTo`] = tx('badUpTo');
        const u = parseAmount(x.unitPrice, cur);
        if (u == null) errs[`plan.tiers.${i}.unitPrice`] = tx('badAmount');
        out.unitPrice = u;
        if (x.flatFee.trim()) {
          const f = parseAmount(x.flatFee, cur);
          if (f == null) errs[`plan.tiers.${i}.flatFee`] = tx('badAmount');
          out.flatFee = f;
        }
        return out;
      });
    } else {
      const u = parseAmount(v['plan.unitPrice'], cur);
      if (u == null) errs['plan.unitPrice'] = tx('badAmount');
      plan.unitPrice = u;
    }
  }
  return { plan, errs };
}

const shown = /^(customer\.(name|email|locale)|plan\.(kind|description|interval|amount|unitPrice|vatRate|currency|aggregation|tiers(\.\d+\.(upTo|unitPrice|flatFee))?))$/;

// loose lets a form without fields say every userError above it.
const loose = (p) => (p?.userErrors?.length ? { ...p, userErrors: p.userErrors.map((e) => ({ ...e, field: null })) } : p);

// placeErrors puts the server's plan errors (most name only "plan") beside
// the field they are about.
function placeErrors(p, kind, useTiers) {
  if (!p?.userErrors?.length) return p;
  const byCode = {
    INVALID_VAT_RATE: 'plan.vatRate', INVALID_INTERVAL: 'plan.interval', INVALID_TIERS: 'plan.tiers', INVALID_CURRENCY: 'plan.currency',
    INVALID_AMOUNT: kind === 'USAGE' ? (useTiers ? 'plan.tiers' : 'plan.unitPrice') : 'plan.amount', AMOUNT_TOO_LARGE: kind === 'USAGE' ? 'plan.unitPrice' : 'plan.amount',
    AMOUNT_ABOVE_LIMIT: kind === 'USAGE' ? 'plan.kind' : 'plan.amount', LIMIT_CURRENCY_MISMATCH: 'plan.currency',
  };
  const userErrors = p.userErrors.map((e) => {
    const path = (e.field || []).filter((x, i) => !(i === 0 && x === 'input')).join('.');
    if (byCode[e.code] && (path === 'plan' || path === 'amount' || path === '')) return { ...e, field: ['input', ...byCode[e.code].split('.')] };
    if (path === 'plan') return { ...e, field: ['input', e.message.startsWith('description') ? 'plan.description' : 'plan.kind'] };
    if (path === 'currency') return { ...e, field: ['input', 'plan', 'currency'] };
    // What no field shows is said above the form.
    return shown.test(path) ? e : { ...e, field: null };
  });
  return { ...p, userErrors };
}

function PlanFields({ form, tiers, setTiers, change, prefix = 'plan' }) {
  const v = form.values, e = form.errors;
  const kind = v['plan.kind'], cur = v['plan.currency'];
  const id = (k) => prefix + '-' + k;
  const setTier = (i, k, val) => setTiers(tiers.map((x, j) => (j === i ? { ...x, [k]: val } : x)));
  const tierErr = e['plan.tiers'];
  return html`
    <div class="form-row">
      <${Select} form=${form} name="plan.kind" id=${id('kind')} label=${tx('kind')} hint=${tx('kindHint_' + kind)}
        options=${['FIXED', 'USAGE', 'MANUAL'].map((k) => [k, tx(k)])} disabled=${change} />
      ${kind !== 'MANUAL' && html`<${Select} form=${form} name="plan.interval" id=${id('interval')} label=${tx('interval')}
        options=${INTERVALS.map((k) => [k, tx(k)])} disabled=${change} />`}
    </div>
    <${Input} form=${form} name="plan.description" id=${id('description')} label=${tx('description')} hint=${tx('descriptionHint')} autocomplete="off" />
    <div class="form-row">
      ${kind === 'FIXED' && html`<${Input} form=${form} name="plan.amount" id=${id('amount')} label=${tx('amount')} inputmode="decimal" hint=${tx('amountHint', cur)} />`}
      ${kind === 'USAGE' && !v.useTiers && html`<${Input} form=${form} name="plan.unitPrice" id=${id('unitPrice')} label=${tx('unitPrice')} inputmode="decimal" hint=${tx('unitPriceHint', cur)} />`}
      <${Select} form=${form} name="plan.vatRate" id=${id('vatRate')} label=${tx('vatRate')} class="narrow" options=${RATES.map((r) => [String(r), pct(r)])} />
      <${Select} form=${form} name="plan.currency" id=${id('currency')} label=${tx('currency')} class="narrow" disabled=${change}
        options=${[...new Set([cur, 'SEK', 'EUR', 'NOK', 'DKK', 'USD'])].map((c) => [c, c])} />
    </div>
    ${kind === 'USAGE' && html`
      <div class="form-row">
        <${Select} form=${form} name="plan.aggregation" id=${id('aggregation')} label=${tx('aggregation')} options=${['SUM', 'MAX'].map((k) => [k, tx(k)])} />
      </div>
      <div class="field check"><label class="check" for=${id('tiers')}><input id=${id('tiers')} type="checkbox" checked=${!!v.useTiers}
        onChange=${(ev) => form.set('useTiers', ev.currentTarget.checked)} /> ${tx('useTiers')}</label></div>
      ${v.useTiers && html`<fieldset class="lines">
        <legend>${tx('tiersHead')}</legend>
        ${tierErr && html`<p class="field-error" role="alert">${tierErr}</p>`}
        ${tiers.map((x, i) => html`<fieldset class="line" key=${i} aria-label=${tx('tier', i + 1)}>
          <div class="line-head"><span>${tx('tier', i + 1)}</span>
            ${tiers.length > 1 && html`<button type="button" class="linkish" onClick=${() => setTiers(tiers.filter((_, j) => j !== i))}>${tx('removeTier', i + 1)}</button>`}</div>
          <div class="form-row">
            <${Field} class="narrow" id=${id('tier-' + i + '-upTo')} label=${tx('upTo')} hint=${i === tiers.length - 1 ? tx('upToHint') : ''} error=${e[`plan.tiers.${i}.upTo`]}>${(a) =>
              html`<input id=${id('tier-' + i + '-upTo')} inputmode="numeric" value=${x.upTo} onInput=${(ev) => setTier(i, 'upTo', ev.currentTarget.value)} ...${a} />`}</${Field}>
            <${Field} id=${id('tier-' + i + '-unitPrice')} label=${tx('unitPrice')} hint=${tx('unitPriceHint', cur)} error=${e[`plan.tiers.${i}.unitPrice`]}>${(a) =>
              html`<input id=${id('tier-' + i + '-unitPrice')} inputmode="decimal" value=${x.unitPrice} onInput=${(ev) => setTier(i, 'unitPrice', ev.currentTarget.value)} ...${a} />`}</${Field}>
            <${Field} id=${id('tier-' + i + '-flatFee')} label=${tx('flatFee')} error=${e[`plan.tiers.${i}.flatFee`]}>${(a) =>
              html`<input id=${id('tier-' + i + '-flatFee')} inputmode="decimal" value=${x.flatFee} onInput=${(ev) => setTier(i, 'flatFee', ev.currentTarget.value)} ...${a} />`}</${Field}>
          </div>
        </fieldset>`)}
        <button type="button" class="secondary" onClick=${() => setTiers([...tiers, emptyTier()])}>${tx('addTier')}</button>
      </fieldset>`}`}`;
}

// ---- new subscription ----------------------------------------------------------

export function NewSubscriptionPage() {
  const form = useForm({ 'customer.name': '', 'customer.email': '', 'customer.locale': lang === 'en' ? 'en' : 'sv', ...planValues(null) });
  const [tiers, setTiers] = useState(tiersOf(null));
  const submit = async (ev) => {
    ev.preventDefault();
    const v = form.values;
    const { plan, errs } = readPlan(v, tiers);
    if (Object.keys(errs).length) { form.setErrors(errs); form.setFormError(t('err.form')); return; }
    const input = { customer: { name: v['customer.name'], email: v['customer.email'], locale: v['customer.locale'] }, plan };
    const p = await form.submit(async () => placeErrors(await mutate(`mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) {
      subscription { id customer { email } } paymentLink { url } userErrors { field message code } } }`, { input }), plan.kind, v.useTiers));
    if (p?.subscription) {
      sessionStorage.setItem('kassa.subCreated.' + p.subscription.id, p.subscription.customer.email || v['customer.email']);
      navigate('/subscriptions/' + p.subscription.id);
    }
  };
  return html`<${Page} title=${tx('newTitle')} back=${{ href: '/subscriptions', label: tx('back') }}>
    <form class="panel" onSubmit=${submit} novalidate>
      <${FormError} message=${form.formError} />
      <h2>${tx('customerHead')}</h2>
      <div class="form-row">
        <${Input} form=${form} name="customer.name" id="customer-name" label=${tx('customerName')} autocomplete="off" />
        <${Input} form=${form} name="customer.email" id="customer-email" label=${tx('customerEmail')} type="email" autocomplete="off" />
      </div>
      <${Select} form=${form} name="customer.locale" id="customer-locale" label=${tx('language')} options=${[['sv', tx('sv')], ['en', tx('en')]]} />
      <h2>${tx('planHead')}</h2>
      <${PlanFields} form=${form} tiers=${tiers} setTiers=${setTiers} />
      <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('create')}</button></div>
    </form>
  </${Page}>`;
}

// ---- one subscription -------------------------------------------------------------

const subQuery = `query Subscription($id: ID!) { node(id: $id) { ... on BillingSubscription {
  id status createdAt cancelAtPeriodEnd cancelledAt nextBillingAt
  customer { name email locale }
  plan { ${planFields} } pendingPlan { ${planFields} }
  currentPeriod { start end }
  mandate { processor card { brand last4 expMonth expYear } }
  firstPaymentLink { id url status expiresAt }
  invoices(first: 50) { edges { node { id number status kind description period { start end } gross { formatted }
    attempts nextAttemptAt paidAt createdAt } } pageInfo { hasNextPage } }
} } }`;

const moneyLines = `lines { description quantity unitPrice { formatted } vatRate net { formatted } vat { formatted } gross { formatted } }
  net { formatted } vat { formatted } gross { formatted }`;

export function SubscriptionPage({ id }) {
  const { data, error, loading, reload } = useQuery(subQuery, { id }, [id]);
  const kind = data?.node?.plan?.kind, status = data?.node?.status;
  // While the first payment is awaited, it is what comes next (the link).
  const extra = useQuery(status && status !== 'PENDING_MANDATE' && kind !== 'MANUAL' ? `query($id: ID!) { upcomingInvoice(subscriptionId: $id) { period { start end } dueAt description ${moneyLines} } }` : 'query { __typename }',
    { id }, [id, status, data]);
  const usage = useQuery(kind === 'USAGE' ? `query($id: ID!) { usageSummary(subscriptionId: $id) { period { start end } quantity events amount { formatted } } }` : 'query { __typename }',
    { id }, [id, kind, data]);
  useMoneyMoves(reload);
  const [created] = useState(() => {
    const k = 'kassa.subCreated.' + id, v = sessionStorage.getItem(k);
    sessionStorage.removeItem(k);
    return v;
  });
  if (loading && !data) return html`<${Loading} />`;
  if (error || !data?.node) return html`<${Page} title=${tx('title')} back=${{ href: '/subscriptions', label: tx('back') }}><${ErrorBox} error=${error || { message: t('err.NOT_FOUND') }} retry=${reload} /></${Page}>`;
  const s = data.node;
  const card = s.mandate?.card;
  const invoices = s.invoices.edges.map((e) => e.node);
  const link = s.firstPaymentLink;
  const up = extra.data?.upcomingInvoice;
  return html`<${Page} title=${tx('sub', s.customer.name || s.customer.email)} back=${{ href: '/subscriptions', label: tx('back') }}
      actions=${html`<${Status} value=${s.status} kind="subscription" /><${LiveBadge} />`}>
    ${created && html`<p class="notice" role="status">${tx('emailed', created)}</p>`}
    ${s.status === 'PENDING_MANDATE' && link && html`<${Panel} title=${tx('firstPayment')} id="first-h">
      <p class="hint">${tx('firstPaymentHint')}</p>
      <p><a href=${link.url} target="_blank" rel="noopener" class="break">${link.url}</a></p>
      <p><${CopyButton} text=${link.url} /> <${Status} value=${link.status} />${link.expiresAt && html` · ${tx('expires')} <${Time} t=${link.expiresAt} />`}</p>
      ${link.status === 'ACTIVE' && html`<${QR} text=${link.url} name="subscription-first-payment" />`}
    </${Panel}>`}
    <div class="cols">
      <div>
        <${Panel} title=${tx('plan')} id="plan-h">
          <${DL} items=${[
            [tx('kind'), tx(s.plan.kind)],
            s.plan.kind !== 'MANUAL' && [tx('plan'), planText(s.plan)],
            [tx('vatRate'), pct(s.plan.vatRate)],
            s.plan.kind === 'USAGE' && [tx('aggregation'), tx(s.plan.aggregation)],
            s.plan.tiers.length > 0 && [tx('tiersHead'), html`<ol class="tiers">${s.plan.tiers.map((x) => html`<li>${x.upTo == null ? '∞' : '≤ ' + x.upTo}: ${x.unitPrice.formatted}${x.flatFee.amount ? ' + ' + x.flatFee.formatted : ''}</li>`)}</ol>`],
            s.pendingPlan && [tx('pendingPlan'), planText(s.pendingPlan)],
            s.plan.kind !== 'MANUAL' && [tx('currentPeriod'), periodText(s.currentPeriod)],
            s.plan.kind !== 'MANUAL' && [tx('nextBilling'), html`<${Time} t=${s.nextBillingAt} />`],
            s.cancelAtPeriodEnd && [tx('cancelAt'), html`<${Time} t=${s.cancelledAt} />`],
            !s.cancelAtPeriodEnd && s.cancelledAt && [tx('cancelledAt'), html`<${Time} t=${s.cancelledAt} />`],
            [tx('dunning'), dunningText(s, invoices)],
          ]} />
        </${Panel}>
        <${Panel} title=${tx('invoices')} id="inv-h">
          <${Table} caption=${tx('invoices')} empty=${tx('noInvoices')} rows=${invoices} cols=${[
            { label: tx('number'), cell: (i) => html`<${Link} href=${'/subscriptions/invoices/' + i.id} aria-label=${tx('openInvoice', i.number)}>${tx('invoice', i.number)}</${Link}>` },
            { label: tx('period'), cell: (i) => (i.period ? periodText(i.period) : i.description) },
            { label: tx('status'), cell: (i) => html`<${Status} value=${i.status} kind="invoice" />` },
            { label: t('amount'), num: true, cell: (i) => i.gross.formatted },
            { label: tx('dueOrPaid'), cell: (i) => (i.paidAt ? tx('paidOn', fmtTime(i.paidAt)) : i.nextAttemptAt ? tx('dueOn', fmtTime(i.nextAttemptAt)) : '–') },
          ]} />
        </${Panel}>
        ${kind === 'USAGE' && html`<${Panel} title=${tx('usage')} id="usage-h">
          <${ErrorBox} error=${usage.error} retry=${usage.reload} />
          ${usage.data?.usageSummary ? html`<${DL} items=${[
            [tx('usagePeriod'), periodText(usage.data.usageSummary.period)],
            [tx('quantity'), String(usage.data.usageSummary.quantity)],
            [tx('events'), String(usage.data.usageSummary.events)],
            [tx('usageAmount'), usage.data.usageSummary.amount.formatted],
          ]} />` : !usage.error && html`<${Loading} />`}
        </${Panel}>`}
        ${kind !== 'MANUAL' && html`<${Panel} title=${tx('upcoming')} id="upcoming-h">
          <${ErrorBox} error=${extra.error} retry=${extra.reload} />
          ${s.status === 'PENDING_MANDATE' ? html`<p class="empty">${tx('upcomingFirst')}</p>` : up ? html`<p>${up.description} · ${tx('dueAt')} <${Time} t=${up.dueAt} /></p>
            <${InvoiceLines} inv=${up} />` : extra.loading ? html`<${Loading} />` : html`<p class="empty">${tx('upcomingNone')}</p>`}
        </${Panel}>`}
      </div>
      <div>
        <${Panel} title=${tx('customerHead')} id="cust-h">
          <${DL} items=${[[tx('customerName'), s.customer.name], [tx('customerEmail'), s.customer.email], [tx('language'), tx(s.customer.locale)],
            [tx('created'), html`<${Time} t=${s.createdAt} />`]]} />
        </${Panel}>
        <${Panel} title=${tx('card')} id="card-h">
          ${card ? html`<p>${tx('cardLine', card.brand.charAt(0).toUpperCase() + card.brand.slice(1), card.last4, String(card.expMonth).padStart(2, '0') + '/' + card.expYear)}</p>
            <p class="hint">${tx('processor')}: ${s.mandate.processor}</p>` : html`<p class="empty">${tx('noCard')}</p>`}
        </${Panel}>
        <${Actions} sub=${s} onDone=${reload} />
      </div>
    </div>
  </${Page}>`;
}

function dunningText(s, invoices) {
  const failing = invoices.find((i) => (i.status === 'OPEN' || i.status === 'FAILED') && i.attempts > 0 && i.nextAttemptAt);
  if (failing && s.status !== 'CANCELLED') return tx('dunning_retry', failing.number, failing.attempts, fmtTime(failing.nextAttemptAt));
  if (['PAST_DUE', 'PENDING_MANDATE', 'PAUSED', 'CANCELLED'].includes(s.status)) return tx('dunning_' + s.status);
  return tx('dunning_ok');
}

export function InvoiceLines({ inv }) {
  return html`<div class="table-wrap"><table class="data lines-table">
    <thead><tr><th scope="col">${t('description')}</th><th scope="col" class="num">${tx('quantity')}</th><th scope="col" class="num">${tx('unitPrice')}</th><th scope="col" class="num">${tx('vatRate')}</th><th scope="col" class="num">${tx('gross')}</th></tr></thead>
    <tbody>${inv.lines.map((l) => html`<tr><td data-label=${t('description')}>${l.description}</td><td class="num" data-label=${tx('quantity')}>${l.quantity}</td>
      <td class="num" data-label=${tx('unitPrice')}>${l.unitPrice.formatted}</td><td class="num" data-label=${tx('vatRate')}>${pct(l.vatRate)}</td><td class="num" data-label=${tx('gross')}>${l.gross.formatted}</td></tr>`)}</tbody>
  </table></div>
  <table class="sums"><tbody>
    <tr><th scope="row">${tx('net')}</th><td class="num">${inv.net.formatted}</td></tr>
    <tr><th scope="row">${tx('vat')}</th><td class="num">${inv.vat.formatted}</td></tr>
    <tr><th scope="row">${tx('gross')}</th><td class="num"><strong>${inv.gross.formatted}</strong></td></tr>
  </tbody></table>`;
}

// ---- actions ------------------------------------------------------------------------

function Actions({ sub: s, onDone }) {
  const simple = useForm({});
  const [msg, setMsg] = useState('');
  const run = async (name, input, done) => {
    setMsg('');
    const p = await simple.submit(async () => loose(await mutate(`mutation($input: ${name[0].toUpperCase() + name.slice(1)}Input!) { ${name}(input: $input) {
      subscription { id status } userErrors { field message code } } }`, { input })));
    if (p) { setMsg(done); onDone(); }
  };
  if (s.status === 'CANCELLED') return html`<${Panel} title=${tx('actions')} id="actions-h"><p class="empty">${tx('noActions')}</p></${Panel}>`;
  const canPause = s.status === 'ACTIVE' || s.status === 'PAST_DUE';
  const canCharge = ['ACTIVE', 'PAST_DUE', 'PAUSED'].includes(s.status) && s.mandate;
  return html`<${Panel} title=${tx('actions')} id="actions-h">
    ${msg && html`<p class="notice" role="status">${msg}</p>`}
    <${FormError} message=${simple.formError} />
    ${(canPause || s.status === 'PAUSED') && html`<div class="form-actions">
      ${canPause && html`<button type="button" class="secondary" disabled=${simple.busy} onClick=${() => run('pauseSubscription', { id: s.id }, tx('paused'))}>${tx('pause')}</button>`}
      ${s.status === 'PAUSED' && html`<button type="button" disabled=${simple.busy} onClick=${() => run('resumeSubscription', { id: s.id }, tx('resumed'))}>${tx('resume')}</button>`}
    </div>`}
    ${canCharge && html`<${ChargeForm} sub=${s} onDone=${onDone} />`}
    <${ChangePlanForm} sub=${s} onDone=${onDone} />
    <${CancelForm} sub=${s} onDone=${onDone} />
  </${Panel}>`;
}

function CancelForm({ sub: s, onDone }) {
  const periodic = s.plan.kind !== 'MANUAL' && s.status !== 'PENDING_MANDATE';
  const form = useForm({ when: periodic ? 'end' : 'now' });
  const [done, setDone] = useState('');
  const go = async (e) => {
    e.preventDefault();
    const atEnd = periodic && form.values.when === 'end';
    if (!window.confirm(atEnd ? tx('confirmCancelEnd') : tx('confirmCancelNow'))) return;
    const p = await form.submit(async () => loose(await mutate(`mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) {
      subscription { id status cancelAtPeriodEnd } userErrors { field message code } } }`, { input: { id: s.id, atPeriodEnd: atEnd } })));
    if (p) { setDone(atEnd ? tx('cancelScheduled') : tx('cancelled')); onDone(); }
  };
  return html`<form class="sub-action" onSubmit=${go} aria-labelledby="cancel-h">
    <h3 id="cancel-h">${tx('cancelHead')}</h3>
    ${done && html`<p class="notice" role="status">${done}</p>`}
    <${FormError} message=${form.formError} />
    ${periodic && !s.cancelAtPeriodEnd && html`<fieldset class="choices"><legend>${tx('cancelWhen')}</legend>
      ${[['end', tx('cancelEnd')], ['now', tx('cancelNow')]].map(([v, l]) => html`<label class="check" for=${'cancel-' + v}>
        <input type="radio" id=${'cancel-' + v} name="cancel-when" value=${v} checked=${form.values.when === v} onChange=${() => form.set('when', v)} /> ${l}</label>`)}
    </fieldset>`}
    <button type="submit" class="danger" disabled=${form.busy}>${tx('cancelSub')}</button>
  </form>`;
}

function ChangePlanForm({ sub: s, onDone }) {
  const base = s.pendingPlan || s.plan;
  const form = useForm(planValues(base));
  const [tiers, setTiers] = useState(tiersOf(base));
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState('');
  const go = async (e) => {
    e.preventDefault();
    const { plan, errs } = readPlan(form.values, tiers);
    if (Object.keys(errs).length) { form.setErrors(errs); form.setFormError(t('err.form')); return; }
    const p = await form.submit(async () => placeErrors(await mutate(`mutation($input: UpdateSubscriptionPlanInput!) { updateSubscriptionPlan(input: $input) {
      subscription { id pendingPlan { kind } } userErrors { field message code } } }`, { input: { id: s.id, plan } }), plan.kind, form.values.useTiers));
    if (p) { setDone(p.subscription?.pendingPlan ? tx('changed') : tx('changedNow')); setOpen(false); onDone(); }
  };
  return html`<div class="sub-action">
    <h3 id="change-h">${tx('changeHead')}</h3>
    ${done && html`<p class="notice" role="status">${done}</p>`}
    ${!open ? html`<button type="button" class="secondary" aria-expanded="false" onClick=${() => setOpen(true)}>${tx('changePlan')}</button>`
      : html`<form onSubmit=${go} novalidate aria-labelledby="change-h">
        <p class="hint">${tx('changeHint')}</p>
        <${FormError} message=${form.formError} />
        <${PlanFields} form=${form} tiers=${tiers} setTiers=${setTiers} change=${true} prefix="change" />
        <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('changePlan')}</button>
          <button type="button" class="secondary" onClick=${() => setOpen(false)}>${t('cancel')}</button></div>
      </form>`}
  </div>`;
}

function ChargeForm({ sub: s, onDone }) {
  const cur = s.plan.currency;
  const form = useForm({ amount: '', description: '', vatRate: '' });
  const [done, setDone] = useState('');
  // One key per submission: a retry of the same charge (after a network
  // error) reuses it, so the card is charged at most once.
  const attempt = useRef({ key: null, sig: null });
  const go = async (e) => {
    e.preventDefault();
    setDone('');
    const amount = parseAmount(form.values.amount, cur);
    if (amount == null) { form.setErrors({ amount: tx('badAmount') }); form.setFormError(t('err.form')); return; }
    const input = { subscriptionId: s.id, amount, description: form.values.description };
    if (form.values.vatRate !== '') input.vatRate = Number(form.values.vatRate);
    const sig = JSON.stringify(input);
    if (attempt.current.sig !== sig || !attempt.current.key) attempt.current = { key: newKey(), sig };
    if (!window.confirm(tx('confirmCharge', formatMinor(amount, cur)))) return;
    const p = await form.submit(async () => {
      const r = await mutate(`mutation($input: ChargeSubscriptionInput!) { chargeSubscription(input: $input) {
        invoice { id number } payment { id status } userErrors { field message code } } }`, { input }, { idempotencyKey: attempt.current.key });
      // Errors about the subscription (no card, cancelled) or the limit's
      // currency belong to no field here: said above the form.
      if (r?.userErrors?.length) r.userErrors = r.userErrors.map((e) => (['amount', 'description', 'vatRate'].includes((e.field || []).slice(1).join('.')) ? e : { ...e, field: null }));
      return r;
    });
    if (p) {
      attempt.current = { key: null, sig: null };
      setDone(tx('charged', p.invoice?.number ?? '–', p.payment ? statusText(p.payment.status, 'payment').toLowerCase() : '–'));
      form.setValues({ amount: '', description: '', vatRate: '' });
      onDone();
    }
  };
  return html`<form class="sub-action" onSubmit=${go} novalidate aria-labelledby="charge-h">
    <h3 id="charge-h">${tx('chargeHead')}</h3>
    <p class="hint">${tx('chargeHint')}</p>
    ${done && html`<p class="notice" role="status">${done}</p>`}
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="amount" id="charge-amount" inputmode="decimal" label=${tx('chargeAmount')} hint=${tx('chargeAmountHint', cur)}
        />
      <${Select} form=${form} name="vatRate" id="charge-vat" label=${tx('chargeVat')}
        options=${[['', tx('planVat', pct(s.plan.vatRate))], ...RATES.map((r) => [String(r), pct(r)])]} />
    </div>
    <${Input} form=${form} name="description" id="charge-description" label=${tx('chargeDescription')} autocomplete="off" />
    <button type="submit" disabled=${form.busy}>${tx('charge')}</button>
  </form>`;
}
