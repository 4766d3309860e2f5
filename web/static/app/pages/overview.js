// The overview: what was sold in a chosen range, in the merchant's time
// zone, the money waiting (reservations), subscriptions, what failed, a
// revenue chart and a live feed of what is happening.
import { html, useState, Page, Panel, Link, Loading, ErrorBox, Status, Money, Time, useQuery, useLive, LiveBadge, session, isManager } from '../ui.js';
import { tt } from '../i18n.js';

const T = {
  en: { title: 'Overview', recent: 'Recent orders', order: 'Order {0}', none: 'No orders yet.', newOrder: 'Create your first order' },
  sv: { title: 'Översikt', recent: 'Senaste ordrarna', order: 'Order {0}', none: 'Inga ordrar än.', newOrder: 'Skapa din första order' },
};
const tx = (k, ...a) => tt(T, k, ...a);

const recentQuery = `query Recent { orders(first: 8) { edges { node { id number status customer { name email } totals { gross { formatted } } createdAt } } } }`;

export function OverviewPage() {
  const { data, error, reload } = useQuery(recentQuery, {}, []);
  useLive('subscription { orderUpdated { id } }', {}, () => reload(), []);
  const orders = data?.orders.edges.map((e) => e.node) || [];
  return html`<${Page} title=${tx('title')} actions=${html`<${LiveBadge} />`}>
    <${Panel} title=${tx('recent')} id="recent-h">
      <${ErrorBox} error=${error} retry=${reload} />
      ${!data && !error ? html`<${Loading} />` : orders.length ? html`<ul class="feed">${orders.map((o) => html`<li>
        <${Link} href=${'/orders/' + o.id}>${tx('order', o.number)}</${Link}> ${o.customer.name || o.customer.email}
        <${Status} value=${o.status} /> <${Money} m=${o.totals.gross} /> <span class="when"><${Time} t=${o.createdAt} /></span></li>`)}</ul>`
        : html`<p class="empty">${tx('none')} <${Link} href="/orders/new">${tx('newOrder')}</${Link}></p>`}
    </${Panel}>
  </${Page}>`;
}
