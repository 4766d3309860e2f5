// kassa's merchant dashboard: a small Preact app (no build step; htm
// templates) that reads and changes everything through /graphql.
import { html, render, useState, useEffect } from '/static/vendor/preact-htm.js';
import { gql, mutate } from './gql.js';
import { t, setLang, lang } from './i18n.js';
import { session, Link, Loading, ErrorBox, Page, isManager, navigate } from './ui.js';

// Routes: path pattern, module, export, who sees it in the menu.
const routes = [
  ['/', 'overview.js', 'OverviewPage'],
  ['/orders', 'orders.js', 'OrdersPage'],
  ['/orders/new', 'orders.js', 'NewOrderPage'],
  ['/orders/:id', 'orders.js', 'OrderPage'],
  ['/orders/:id/edit', 'orders.js', 'EditOrderPage'],
  ['/payment-links', 'links.js', 'LinksPage'],
  ['/payments', 'payments.js', 'PaymentsPage'],
  ['/payments/:id', 'payments.js', 'PaymentPage'],
  ['/subscriptions', 'subscriptions.js', 'SubscriptionsPage'],
  ['/subscriptions/new', 'subscriptions.js', 'NewSubscriptionPage'],
  ['/subscriptions/invoices/:id', 'invoices.js', 'InvoicePage'],
  ['/subscriptions/:id', 'subscriptions.js', 'SubscriptionPage'],
  ['/invoices', 'invoices.js', 'InvoicesPage'],
  ['/customers', 'customers.js', 'CustomersPage'],
  ['/customers/:id', 'customers.js', 'CustomerPage'],
  ['/team', 'team.js', 'TeamPage'],
  ['/developers', 'developers.js', 'DevelopersPage'],
  ['/settings', 'settings.js', 'SettingsPage'],
];

function match(path) {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  for (const [pat, mod, name] of routes) {
    const pp = pat.split('/').filter(Boolean);
    if (pp.length !== parts.length) continue;
    const params = {};
    if (pp.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i]))) {
      return { mod, name, params };
    }
  }
  return null;
}

const menu = () => [
  ['/', 'nav.overview'],
  ['/orders/new', 'nav.newOrder', 'primary'],
  ['/orders', 'nav.orders'],
  ['/payment-links', 'nav.links'],
  ['/payments', 'nav.payments'],
  ['/subscriptions', 'nav.subscriptions'],
  ['/invoices', 'nav.invoices'],
  ['/customers', 'nav.customers'],
  ...(isManager() ? [['/team', 'nav.team'], ['/developers', 'nav.developers'], ['/settings', 'nav.settings']] : []),
];

function current(path, href) {
  if (href === '/') return path === '/';
  if (href === '/orders') return path === '/orders' || (path.startsWith('/orders/') && path !== '/orders/new');
  return path === href || path.startsWith(href + '/');
}

async function switchLanguage() {
  const next = lang === 'sv' ? 'en' : 'sv';
  try {
    await mutate('mutation($input: UpdateMyPreferencesInput!) { updateMyPreferences(input: $input) { userErrors { message } } }',
      { input: { locale: next } });
  } catch { /* remembered in this browser at least */ }
  localStorage.setItem('kassa.lang', next);
  location.reload();
}

function Shell({ path, children }) {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const u = session.user;
  return html`<a class="skip" href="#main">${t('nav.skip')}</a>
  <header class="topbar">
    <button class="menu-button" aria-expanded=${open} aria-controls="nav" onClick=${() => setOpen(!open)}>☰ ${t('nav.menu')}</button>
    <${Link} class="brand" href="/">kassa <span>${session.merchant.name}</span></${Link}>
    <div class="who">${u ? html`${u.name || u.email} · ${u.role.toLowerCase()}` : ''}</div>
    <button class="linkish" lang=${lang === 'sv' ? 'en' : 'sv'} title=${t('nav.languageLabel')} onClick=${switchLanguage}>${t('nav.language')}</button>
    <button class="linkish" type="submit" form="logout">${t('nav.logout')}</button>
  </header>
  <div class="layout">
    <nav id="nav" class=${'sidenav' + (open ? ' open' : '')} aria-label=${t('nav.main')}>
      <ul>
        ${menu().map(([href, key, cls]) => html`<li><${Link} href=${href} class=${cls || ''} aria-current=${current(path, href) ? 'page' : undefined}>${t(key)}</${Link}></li>`)}
      </ul>
      <ul class="external">
        <li><a href="/terminal">${t('nav.terminal')}</a></li>
        <li><a href="/graphiql">${t('nav.graphiql')}</a></li>
      </ul>
    </nav>
    <main id="main" tabindex="-1">${children}</main>
  </div>`;
}

const modules = {};

function Router() {
  const [path, setPath] = useState(location.pathname);
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => { setPath(location.pathname); setTick((n) => n + 1); };
    window.addEventListener('popstate', f);
    window.addEventListener('kassa:navigate', f);
    return () => { window.removeEventListener('popstate', f); window.removeEventListener('kassa:navigate', f); };
  }, []);
  const m = match(path);
  const [, force] = useState(0);
  const [loadErr, setLoadErr] = useState(null);
  useEffect(() => {
    if (m && !modules[m.mod]) {
      import('./pages/' + m.mod).then((x) => { modules[m.mod] = x; force((n) => n + 1); }, setLoadErr);
    }
  }, [m && m.mod]);
  let body;
  if (!m) body = html`<${Page} title=${t('notFound')}><p><${Link} href="/">${t('nav.overview')}</${Link}></p></${Page}>`;
  else if (loadErr) body = html`<${ErrorBox} error=${{ message: t('err.network') }} retry=${() => location.reload()} />`;
  else if (!modules[m.mod]) body = html`<${Loading} />`;
  else {
    const P = modules[m.mod][m.name];
    body = html`<${P} key=${path} ...${m.params} />`;
  }
  // Move focus to the new page's heading, so a screen reader hears it.
  useEffect(() => {
    const h = document.getElementById('page-title');
    if (h && document.activeElement?.tagName !== 'INPUT') h.focus({ preventScroll: true });
  }, [path, modules[m?.mod]]);
  return html`<${Shell} path=${path}>${body}</${Shell}>`;
}

const viewerQuery = `query Viewer {
  viewer {
    merchant { id name timeZone locale defaultCurrency }
    user { id name email role locale }
  }
}`;

async function boot() {
  const root = document.getElementById('app');
  let data;
  try {
    data = await gql(viewerQuery);
  } catch (e) {
    render(html`<div class="boot"><${ErrorBox} error=${e} retry=${() => location.reload()} /></div>`, root);
    return;
  }
  const v = data.viewer;
  Object.assign(session, { viewer: v, merchant: v.merchant, user: v.user, role: v.user?.role || 'API', timeZone: v.merchant.timeZone || 'Europe/Stockholm' });
  const chosen = v.user?.locale || localStorage.getItem('kassa.lang') || document.body.dataset.browserLang || v.merchant.locale;
  setLang(chosen === 'en' ? 'en' : 'sv');
  root.textContent = '';
  render(html`<${Router} />`, root);
}

// Old home-page links keep working.
if (location.pathname === '/index.html') navigate('/', { replace: true });
boot();
