// Settings: the merchant's details that receipts and invoices need, and
// the look of the payment page with a live preview.
import { html, useState, Page, Panel, Loading, ErrorBox, useQuery, useForm, Input, Select, FormError, session } from '../ui.js';
import { mutate } from '../gql.js';
import { tt } from '../i18n.js';

const T = {
  en: {
    title: 'Settings', details: 'Business details', detailsHint: 'Printed on receipts and invoices.',
    name: 'Name', legalName: 'Legal name', orgNo: 'Organisation number', orgNoHint: 'e.g. 556677-8899',
    vatNo: 'VAT number', vatNoHint: 'e.g. SE556677889901', line1: 'Address', line2: 'Address, line 2', postalCode: 'Postal code',
    city: 'City', country: 'Country', timeZone: 'Time zone', timeZoneHint: 'Days, reports and times are counted in this zone.',
    language: 'Language of emails to customers', sv: 'Swedish', en: 'English', saveDetails: 'Save details', saved: 'Saved.',
    branding: 'Payment page', brandingHint: 'What your customers see when they pay.', displayName: 'Name shown to customers',
    accent: 'Accent colour', supportEmail: 'Support email', supportPhone: 'Support phone', logo: 'Logo (PNG or JPEG, at most 512 KiB)',
    removeLogo: 'Remove logo', saveBranding: 'Save payment page', preview: 'Preview', payWith: 'Pay {0}', card: 'Card number',
    previewNote: 'A preview: the real page also lists the order and asks for the card.', questions: 'Questions? {0}',
    logoTooBig: 'The logo is larger than 512 KiB.', logoType: 'Choose a PNG or JPEG file.',
  },
  sv: {
    title: 'Inställningar', details: 'Företagsuppgifter', detailsHint: 'Skrivs ut på kvitton och fakturor.',
    name: 'Namn', legalName: 'Juridiskt namn', orgNo: 'Organisationsnummer', orgNoHint: 't.ex. 556677-8899',
    vatNo: 'Momsregistreringsnummer', vatNoHint: 't.ex. SE556677889901', line1: 'Adress', line2: 'Adress, rad 2', postalCode: 'Postnummer',
    city: 'Ort', country: 'Land', timeZone: 'Tidszon', timeZoneHint: 'Dagar, rapporter och tider räknas i den här zonen.',
    language: 'Språk i e-post till kunder', sv: 'Svenska', en: 'Engelska', saveDetails: 'Spara uppgifterna', saved: 'Sparat.',
    branding: 'Betalsidan', brandingHint: 'Det här ser dina kunder när de betalar.', displayName: 'Namn som visas för kunder',
    accent: 'Accentfärg', supportEmail: 'E-post för frågor', supportPhone: 'Telefon för frågor', logo: 'Logotyp (PNG eller JPEG, högst 512 KiB)',
    removeLogo: 'Ta bort logotypen', saveBranding: 'Spara betalsidan', preview: 'Förhandsvisning', payWith: 'Betala {0}', card: 'Kortnummer',
    previewNote: 'En förhandsvisning: den riktiga sidan visar också ordern och frågar efter kortet.', questions: 'Frågor? {0}',
    logoTooBig: 'Logotypen är större än 512 KiB.', logoType: 'Välj en PNG- eller JPEG-fil.',
  },
};
const tx = (k, ...a) => tt(T, k, ...a);

const ZONES = ['Europe/Stockholm', 'Europe/Oslo', 'Europe/Copenhagen', 'Europe/Helsinki', 'Europe/Berlin', 'Europe/London', 'UTC'];
const COUNTRIES = ['SE', 'NO', 'DK', 'FI', 'DE', 'GB', 'NL', 'FR', 'ES', 'IT', 'PL', 'EE', 'US'];

const detailsFields = 'id name legalName organisationNumber vatNumber timeZone locale address { line1 line2 postalCode city country }';
const settingsQuery = `query Settings { viewer { merchant { ${detailsFields}
  branding { displayName logoUrl accentColor supportEmail supportPhone } } } }`;

export function SettingsPage() {
  const { data, error, loading, reload } = useQuery(settingsQuery, {}, []);
  return html`<${Page} title=${tx('title')}>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data ? html`<${Loading} />` : data && html`
      <${DetailsForm} m=${data.viewer.merchant} />
      <${BrandingForm} m=${data.viewer.merchant} onSaved=${reload} />`}
  </${Page}>`;
}

function DetailsForm({ m }) {
  const a = m.address || {};
  const form = useForm({
    name: m.name || '', legalName: m.legalName || '', organisationNumber: m.organisationNumber || '', vatNumber: m.vatNumber || '',
    'address.line1': a.line1 || '', 'address.line2': a.line2 || '', 'address.postalCode': a.postalCode || '', 'address.city': a.city || '',
    'address.country': a.country || 'SE', timeZone: m.timeZone || 'Europe/Stockholm', locale: m.locale || 'sv',
  });
  const [saved, setSaved] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setSaved(false);
    const v = form.values;
    // An emptied field removes what was stored (null); an address is
    // given whole or not at all.
    const orNull = (x) => (x.trim() ? x : null);
    const addr = ['address.line1', 'address.line2', 'address.postalCode', 'address.city'].some((k) => v[k].trim());
    const input = {
      name: v.name, legalName: orNull(v.legalName), organisationNumber: orNull(v.organisationNumber), vatNumber: orNull(v.vatNumber),
      address: addr ? { line1: v['address.line1'], line2: orNull(v['address.line2']), postalCode: v['address.postalCode'], city: v['address.city'], country: v['address.country'] } : null,
      timeZone: v.timeZone, locale: v.locale,
    };
    const p = await form.submit(() => mutate(`mutation($input: UpdateMerchantInput!) { updateMerchant(input: $input) {
      merchant { ${detailsFields} } userErrors { field message code } } }`, { input }));
    if (p) {
      setSaved(true);
      Object.assign(session.merchant, { name: p.merchant.name, timeZone: p.merchant.timeZone, locale: p.merchant.locale });
      session.timeZone = p.merchant.timeZone;
    }
  };
  const zones = ZONES.includes(form.values.timeZone) ? ZONES : [form.values.timeZone, ...ZONES];
  return html`<form class="panel" onSubmit=${save} aria-labelledby="details-h" novalidate>
    <h2 id="details-h">${tx('details')}</h2>
    <p class="hint">${tx('detailsHint')}</p>
    ${saved && html`<p class="notice" role="status">${tx('saved')}</p>`}
    <${FormError} message=${form.formError} />
    <div class="form-row">
      <${Input} form=${form} name="name" id="m-name" label=${tx('name')} />
      <${Input} form=${form} name="legalName" id="m-legal" label=${tx('legalName')} />
    </div>
    <div class="form-row">
      <${Input} form=${form} name="organisationNumber" id="m-org" label=${tx('orgNo')} hint=${tx('orgNoHint')} />
      <${Input} form=${form} name="vatNumber" id="m-vat" label=${tx('vatNo')} hint=${tx('vatNoHint')} />
    </div>
    <${Input} form=${form} name="address.line1" id="m-line1" label=${tx('line1')} autocomplete="address-line1" />
    <${Input} form=${form} name="address.line2" id="m-line2" label=${tx('line2')} autocomplete="address-line2" />
    <div class="form-row">
      <${Input} form=${form} name="address.postalCode" id="m-postal" label=${tx('postalCode')} class="narrow" autocomplete="postal-code" />
      <${Input} form=${form} name="address.city" id="m-city" label=${tx('city')} autocomplete="address-level2" />
      <${Select} form=${form} name="address.country" id="m-country" label=${tx('country')} class="narrow" options=${COUNTRIES.map((c) => [c, c])} />
    </div>
    <div class="form-row">
      <${Select} form=${form} name="timeZone" id="m-tz" label=${tx('timeZone')} hint=${tx('timeZoneHint')} options=${zones.map((z) => [z, z])} />
      <${Select} form=${form} name="locale" id="m-locale" label=${tx('language')} options=${[['sv', tx('sv')], ['en', tx('en')]]} />
    </div>
    <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('saveDetails')}</button></div>
  </form>`;
}

function BrandingForm({ m, onSaved }) {
  const b = m.branding;
  const form = useForm({ displayName: b.displayName || '', accentColor: b.accentColor || '#0b5fff', supportEmail: b.supportEmail || '',
    supportPhone: b.supportPhone || '', removeLogo: false });
  const [logo, setLogo] = useState(null); // data: URL chosen now
  const [saved, setSaved] = useState(false);
  const pick = (e) => {
    const f = e.currentTarget.files[0];
    form.setErrors({});
    if (!f) { setLogo(null); return; }
    if (!['image/png', 'image/jpeg'].includes(f.type)) { form.setErrors({ logoBase64: tx('logoType') }); return; }
    if (f.size > 512 * 1024) { form.setErrors({ logoBase64: tx('logoTooBig') }); return; }
    const r = new FileReader();
    r.onload = () => setLogo(r.result);
    r.readAsDataURL(f);
  };
  const save = async (e) => {
    e.preventDefault();
    setSaved(false);
    const v = form.values;
    const input = { displayName: v.displayName, accentColor: v.accentColor, supportEmail: v.supportEmail, supportPhone: v.supportPhone };
    if (logo) input.logoBase64 = logo;
    else if (v.removeLogo) input.removeLogo = true;
    const p = await form.submit(() => mutate(`mutation($input: UpdateBrandingInput!) { updateBranding(input: $input) {
      branding { displayName } userErrors { field message code } } }`, { input }));
    if (p) { setSaved(true); setLogo(null); onSaved(); }
  };
  const v = form.values;
  const shownLogo = logo || (v.removeLogo ? null : b.logoUrl);
  const accent = /^#[0-9a-fA-F]{6}$/.test(v.accentColor) ? v.accentColor : '#0b5fff';
  return html`<div class="cols">
    <form class="panel" onSubmit=${save} aria-labelledby="brand-h" novalidate>
      <h2 id="brand-h">${tx('branding')}</h2>
      <p class="hint">${tx('brandingHint')}</p>
      ${saved && html`<p class="notice" role="status">${tx('saved')}</p>`}
      <${FormError} message=${form.formError} />
      <${Input} form=${form} name="displayName" id="b-name" label=${tx('displayName')} placeholder=${m.name} />
      <div class="form-row">
        <${Input} form=${form} name="accentColor" id="b-accent" type="color" label=${tx('accent')} class="narrow" />
        <${Input} form=${form} name="supportEmail" id="b-email" type="email" label=${tx('supportEmail')} />
      </div>
      <${Input} form=${form} name="supportPhone" id="b-phone" type="tel" label=${tx('supportPhone')} />
      <div class=${'field' + (form.errors.logoBase64 ? ' has-error' : '')}>
        <label for="b-logo">${tx('logo')}</label>
        <input id="b-logo" type="file" accept="image/png,image/jpeg" onChange=${pick}
          aria-describedby=${form.errors.logoBase64 ? 'b-logo-err' : undefined} aria-invalid=${form.errors.logoBase64 ? 'true' : undefined} />
        ${form.errors.logoBase64 && html`<p class="field-error" id="b-logo-err">${form.errors.logoBase64}</p>`}
      </div>
      ${b.logoUrl && !logo && html`<div class="field check"><label class="check" for="b-remove"><input id="b-remove" type="checkbox" checked=${v.removeLogo}
        onChange=${(e) => form.set('removeLogo', e.currentTarget.checked)} /> ${tx('removeLogo')}</label></div>`}
      <div class="form-actions"><button type="submit" disabled=${form.busy}>${tx('saveBranding')}</button></div>
    </form>
    <section class="panel preview" aria-labelledby="preview-h">
      <h2 id="preview-h">${tx('preview')}</h2>
      <div class="pay-preview" style=${{ '--accent': accent }}>
        <div class="pp-head">${shownLogo ? html`<img src=${shownLogo} alt="" />` : null}<strong>${v.displayName || m.name}</strong></div>
        <div class="pp-body">
          <p class="pp-amount">1 250,00 kr</p>
          <label>${tx('card')}</label><div class="pp-input">4242 4242 4242 4242</div>
          <div class="pp-button">${tx('payWith', '1 250,00 kr')}</div>
          ${(v.supportEmail || v.supportPhone) && html`<p class="pp-support">${tx('questions', [v.supportEmail, v.supportPhone].filter(Boolean).join(' · '))}</p>`}
        </div>
      </div>
      <p class="hint">${tx('previewNote')}</p>
    </section>
  </div>`;
}
