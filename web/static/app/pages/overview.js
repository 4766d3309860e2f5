// The overview: what was sold in a chosen range, in the merchant's time
// zone, the money waiting (reservations), subscriptions, what failed, a
// revenue chart and a live feed of what is happening.
import {
  html, useState, useEffect, useRef, Page, Panel, Link, Loading, ErrorBox, Status, Money, Time, useQuery, useLive, LiveBadge,
  session, isManager, zonedDayStart, zonedInstant, localDate, fromLocalDate, fractionDigits, formatMinor, fmtTime, cardText,
} from '../ui.js';
import { tt, lang } from '../i18n.js';
import uPlot from '/static/vendor/uplot.js';

const T = {
  en: {
    title: 'Overview', range: 'Period', today: 'Today', d7: 'Last 7 days', d30: 'Last 30 days', month: 'This month', lastMonth: 'Last month',
    custom: 'Custom', from: 'From', to: 'To (inclusive)', show: 'Show',
    revenue: 'Revenue, net of refunds', captured: 'Captured {0}', refunded: 'Refunded {0}', paidOrders: 'Paid orders',
    aov: 'Average order value', reservations: 'Open reservations', lapsing: '{0} lapse within 24 h', noneLapsing: 'None lapse within 24 h',
    subs: 'Active subscriptions', mrr: 'Monthly recurring revenue {0}', failed: 'Failed payments', pastDue: 'Past-due subscriptions',
    chart: 'Revenue', interval: 'Per', DAY: 'Day', WEEK: 'Week', MONTH: 'Month', capturedS: 'Captured', refundedS: 'Refunded', net: 'Net',
    asTable: 'Show the figures as a table', period: 'Period', feed: 'Latest payments', order: 'Order {0}', none: 'No payments yet.',
    recent: 'Recent orders', noOrders: 'No orders yet.', newOrder: 'Create your first order', salesHello: 'Your latest orders and payments.',
    viewReservations: 'See reservations',
  },
  sv: {
    title: 'Översikt', range: 'Period', today: 'I dag', d7: 'Senaste 7 dagarna', d30: 'Senaste 30 dagarna', month: 'Denna månad', lastMonth: 'Förra månaden',
    custom: 'Välj datum', from: 'Från', to: 'Till och med', show: 'Visa',
    revenue: 'Intäkter efter återbetalningar', captured: 'Draget {0}', refunded: 'Återbetalt {0}', paidOrders: 'Betalda ordrar',
    aov: 'Snittorder', reservations: 'Öppna reservationer', lapsing: '{0} förfaller inom 24 h', noneLapsing: 'Ingen förfaller inom 24 h',
    subs: 'Aktiva prenumerationer', mrr: 'Återkommande intäkter per månad {0}', failed: 'Misslyckade betalningar', pastDue: 'Prenumerationer med obetalt',
    chart: 'Intäkter', interval: 'Per', DAY: 'Dag', WEEK: 'Vecka', MONTH: 'Månad', capturedS: 'Draget', refundedS: 'Återbetalt', net: 'Netto',
    asTable: 'Visa siffrorna som tabell', period: 'Period', feed: 'Senaste betalningarna', order: 'Order {0}', none: 'Inga betalningar än.',
    recent: 'Senaste ordrarna', noOrders: 'Inga ordrar än.', newOrder: 'Skapa din första order', salesHello: 'Dina senaste ordrar och betalningar.',
    viewReservations: 'Visa reservationer',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

// rangeOf turns a preset into [from, to) instants at local midnights.
function rangeOf(preset, custom) {
  const now = new Date();
  const today = zonedDayStart(now);
  const [y, m] = localDate(now).split('-').map(Number);
  switch (preset) {
    case 'today': return [today, zonedDayStart(now, 1)];
    case 'd7': return [zonedDayStart(now, -6), zonedDayStart(now, 1)];
    case 'd30': return [zonedDayStart(now, -29), zonedDayStart(now, 1)];
    case 'month': return [zonedInstant(y, m, 1), zonedInstant(y, m + 1, 1)];
    case 'lastMonth': return [zonedInstant(y, m - 1, 1), zonedInstant(y, m, 1)];
    default: return [fromLocalDate(custom.from), fromLocalDate(custom.to, 1)];
  }
}

const defaultInterval = (from, to) => {
  const days = (to - from) / 864e5;
  return days <= 45 ? 'DAY' : days <= 190 ? 'WEEK' : 'MONTH';
};

const money = '{ amount currency formatted }';
const overviewQuery = `query Overview($from: Time!, $to: Time!, $interval: ReportInterval!) {
  salesOverview(from: $from, to: $to) {
    revenue { currency captured ${money} refunded ${money} net ${money} }
    paidOrders averageOrderValue ${money}
    openReservations { count amounts ${money} lapsingWithin24h }
    activeSubscriptions monthlyRecurringRevenue ${money} failedPayments pastDueSubscriptions
  }
  salesReport(from: $from, to: $to, interval: $interval) {
    currency interval buckets { start end captured ${money} refunded ${money} net ${money} }
  }
}`;

export function OverviewPage() {
  const manager = isManager() || session.role === 'API';
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} />`}>
    ${manager ? html`<${Figures} />` : html`<p class="hint">${tx('salesHello')}</p>`}
    <div class="grid">
      <${Feed} />
      <${RecentOrders} />
    </div>
  </${Page}>`;
}

function Figures() {
  const [preset, setPreset] = useState('d30');
  const [custom, setCustom] = useState({ from: localDate(new Date(Date.now() - 6 * 864e5)), to: localDate(new Date()) });
  const [applied, setApplied] = useState(custom);
  const [from, to] = rangeOf(preset, applied);
  const [interval, setInterval] = useState(null);
  const iv = interval || defaultInterval(from, to);
  const vars = { from: from.toISOString(), to: to.toISOString(), interval: iv };
  const { data, error, loading, reload } = useQuery(overviewQuery, vars, [vars.from, vars.to, iv]);
  // Money moves: look again (at most every few seconds).
  const timer = useRef(null);
  useLive('subscription { paymentUpdated { id } }', {}, () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, 1500);
  }, []);
  const presets = ['today', 'd7', 'd30', 'month', 'lastMonth', 'custom'];
  const o = data?.salesOverview;
  return html`
    <div class="range" role="group" aria-label=${tx('range')}>
      ${presets.map((p) => html`<button type="button" aria-pressed=${preset === p ? 'true' : 'false'} onClick=${() => { setPreset(p); setInterval(null); }}>${tx(p)}</button>`)}
    </div>
    ${preset === 'custom' && html`<form class="filters" onSubmit=${(e) => { e.preventDefault(); setApplied(custom); }}>
      <div class="field"><label for="ov-from">${tx('from')}</label><input id="ov-from" type="date" value=${custom.from} onInput=${(e) => setCustom({ ...custom, from: e.currentTarget.value })} /></div>
      <div class="field"><label for="ov-to">${tx('to')}</label><input id="ov-to" type="date" value=${custom.to} onInput=${(e) => setCustom({ ...custom, to: e.currentTarget.value })} /></div>
      <button type="submit">${tx('show')}</button>
    </form>`}
    <${ErrorBox} error=${error} retry=${reload} />
    ${!o ? (loading ? html`<${Loading} />` : null) : html`
      <div class="kpis">
        ${o.revenue.map((r) => html`<div class="kpi"><div class="label">${tx('revenue')}</div><div class="value" data-kpi="net">${r.net.formatted}</div>
          <div class="sub">${tx('captured', r.captured.formatted)} · ${tx('refunded', r.refunded.formatted)}</div></div>`)}
        <div class="kpi"><div class="label">${tx('paidOrders')}</div><div class="value" data-kpi="paidOrders">${o.paidOrders}</div>
          <div class="sub">${o.averageOrderValue.length ? tx('aov') + ': ' + o.averageOrderValue.map((m) => m.formatted).join(', ') : ' '}</div></div>
        <div class="kpi"><div class="label">${tx('reservations')}</div><div class="value">${o.openReservations.count}</div>
          <div class="sub">${o.openReservations.amounts.map((m) => m.formatted).join(', ')}${o.openReservations.amounts.length ? ' · ' : ''}
            ${o.openReservations.lapsingWithin24h ? html`<strong>${tx('lapsing', o.openReservations.lapsingWithin24h)}</strong>` : tx('noneLapsing')}
            ${o.openReservations.count > 0 && html` · <${Link} href="/payments?view=reservations">${tx('viewReservations')}</${Link}>`}</div></div>
        <div class="kpi"><div class="label">${tx('subs')}</div><div class="value">${o.activeSubscriptions}</div>
          <div class="sub">${tx('mrr', o.monthlyRecurringRevenue.map((m) => m.formatted).join(', ') || '–')}</div></div>
        <div class="kpi"><div class="label">${tx('failed')}</div><div class="value">${o.failedPayments}</div>
          <div class="sub">${tx('pastDue')}: ${o.pastDueSubscriptions}</div></div>
      </div>
      <${Panel} title=${tx('chart')} id="chart-h" actions=${html`<div class="field inline-field"><label for="ov-interval">${tx('interval')}</label>
          <select id="ov-interval" value=${iv} onChange=${(e) => setInterval(e.currentTarget.value)}>${['DAY', 'WEEK', 'MONTH'].map((i) => html`<option value=${i}>${tx(i)}</option>`)}</select></div>`}>
        <${Chart} report=${data.salesReport} />
        <details><summary>${tx('asTable')}</summary><${ReportTable} report=${data.salesReport} /></details>
      </${Panel}>`}`;
}

function bucketLabel(b, interval) {
  if (interval === 'MONTH') return new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB', { timeZone: session.timeZone, year: 'numeric', month: 'long' }).format(new Date(b.start));
  if (interval === 'WEEK') return fmtTime(b.start, { time: false }) + ' – ' + fmtTime(new Date(new Date(b.end) - 1).toISOString(), { time: false });
  return fmtTime(b.start, { time: false });
}

function ReportTable({ report }) {
  return html`<div class="table-wrap"><table class="data report-table">
    <thead><tr><th scope="col">${tx('period')}</th><th scope="col" class="num">${tx('capturedS')}</th><th scope="col" class="num">${tx('refundedS')}</th><th scope="col" class="num">${tx('net')}</th></tr></thead>
    <tbody>${report.buckets.map((b) => html`<tr data-start=${b.start} data-captured=${b.captured.amount} data-refunded=${b.refunded.amount}>
      <td data-label=${tx('period')}>${bucketLabel(b, report.interval)}</td><td class="num" data-label=${tx('capturedS')}>${b.captured.formatted}</td>
      <td class="num" data-label=${tx('refundedS')}>${b.refunded.formatted}</td><td class="num" data-label=${tx('net')}>${b.net.formatted}</td></tr>`)}</tbody>
  </table></div>`;
}

function Chart({ report }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const div = 10 ** fractionDigits(report.currency);
    const xs = report.buckets.map((b) => new Date(b.start).getTime() / 1000);
    const cap = report.buckets.map((b) => b.captured.amount / div);
    const ref = report.buckets.map((b) => -b.refunded.amount / div);
    const width = () => Math.max(260, el.current.clientWidth);
    const bars = uPlot.paths.bars({ size: [0.7, 60] });
    const plot = new uPlot({
      width: width(), height: 240, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), session.timeZone),
      legend: { show: true }, cursor: { points: { show: false } },
      // Half a bucket either side, so the first and last bars show whole.
      scales: { x: { time: true, range: (u, min, max) => { const h = xs.length > 1 ? (xs[1] - xs[0]) / 2 : 43200; return [min - h, max + h]; } } },
      axes: [{ values: (u, vals) => vals.map((v) => new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB',
        report.interval === 'MONTH' ? { timeZone: session.timeZone, month: 'short', year: '2-digit' } : { timeZone: session.timeZone, day: 'numeric', month: 'short' })
        .format(new Date(v * 1000))) }, { values: (u, vals) => vals.map((v) => formatMinor(Math.round(v * div), report.currency).replace(/[,.]00(?=\D*$)/, '')), size: 90 }],
      series: [
        {},
        { label: tx('capturedS'), fill: 'rgba(17,101,46,.55)', stroke: '#11652e', paths: bars, points: { show: false },
          value: (u, v) => (v == null ? '–' : formatMinor(Math.round(v * div), report.currency)) },
        { label: tx('refundedS'), fill: 'rgba(176,0,32,.45)', stroke: '#b00020', paths: bars, points: { show: false },
          value: (u, v) => (v == null ? '–' : formatMinor(Math.round(-v * div), report.currency)) },
      ],
    }, [xs, cap, ref], el.current);
    // Follow the panel's width (a phone turned, a window narrowed): the
    // chart box clips, so its canvas never holds the page wide.
    const ro = new ResizeObserver(() => { if (Math.abs(plot.width - width()) > 1) plot.setSize({ width: width(), height: 240 }); });
    ro.observe(el.current);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [report]);
  return html`<div class="chart" ref=${el} role="img" aria-label=${tx('chart') + ': ' + tx('asTable')}></div>`;
}

const feedQuery = `query Feed { payments(first: 10) { edges { node { id status amount { formatted } captured { formatted } description
  card { brand last4 } initiator createdAt updatedAt } } } }`;

function Feed() {
  const { data, error, reload } = useQuery(feedQuery, {}, []);
  useLive('subscription { paymentUpdated { id } }', {}, () => reload(), []);
  const list = data?.payments.edges.map((e) => e.node) || [];
  return html`<${Panel} title=${tx('feed')} id="feed-h">
    <${ErrorBox} error=${error} retry=${reload} />
    ${!data && !error ? html`<${Loading} />` : list.length ? html`<ul class="feed" aria-live="polite">${list.map((p) => html`<li key=${p.id}>
      <${Link} href=${'/payments/' + p.id}>${p.amount.formatted}</${Link}> <${Status} value=${p.status} kind="payment" />
      <span>${p.description}</span>${p.card && html`<span class="muted">${cardText(p.card)}</span>`}
      <span class="when"><${Time} t=${p.updatedAt} /></span></li>`)}</ul>` : html`<p class="empty">${tx('none')}</p>`}
  </${Panel}>`;
}

const recentQuery = `query Recent { orders(first: 8) { edges { node { id number status customer { name email } totals { gross { formatted } } createdAt } } } }`;

function RecentOrders() {
  const { data, error, reload } = useQuery(recentQuery, {}, []);
  useLive('subscription { orderUpdated { id } }', {}, () => reload(), []);
  const orders = data?.orders.edges.map((e) => e.node) || [];
  return html`<${Panel} title=${tx('recent')} id="recent-h">
    <${ErrorBox} error=${error} retry=${reload} />
    ${!data && !error ? html`<${Loading} />` : orders.length ? html`<ul class="feed">${orders.map((o) => html`<li key=${o.id}>
      <${Link} href=${'/orders/' + o.id}>${tx('order', o.number)}</${Link}> ${o.customer.name || o.customer.email}
      <${Status} value=${o.status} /> <${Money} m=${o.totals.gross} /> <span class="when"><${Time} t=${o.createdAt} /></span></li>`)}</ul>`
      : html`<p class="empty">${tx('noOrders')} <${Link} href="/orders/new">${tx('newOrder')}</${Link}></p>`}
  </${Panel}>`;
}
