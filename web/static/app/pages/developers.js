// Developers: API keys (the secret shown once), webhook endpoints with
// their signing secrets (shown once), recent deliveries with redelivery,
// and how to start calling the API.
import {
  html, useState, Page, Panel, Loading, ErrorBox, Status, Time, Table, useQuery, useForm, Input, FormError,
  usePager, session, isManager, CopyButton, findError, fmtTime,
} from '../ui.js';
import { mutate } from '../gql.js';
import { tt, t } from '../i18n.js';

const T = {
  en: {
    title: 'Developers', start: 'Getting started', endpoint: 'GraphQL endpoint',
    startText: 'Everything in the dashboard is in the API. Send a POST with your API key as a bearer token; try queries in GraphiQL first.',
    openGraphiql: 'Open GraphiQL', curlHead: 'Example', copyCurl: 'Copy example', copyEndpoint: 'Copy endpoint',
    keys: 'API keys', keyName: 'Key name', keyNameHint: 'What uses it, e.g. "Webshop" or "Accounting export".', createKey: 'Create API key',
    name: 'Name', mode: 'Mode', key: 'Key', created: 'Created', createdBy: 'Created by', lastUsed: 'Last used', state: 'Status',
    never: 'Never', active: 'Active', revokedAt: 'Revoked {0}', revoke: 'Revoke', revokeLabel: 'Revoke key {0}',
    confirmRevoke: 'Revoke the key {0}? Everything that uses it stops working at once.', revoked: 'The key {0} was revoked.',
    noKeys: 'No API keys yet.', test: 'Test', live: 'Live',
    secretHead: 'Your new API key', secretWarn: 'This is the only time the key is shown. Copy it now and keep it somewhere safe; if it is lost, create a new key and revoke this one.',
    copyKey: 'Copy key', hide: 'I have copied it',
    hooks: 'Webhook endpoints', hooksText: 'kassa sends signed events (Standard Webhooks) to these addresses.',
    url: 'Endpoint URL', urlHint: 'An https address of your server.', description: 'Description', events: 'Event types',
    addEndpoint: 'Add endpoint', noHooks: 'No webhook endpoints yet.', edit: 'Edit', editLabel: 'Edit {0}', save: 'Save changes',
    enabled: 'Send deliveries', cancel: 'Cancel', saved: 'Saved.',
    rotate: 'Rotate secret', rotateLabel: 'Rotate the secret of {0}', confirmRotate: 'Make a new signing secret for {0}? The old one keeps signing beside it for 24 hours.',
    del: 'Delete', deleteLabel: 'Delete {0}', confirmDelete: 'Delete the endpoint {0}? No more events are sent to it.', deleted: 'The endpoint {0} was deleted.',
    hookSecretHead: 'Signing secret', hookSecretWarn: 'This is the only time the secret is shown. Put it in your server\u2019s configuration now to verify the webhook-signature header.',
    copySecret: 'Copy secret', previousUntil: 'The previous secret also signs until {0}.', disabledBecause: 'Disabled: {0}',
    deliveries: 'Recent deliveries', noDeliveries: 'No deliveries yet.', event: 'Event', attempts: 'Attempts', response: 'Response',
    time: 'Time', none: 'none', redeliver: 'Redeliver', redeliverLabel: 'Redeliver {0} ({1})', redelivered: 'Sent again.',
    pickEvent: 'Choose at least one event type.', subscribed: 'Events',
    salesOnly: 'Only owners and admins manage API keys and webhooks. Ask an owner or admin of {0}.',
  },
  sv: {
    title: 'Utvecklare', start: 'Kom igång', endpoint: 'GraphQL-adress',
    startText: 'Allt i översikten finns i API:et. Skicka en POST med er API-nyckel som bearer-token; prova frågor i GraphiQL först.',
    openGraphiql: 'Öppna GraphiQL', curlHead: 'Exempel', copyCurl: 'Kopiera exemplet', copyEndpoint: 'Kopiera adressen',
    keys: 'API-nycklar', keyName: 'Nyckelns namn', keyNameHint: 'Vad som använder den, t.ex. "Webbshop" eller "Bokföringsexport".', createKey: 'Skapa API-nyckel',
    name: 'Namn', mode: 'Läge', key: 'Nyckel', created: 'Skapad', createdBy: 'Skapad av', lastUsed: 'Senast använd', state: 'Status',
    never: 'Aldrig', active: 'Aktiv', revokedAt: 'Spärrad {0}', revoke: 'Spärra', revokeLabel: 'Spärra nyckeln {0}',
    confirmRevoke: 'Spärra nyckeln {0}? Allt som använder den slutar fungera direkt.', revoked: 'Nyckeln {0} spärrades.',
    noKeys: 'Inga API-nycklar än.', test: 'Test', live: 'Skarp',
    secretHead: 'Er nya API-nyckel', secretWarn: 'Nyckeln visas bara den här gången. Kopiera den nu och förvara den säkert; tappas den bort, skapa en ny nyckel och spärra den här.',
    copyKey: 'Kopiera nyckeln', hide: 'Jag har kopierat den',
    hooks: 'Webhook-adresser', hooksText: 'kassa skickar signerade händelser (Standard Webhooks) till de här adresserna.',
    url: 'Webhook-URL', urlHint: 'En https-adress till er server.', description: 'Beskrivning', events: 'Händelsetyper',
    addEndpoint: 'Lägg till adress', noHooks: 'Inga webhook-adresser än.', edit: 'Ändra', editLabel: 'Ändra {0}', save: 'Spara ändringar',
    enabled: 'Skicka händelser', cancel: 'Avbryt', saved: 'Sparat.',
    rotate: 'Byt hemlighet', rotateLabel: 'Byt hemlighet för {0}', confirmRotate: 'Skapa en ny signeringshemlighet för {0}? Den gamla signerar också i 24 timmar till.',
    del: 'Ta bort', deleteLabel: 'Ta bort {0}', confirmDelete: 'Ta bort adressen {0}? Inga fler händelser skickas dit.', deleted: 'Adressen {0} togs bort.',
    hookSecretHead: 'Signeringshemlighet', hookSecretWarn: 'Hemligheten visas bara den här gången. Lägg in den i er servers konfiguration nu för att kontrollera webhook-signature-huvudet.',
    copySecret: 'Kopiera hemligheten', previousUntil: 'Den förra hemligheten signerar också till {0}.', disabledBecause: 'Avstängd: {0}',
    deliveries: 'Senaste leveranser', noDeliveries: 'Inga leveranser än.', event: 'Händelse', attempts: 'Försök', response: 'Svar',
    time: 'Tid', none: 'inget', redeliver: 'Skicka igen', redeliverLabel: 'Skicka {0} ({1}) igen', redelivered: 'Skickad igen.',
    pickEvent: 'Välj minst en händelsetyp.', subscribed: 'Händelser',
    salesOnly: 'Bara ägare och administratörer hanterar API-nycklar och webhooks. Fråga en ägare eller administratör på {0}.',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

export function DevelopersPage() {
  if (!isManager()) {
    return html`<${Page} title=${tx('title')}><p class="error" role="alert">${tx('salesOnly', session.merchant.name)}</p><${GettingStarted} /></${Page}>`;
  }
  return html`<${Page} title=${tx('title')}>
    <${GettingStarted} />
    <${ApiKeys} />
    <${Webhooks} />
  </${Page}>`;
}

function GettingStarted() {
  const url = location.origin + '/graphql';
  const curl = `curl -s ${url} \\\n  -H 'Authorization: Bearer kassa_test_YOUR_KEY' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"query":"{ viewer { merchant { name } } }"}'`;
  return html`<${Panel} title=${tx('start')} id="start-h">
    <p>${tx('startText')}</p>
    <p><strong>${tx('endpoint')}:</strong> <code class="wrap-anywhere">${url}</code> <${CopyButton} text=${url} label=${tx('copyEndpoint')} /></p>
    <p><a class="button secondary" href="/graphiql">${tx('openGraphiql')}</a></p>
    <h3>${tx('curlHead')}</h3>
    <pre class="code"><code>${curl}</code></pre>
    <p><${CopyButton} text=${curl} label=${tx('copyCurl')} /></p>
  </${Panel}>`;
}

// SecretBox shows a secret that the server gives out once; it lives only
// in the page's state, so it is gone when the page is left.
function SecretBox({ id, head, warn, secret, copyLabel, onHide }) {
  return html`<div class="secret-box" role="status" aria-labelledby=${id}>
    <h3 id=${id}>${head}</h3>
    <p class="secret-warn"><strong>⚠ ${warn}</strong></p>
    <p class="secret" data-secret>${secret}</p>
    <div class="form-actions"><${CopyButton} text=${secret} label=${copyLabel} />
      <button type="button" class="secondary" onClick=${onHide}>${tx('hide')}</button></div>
  </div>`;
}

// ---- API keys --------------------------------------------------------------

const keysQuery = `query Keys($after: String) { apiKeys(first: 20, after: $after) {
  edges { node { id name mode prefix last4 createdAt createdBy { name email } lastUsedAt revokedAt } }
  pageInfo { hasNextPage endCursor } } }`;

function ApiKeys() {
  const pager = usePager();
  const { data, error, loading, reload } = useQuery(keysQuery, { after: pager.after }, [pager.after]);
  const form = useForm({ name: '' });
  const [secret, setSecret] = useState(null);
  const [notice, setNotice] = useState('');
  const [revokeErr, setRevokeErr] = useState('');
  const create = async (e) => {
    e.preventDefault();
    setNotice('');
    const p = await form.submit(() => mutate(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
      apiKey { id name } secret userErrors { field message code } } }`, { input: { name: form.values.name.trim() } }));
    if (p) { setSecret(p.secret); form.setValues({ name: '' }); reload(); }
  };
  const revoke = async (k) => {
    if (!window.confirm(tx('confirmRevoke', k.name))) return;
    setRevokeErr(''); setNotice('');
    try {
      const p = await mutate(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id revokedAt } userErrors { field message code } } }`,
        { input: { apiKeyId: k.id } });
      if (p.userErrors?.length) setRevokeErr(p.userErrors.map((x) => x.message).join(' '));
      else { setNotice(tx('revoked', k.name)); reload(); }
    } catch (err) { setRevokeErr(err.message); }
  };
  const keys = data?.apiKeys.edges.map((e) => e.node) || [];
  return html`<${Panel} title=${tx('keys')} id="keys-h">
    ${secret && html`<${SecretBox} id="key-secret-h" head=${tx('secretHead')} warn=${tx('secretWarn')} secret=${secret} copyLabel=${tx('copyKey')} onHide=${() => setSecret(null)} />`}
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <${FormError} message=${revokeErr} />
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : html`<${Table} caption=${tx('keys')} empty=${tx('noKeys')} rows=${keys} cols=${[
      { label: tx('name'), cell: (k) => k.name },
      { label: tx('mode'), cell: (k) => tx(k.mode) },
      { label: tx('key'), cell: (k) => html`<code>${k.prefix}…${k.last4}</code>` },
      { label: tx('created'), cell: (k) => html`<${Time} t=${k.createdAt} />` },
      { label: tx('createdBy'), cell: (k) => k.createdBy?.name || k.createdBy?.email || '–' },
      { label: tx('lastUsed'), cell: (k) => (k.lastUsedAt ? html`<${Time} t=${k.lastUsedAt} />` : tx('never')) },
      { label: tx('state'), cell: (k) => (k.revokedAt ? html`<span class="status muted"><span aria-hidden="true">– </span>${tx('revokedAt', fmtTime(k.revokedAt))}</span>`
        : html`<span class="status ok"><span aria-hidden="true">✓ </span>${tx('active')}</span>`) },
      { label: t('actions'), cell: (k) => (k.revokedAt ? '' : html`<button type="button" class="danger inline" aria-label=${tx('revokeLabel', k.name)} onClick=${() => revoke(k)}>${tx('revoke')}</button>`) },
    ]} />
    <${pager.Pager} pageInfo=${data?.apiKeys.pageInfo} />`}
    <form onSubmit=${create} aria-label=${tx('createKey')} novalidate>
      <${FormError} message=${form.formError} />
      <div class="form-row">
        <${Input} form=${form} name="name" id="key-name" autocomplete="off" label=${tx('keyName')} hint=${tx('keyNameHint')} />
      </div>
      <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('createKey')}</button></div>
    </form>
  </${Panel}>`;
}

// ---- webhooks --------------------------------------------------------------

const hooksQuery = `query Hooks { webhookEventTypes { type name description }
  webhookEndpoints(first: 50) { edges { node {
    id url description events status disabledReason previousSecretExpiresAt createdAt updatedAt
  } } } }`;
// Each endpoint loads its own deliveries: one query for all would pass the
// server's complexity limit.
const deliveriesQuery = `query Deliveries($id: ID!) { node(id: $id) { ... on WebhookEndpoint {
  deliveries(first: 10) { edges { node { id status attempts lastResponseCode lastError lastAttemptAt createdAt event { id type } } } }
} } }`;

function Webhooks() {
  const { data, error, loading, reload } = useQuery(hooksQuery, {}, []);
  const [secret, setSecret] = useState(null);
  const [notice, setNotice] = useState('');
  if (loading && !data) return html`<${Panel} title=${tx('hooks')} id="hooks-h"><${Loading} /></${Panel}>`;
  if (error) return html`<${Panel} title=${tx('hooks')} id="hooks-h"><${ErrorBox} error=${error} retry=${reload} /></${Panel}>`;
  const types = data.webhookEventTypes;
  const eps = data.webhookEndpoints.edges.map((e) => e.node);
  const showSecret = (s) => { setNotice(''); setSecret(s); reload(); };
  return html`<${Panel} title=${tx('hooks')} id="hooks-h">
    <p class="hint">${tx('hooksText')}</p>
    ${secret && html`<${SecretBox} id="hook-secret-h" head=${tx('hookSecretHead') + ' · ' + secret.url} warn=${tx('hookSecretWarn')} secret=${secret.secret}
      copyLabel=${tx('copySecret')} onHide=${() => setSecret(null)} />`}
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${eps.length ? eps.map((ep) => html`<${Endpoint} key=${ep.id} ep=${ep} types=${types} onSecret=${showSecret}
      onDone=${(msg) => { setNotice(msg || ''); reload(); }} />`) : html`<p class="empty">${tx('noHooks')}</p>`}
    <${EndpointForm} types=${types} onSaved=${(p) => showSecret({ url: p.webhookEndpoint.url, secret: p.secret })} />
  </${Panel}>`;
}

// EndpointForm creates an endpoint, or edits ep.
function EndpointForm({ types, ep, onSaved, onCancel }) {
  const pre = ep ? `ep-${ep.id}-` : 'hook-';
  const form = useForm({ url: ep?.url || '', description: ep?.description || '', enabled: ep ? ep.status === 'ENABLED' : true });
  const [events, setEvents] = useState(new Set(ep?.events || []));
  const toggle = (ty, on) => { const n = new Set(events); if (on) n.add(ty); else n.delete(ty); setEvents(n); };
  const go = async (e) => {
    e.preventDefault();
    const chosen = types.map((x) => x.type).filter((x) => events.has(x));
    const v = form.values;
    const p = ep
      ? await form.submit(() => mutate(`mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
          webhookEndpoint { id url } userErrors { field message code } } }`,
        { input: { webhookEndpointId: ep.id, url: v.url.trim(), description: v.description, events: chosen, enabled: !!v.enabled } }))
      : await form.submit(() => mutate(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
          webhookEndpoint { id url } secret userErrors { field message code } } }`,
        { input: { url: v.url.trim(), description: v.description || null, events: chosen } }));
    if (p) {
      if (!ep) { form.setValues({ url: '', description: '', enabled: true }); setEvents(new Set()); }
      onSaved(p);
    }
  };
  const evErr = findError(form.errors, 'events');
  return html`<form class=${ep ? 'endpoint-edit' : 'endpoint-new'} onSubmit=${go} aria-labelledby=${pre + 'h'} novalidate>
    <h3 id=${pre + 'h'}>${ep ? tx('editLabel', ep.url) : tx('addEndpoint')}</h3>
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="url" id=${pre + 'url'} type="url" autocomplete="off" label=${tx('url')} hint=${tx('urlHint')} />
      <${Input} form=${form} name="description" id=${pre + 'desc'} label=${tx('description')} />
    </div>
    <fieldset class=${'event-types' + (evErr ? ' has-error' : '')} aria-describedby=${evErr ? pre + 'ev-err' : undefined}>
      <legend>${tx('events')}</legend>
      <ul>${types.map((ty) => html`<li key=${ty.type}>
        <label class="check" for=${pre + ty.type}><input type="checkbox" id=${pre + ty.type} checked=${events.has(ty.type)}
          onChange=${(e) => toggle(ty.type, e.currentTarget.checked)} aria-describedby=${pre + ty.type + '-d'} /> ${ty.name}</label>
        <span class="hint" id=${pre + ty.type + '-d'}>${ty.description}</span></li>`)}</ul>
      ${evErr && html`<p class="field-error" id=${pre + 'ev-err'}>${evErr}</p>`}
    </fieldset>
    ${ep && html`<div class="field check"><label class="check" for=${pre + 'enabled'}><input type="checkbox" id=${pre + 'enabled'}
      checked=${!!form.values.enabled} onChange=${(e) => form.set('enabled', e.currentTarget.checked)} /> ${tx('enabled')}</label></div>`}
    <div class="form-actions">
      <button type="submit" disabled=${form.busy}>${ep ? tx('save') : tx('addEndpoint')}</button>
      ${onCancel && html`<button type="button" class="secondary" onClick=${onCancel}>${tx('cancel')}</button>`}
    </div>
  </form>`;
}

function Endpoint({ ep, types, onSecret, onDone }) {
  const [editing, setEditing] = useState(false);
  const [tick, setTick] = useState(0);
  const [err, setErr] = useState('');
  const names = Object.fromEntries(types.map((x) => [x.type, x.name]));
  const act = async (q, input, after) => {
    setErr('');
    try {
      const p = await mutate(q, { input });
      if (p.userErrors?.length) { setErr(p.userErrors.map((x) => x.message).join(' ')); return; }
      after(p);
    } catch (e) { setErr(e.message); }
  };
  const rotate = () => window.confirm(tx('confirmRotate', ep.url)) && act(`mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) {
    webhookEndpoint { id url } secret userErrors { field message code } } }`, { webhookEndpointId: ep.id }, (p) => onSecret({ url: ep.url, secret: p.secret }));
  const del = () => window.confirm(tx('confirmDelete', ep.url)) && act(`mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) {
    deletedWebhookEndpointId userErrors { field message code } } }`, { webhookEndpointId: ep.id }, () => onDone(tx('deleted', ep.url)));
  const dq = useQuery(deliveriesQuery, { id: ep.id }, [ep.id, ep.updatedAt, tick]);
  const deliveries = dq.data?.node?.deliveries.edges.map((e) => e.node) || [];
  return html`<article class="endpoint" aria-label=${ep.url}>
    <h3 class="wrap-anywhere">${ep.url}</h3>
    <p><${Status} value=${ep.status} />${ep.description && html` · ${ep.description}`}</p>
    ${ep.disabledReason && html`<p class="hint">${tx('disabledBecause', ep.disabledReason)}</p>`}
    ${ep.previousSecretExpiresAt && html`<p class="hint">${tx('previousUntil', fmtTime(ep.previousSecretExpiresAt))}</p>`}
    <p><strong>${tx('subscribed')}:</strong> ${ep.events.map((x) => names[x] || x).join(', ')}</p>
    <${FormError} message=${err} />
    ${editing ? html`<${EndpointForm} types=${types} ep=${ep} onCancel=${() => setEditing(false)}
        onSaved=${() => { setEditing(false); onDone(tx('saved')); }} />`
      : html`<div class="form-actions">
        <button type="button" class="secondary" aria-label=${tx('editLabel', ep.url)} onClick=${() => setEditing(true)}>${tx('edit')}</button>
        <button type="button" class="secondary" aria-label=${tx('rotateLabel', ep.url)} onClick=${rotate}>${tx('rotate')}</button>
        <button type="button" class="danger" aria-label=${tx('deleteLabel', ep.url)} onClick=${del}>${tx('del')}</button>
      </div>`}
    <details open=${deliveries.length > 0}>
      <summary>${tx('deliveries')}</summary>
      <${ErrorBox} error=${dq.error} retry=${dq.reload} />
      <${Table} caption=${tx('deliveries')} empty=${tx('noDeliveries')} rows=${deliveries} cols=${[
        { label: tx('event'), cell: (d) => names[d.event.type] || d.event.type },
        { label: t('status'), cell: (d) => html`<${Status} value=${d.status} />${d.lastError ? html`<span class="hint"> ${d.lastError}</span>` : ''}` },
        { label: tx('attempts'), num: true, cell: (d) => d.attempts },
        { label: tx('response'), num: true, cell: (d) => (d.lastResponseCode != null ? String(d.lastResponseCode) : tx('none')) },
        { label: tx('time'), cell: (d) => html`<${Time} t=${d.lastAttemptAt || d.createdAt} />` },
        { label: t('actions'), cell: (d) => html`<${Redeliver} d=${d} label=${tx('redeliverLabel', names[d.event.type] || d.event.type, fmtTime(d.lastAttemptAt || d.createdAt))} onDone=${(m) => { setTick((n) => n + 1); onDone(m); }} />` },
      ]} />
    </details>
  </article>`;
}

function Redeliver({ d, label, onDone }) {
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setErr(''); setBusy(true);
    try {
      const p = await mutate(`mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) {
        delivery { id status } userErrors { field message code } } }`, { input: { deliveryId: d.id } });
      if (p.userErrors?.length) setErr(p.userErrors.map((x) => x.message).join(' '));
      else onDone(tx('redelivered'));
    } catch (e) { setErr(e.message); } finally { setBusy(false); }
  };
  return html`<button type="button" class="secondary inline" disabled=${busy || d.status === 'PENDING'} aria-label=${label} onClick=${go}>${tx('redeliver')}</button>
    ${err && html`<span class="field-error" role="alert">${err}</span>`}`;
}

