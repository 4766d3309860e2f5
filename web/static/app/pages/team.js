// Team: the merchant's members, invitations, roles, SALES members' limits
// per payment at the terminal, deactivation, and the recent audit trail.
// The server decides who may do what (only owners manage owners); the page
// shows its userErrors beside the fields.
import {
  html, useState, useEffect, useRef, Page, Panel, Loading, ErrorBox, Status, Money, Time, Table, useQuery, useForm, Input, Select, FormError,
  usePager, session, isManager, parseAmount, amountInput, CopyButton,
} from '../ui.js';
import { mutate } from '../gql.js';
import { tt, t } from '../i18n.js';

const T = {
  en: {
    title: 'Team', people: 'People', name: 'Name', email: 'Email', role: 'Role', status: 'Status', lastLogin: 'Last login',
    limit: 'Payment limit', actions: 'Actions', never: 'Never', noLimit: 'No limit', notApplicable: '–',
    OWNER: 'Owner', ADMIN: 'Admin', SALES: 'Sales',
    roleHint: 'Owners: everything. Admins: everything but managing owners. Sales: orders, payment links and the terminal; no refunds.',
    inviteHead: 'Invite someone', invite: 'Invite', inviteName: 'Name', inviteEmail: 'Email',
    invited: 'An invitation was emailed to {0}.', inviteFallback: 'If it does not arrive, send them this link (it works once):',
    copyInvite: 'Copy invite link',
    manage: 'Manage', manageLabel: 'Manage {0}', editHead: 'Manage {0}', closeEditor: 'Close',
    newRole: 'New role', changeRole: 'Change role', roleChanged: 'The role is now {0}.',
    limitHead: 'Limit per payment at the terminal', limitAmount: 'Most per payment', limitHint: 'In {0}. Payments above it are refused for this member.',
    currency: 'Currency', saveLimit: 'Save limit', removeLimit: 'Remove limit', limitSaved: 'The limit is now {0}.', limitRemoved: 'The limit was removed.',
    limitOnlySales: 'Limits per payment apply to Sales members only.',
    badAmount: 'Write an amount, e.g. 5 000,00.',
    deactivate: 'Deactivate', deactivateHint: 'Ends their access and logs them out everywhere. What they did keeps their name.',
    confirmDeactivate: 'Deactivate {0}? They can no longer log in.', deactivated: '{0} was deactivated.',
    you: '(you)', salesOnly: 'Only owners and admins manage the team. Ask an owner or admin of {0} if something should change.',
    audit: 'Recent activity', auditEmpty: 'Nothing yet.', who: 'Who', what: 'What', when: 'When',
    'payment.created': 'Took a payment', 'payment.captured': 'Captured a payment', 'payment.voided': 'Released a reservation',
    'payment.refunded': 'Refunded a payment', 'payment.capture_declined': 'Capture declined', 'payment.void_declined': 'Release declined',
    'payment.refund_declined': 'Refund declined', 'user.payment_limit_set': 'Set a payment limit', 'user.payment_limit_removed': 'Removed a payment limit',
    forMember: 'for {0}', apiKey: 'API key {0}',
    ownersOnly: 'Only an owner may make someone an owner or change or deactivate an owner.',
  },
  sv: {
    title: 'Team', people: 'Personer', name: 'Namn', email: 'E-post', role: 'Roll', status: 'Status', lastLogin: 'Senast inloggad',
    limit: 'Beloppsgräns', actions: 'Åtgärder', never: 'Aldrig', noLimit: 'Ingen gräns', notApplicable: '–',
    OWNER: 'Ägare', ADMIN: 'Administratör', SALES: 'Säljare',
    roleHint: 'Ägare: allt. Administratörer: allt utom att hantera ägare. Säljare: ordrar, betallänkar och terminalen; inga återbetalningar.',
    inviteHead: 'Bjud in någon', invite: 'Bjud in', inviteName: 'Namn', inviteEmail: 'E-post',
    invited: 'En inbjudan skickades med e-post till {0}.', inviteFallback: 'Om den inte kommer fram, skicka den här länken (den fungerar en gång):',
    copyInvite: 'Kopiera inbjudningslänken',
    manage: 'Hantera', manageLabel: 'Hantera {0}', editHead: 'Hantera {0}', closeEditor: 'Stäng',
    newRole: 'Ny roll', changeRole: 'Byt roll', roleChanged: 'Rollen är nu {0}.',
    limitHead: 'Gräns per betalning i terminalen', limitAmount: 'Högst per betalning', limitHint: 'I {0}. Större betalningar nekas för den här personen.',
    currency: 'Valuta', saveLimit: 'Spara gränsen', removeLimit: 'Ta bort gränsen', limitSaved: 'Gränsen är nu {0}.', limitRemoved: 'Gränsen togs bort.',
    limitOnlySales: 'Gränser per betalning gäller bara säljare.',
    badAmount: 'Skriv ett belopp, t.ex. 5 000,00.',
    deactivate: 'Avaktivera', deactivateHint: 'Tar bort åtkomsten och loggar ut personen överallt. Det hen har gjort behåller hens namn.',
    confirmDeactivate: 'Avaktivera {0}? Hen kan inte längre logga in.', deactivated: '{0} avaktiverades.',
    you: '(du)', salesOnly: 'Bara ägare och administratörer hanterar teamet. Fråga en ägare eller administratör på {0} om något ska ändras.',
    audit: 'Senaste händelser', auditEmpty: 'Inget än.', who: 'Vem', what: 'Vad', when: 'När',
    'payment.created': 'Tog en betalning', 'payment.captured': 'Drog en betalning', 'payment.voided': 'Släppte en reservation',
    'payment.refunded': 'Återbetalade en betalning', 'payment.capture_declined': 'Dragning nekad', 'payment.void_declined': 'Släpp nekat',
    'payment.refund_declined': 'Återbetalning nekad', 'user.payment_limit_set': 'Satte en beloppsgräns', 'user.payment_limit_removed': 'Tog bort en beloppsgräns',
    forMember: 'för {0}', apiKey: 'API-nyckel {0}',
    ownersOnly: 'Bara en ägare får göra någon till ägare eller ändra eller avaktivera en ägare.',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const ROLES = ['SALES', 'ADMIN', 'OWNER'];
const CURRENCIES = ['SEK', 'EUR', 'NOK', 'DKK', 'USD'];
const roleOptions = () => ROLES.map((r) => [r, tx(r)]);
const who = (u) => u?.name || u?.email || '–';
// ownerRule says why the server refused: only owners manage owners.
const ownerRule = (p) => p.catch((e) => { throw e.code === 'FORBIDDEN' ? new Error(tx('ownersOnly')) : e; });

const userFields = 'id name email role status createdAt lastLoginAt paymentLimit { amount currency formatted }';
const usersQuery = `query Team($first: Int, $after: String) {
  users(first: $first, after: $after) { edges { node { ${userFields} } } pageInfo { hasNextPage endCursor } }
}`;
const auditQuery = `query Audit { auditEvents(first: 10) { edges { node {
  id action detail createdAt actor { name email } actorApiKey { name } subjectUser { name email } amount { formatted }
} } } }`;

export function TeamPage() {
  if (!isManager()) {
    return html`<${Page} title=${tx('title')}><p class="error" role="alert">${tx('salesOnly', session.merchant.name)}</p></${Page}>`;
  }
  return html`<${TeamManager} />`;
}

function TeamManager() {
  const pager = usePager();
  const { data, error, loading, reload } = useQuery(usersQuery, { first: 50, after: pager.after }, [pager.after]);
  const [open, setOpen] = useState(null);
  const [notice, setNotice] = useState('');
  const [rev, setRev] = useState(0);
  const users = data?.users.edges.map((e) => e.node) || [];
  const editing = users.find((u) => u.id === open);
  const done = (msg) => { setNotice(msg); reload(); setRev((n) => n + 1); };
  return html`<${Page} title=${tx('title')}>
    ${notice && !editing && html`<p class="notice" role="status">${notice}</p>`}
    <${ErrorBox} error=${error} retry=${reload} />
    <${InvitePanel} onDone=${() => { reload(); setRev((n) => n + 1); }} />
    <${Panel} title=${tx('people')} id="people-h">
      ${loading && !data ? html`<${Loading} />` : html`<${Table} caption=${tx('people')} rows=${users} cols=${[
        { label: tx('name'), cell: (u) => html`${u.name || '–'}${u.id === session.user?.id ? ' ' + tx('you') : ''}` },
        { label: tx('email'), cell: (u) => html`<span class="wrap-anywhere">${u.email}</span>` },
        { label: tx('role'), cell: (u) => tx(u.role) },
        { label: tx('status'), cell: (u) => html`<${Status} value=${u.status} />` },
        { label: tx('lastLogin'), cell: (u) => (u.lastLoginAt ? html`<${Time} t=${u.lastLoginAt} />` : tx('never')) },
        { label: tx('limit'), cell: (u) => (u.role === 'SALES' ? (u.paymentLimit ? html`<${Money} m=${u.paymentLimit} />` : tx('noLimit')) : tx('notApplicable')) },
        { label: tx('actions'), cell: (u) => html`<button type="button" class="secondary inline" aria-expanded=${open === u.id}
            aria-controls="member-editor" aria-label=${tx('manageLabel', who(u))} onClick=${() => { setNotice(''); setOpen(open === u.id ? null : u.id); }}>${tx('manage')}</button>` },
      ]} />
      <${pager.Pager} pageInfo=${data?.users.pageInfo} />`}
    </${Panel}>
    ${editing && html`<${MemberEditor} key=${editing.id} user=${editing} notice=${notice} onDone=${done} onClose=${() => { setOpen(null); setNotice(''); }} />`}
    <${AuditPanel} rev=${rev} />
  </${Page}>`;
}

function InvitePanel({ onDone }) {
  const form = useForm({ email: '', name: '', role: 'SALES' });
  const [sent, setSent] = useState(null);
  const go = async (e) => {
    e.preventDefault();
    setSent(null);
    const v = form.values;
    const p = await form.submit(() => ownerRule(mutate(`mutation($input: InviteUserInput!) { inviteUser(input: $input) {
      user { id email } inviteUrl userErrors { field message code } } }`, { input: { email: v.email.trim(), name: v.name.trim() || null, role: v.role } })));
    if (p) {
      setSent({ email: p.user?.email || v.email, url: p.inviteUrl });
      form.setValues({ email: '', name: '', role: v.role });
      onDone();
    }
  };
  return html`<form class="panel" onSubmit=${go} aria-labelledby="invite-h" novalidate>
    <h2 id="invite-h">${tx('inviteHead')}</h2>
    ${sent && html`<div class="notice" role="status">
      <p>${tx('invited', sent.email)}</p>
      ${sent.url && html`<p>${tx('inviteFallback')}</p><p class="secret">${sent.url}</p><p><${CopyButton} text=${sent.url} label=${tx('copyInvite')} /></p>`}
    </div>`}
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="email" id="invite-email" type="email" autocomplete="off" label=${tx('inviteEmail')} />
      <${Input} form=${form} name="name" id="invite-name" autocomplete="off" label=${tx('inviteName')} />
      <${Select} form=${form} name="role" id="invite-role" label=${tx('role')} options=${roleOptions()} />
    </div>
    <p class="hint">${tx('roleHint')}</p>
    <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('invite')}</button></div>
  </form>`;
}

function MemberEditor({ user: u, notice, onDone, onClose }) {
  const self = u.id === session.user?.id;
  const active = u.status !== 'DEACTIVATED';
  // The editor opens below the list: bring it (and a screen reader) there.
  const head = useRef(null);
  useEffect(() => { head.current?.scrollIntoView?.({ block: 'start' }); head.current?.focus({ preventScroll: true }); }, []);
  return html`<section class="panel" id="member-editor" aria-labelledby="member-h">
    <header class="panel-head"><h2 id="member-h" tabindex="-1" ref=${head}>${tx('editHead', who(u))}</h2>
      <button type="button" class="secondary inline" onClick=${onClose}>${tx('closeEditor')}</button></header>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <p class="wrap-anywhere">${u.email} · ${tx(u.role)} · <${Status} value=${u.status} /></p>
    ${active && html`<${RoleForm} user=${u} onDone=${onDone} />`}
    ${active && (u.role === 'SALES' ? html`<${LimitForm} user=${u} onDone=${onDone} />` : html`<p class="hint">${tx('limitOnlySales')}</p>`)}
    ${active && !self && html`<${DeactivateForm} user=${u} onDone=${onDone} />`}
  </section>`;
}

function RoleForm({ user: u, onDone }) {
  const form = useForm({ role: u.role });
  const go = async (e) => {
    e.preventDefault();
    const p = await form.submit(() => ownerRule(mutate(`mutation($input: UpdateUserRoleInput!) { updateUserRole(input: $input) {
      user { id role } userErrors { field message code } } }`, { input: { userId: u.id, role: form.values.role } })));
    if (p) onDone(tx('roleChanged', tx(p.user?.role || form.values.role)));
  };
  return html`<form onSubmit=${go} aria-label=${tx('changeRole')}>
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Select} form=${form} name="role" id="member-role" label=${tx('newRole')} options=${roleOptions()} error=${form.errors.role || form.errors.userId} />
    </div>
    <div class="form-actions"><button type="submit" class="secondary" disabled=${form.busy}>${tx('changeRole')}</button></div>
  </form>`;
}

function LimitForm({ user: u, onDone }) {
  const cur0 = u.paymentLimit?.currency || session.merchant.defaultCurrency || 'SEK';
  const form = useForm({ amount: u.paymentLimit ? amountInput(u.paymentLimit.amount, cur0) : '', currency: cur0 });
  const save = async (e) => {
    e.preventDefault();
    const cur = form.values.currency;
    const amount = parseAmount(form.values.amount, cur);
    if (amount == null) { form.setErrors({ maxAmount: tx('badAmount') }); form.setFormError(t('err.form')); return; }
    const p = await form.submit(() => mutate(`mutation($input: SetUserPaymentLimitInput!) { setUserPaymentLimit(input: $input) {
      user { id paymentLimit { formatted } } userErrors { field message code } } }`, { input: { userId: u.id, maxAmount: amount, currency: cur } }));
    if (p) onDone(tx('limitSaved', p.user?.paymentLimit?.formatted || ''));
  };
  const remove = async () => {
    const p = await form.submit(() => mutate(`mutation($input: SetUserPaymentLimitInput!) { setUserPaymentLimit(input: $input) {
      user { id } userErrors { field message code } } }`, { input: { userId: u.id, maxAmount: null } }));
    if (p) { form.setValues({ amount: '', currency: form.values.currency }); onDone(tx('limitRemoved')); }
  };
  return html`<form onSubmit=${save} aria-labelledby="limit-h" novalidate>
    <h3 id="limit-h">${tx('limitHead')}</h3>
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="amount" id="limit-amount" inputmode="decimal" label=${tx('limitAmount')}
        hint=${tx('limitHint', form.values.currency)} error=${form.errors.maxAmount || form.errors.amount} />
      <${Select} form=${form} name="currency" id="limit-currency" class="narrow" label=${tx('currency')}
        options=${[...new Set([cur0, ...CURRENCIES])].map((c) => [c, c])} />
    </div>
    <div class="form-actions">
      <button type="submit" disabled=${form.busy}>${tx('saveLimit')}</button>
      ${u.paymentLimit && html`<button type="button" class="secondary" disabled=${form.busy} onClick=${remove}>${tx('removeLimit')}</button>`}
    </div>
  </form>`;
}

function DeactivateForm({ user: u, onDone }) {
  const form = useForm({});
  const go = async () => {
    if (!window.confirm(tx('confirmDeactivate', who(u)))) return;
    const p = await form.submit(() => ownerRule(mutate(`mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) {
      user { id status } userErrors { field message code } } }`, { input: { userId: u.id } })));
    if (p) onDone(tx('deactivated', who(u)));
  };
  return html`<div class="deactivate">
    <${FormError} message=${form.formError} />
    <p class="hint">${tx('deactivateHint')}</p>
    <button type="button" class="danger" disabled=${form.busy} onClick=${go}>${tx('deactivate')}</button>
  </div>`;
}

function AuditPanel({ rev }) {
  const { data, error } = useQuery(auditQuery, {}, [rev]);
  if (error) return null;
  const evs = data?.auditEvents.edges.map((e) => e.node) || [];
  return html`<${Panel} title=${tx('audit')} id="audit-h">
    ${!data ? html`<${Loading} />` : html`<${Table} caption=${tx('audit')} empty=${tx('auditEmpty')} rows=${evs} cols=${[
      { label: tx('when'), cell: (ev) => html`<${Time} t=${ev.createdAt} />` },
      { label: tx('who'), cell: (ev) => (ev.actor ? who(ev.actor) : ev.actorApiKey ? tx('apiKey', ev.actorApiKey.name) : '–') },
      { label: tx('what'), cell: (ev) => html`${tx(ev.action)}${ev.subjectUser ? ' ' + tx('forMember', who(ev.subjectUser)) : ''}${ev.amount ? ' · ' + ev.amount.formatted : ''}` },
    ]} />`}
  </${Panel}>`;
}
