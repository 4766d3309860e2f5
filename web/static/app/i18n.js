// Texts of the dashboard in Swedish and English. Shared words live here;
// a page keeps its own words beside it and reads them with tt(T, key).
// In English, the names of navigation links, fields and buttons are a
// public contract (screen readers and merchants' browser automation use
// them): keep them as they are.

export let lang = document.documentElement.lang === 'en' ? 'en' : 'sv';

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'sv';
  document.documentElement.lang = lang;
}

const shared = {
  en: {
    'nav.overview': 'Overview', 'nav.newOrder': 'New order', 'nav.orders': 'Orders', 'nav.links': 'Payment links',
    'nav.payments': 'Payments', 'nav.subscriptions': 'Subscriptions', 'nav.invoices': 'Invoices', 'nav.customers': 'Customers',
    'nav.team': 'Team', 'nav.developers': 'Developers', 'nav.settings': 'Settings', 'nav.terminal': 'Web terminal',
    'nav.graphiql': 'GraphiQL', 'nav.logout': 'Log out', 'nav.menu': 'Menu', 'nav.main': 'Main', 'nav.language': 'Svenska',
    'nav.languageLabel': 'Byt till svenska', 'nav.skip': 'Skip to content',
    'loading': 'Loading…', 'retry': 'Try again', 'next': 'Next page', 'prev': 'Previous page', 'first': 'First page',
    'none': 'Nothing here yet.', 'save': 'Save', 'cancel': 'Cancel', 'close': 'Close', 'copy': 'Copy', 'copied': 'Copied',
    'search': 'Search', 'filter': 'Filter', 'apply': 'Apply', 'clear': 'Clear', 'from': 'From', 'to': 'To',
    'all': 'All', 'status': 'Status', 'amount': 'Amount', 'created': 'Created', 'customer': 'Customer', 'description': 'Description',
    'actions': 'Actions', 'yes': 'Yes', 'no': 'No', 'back': 'Back', 'details': 'Details', 'download': 'Download',
    'err.network': 'kassa cannot be reached. Check the connection and try again.',
    'err.server': 'Something went wrong on our side. Try again in a moment.',
    'err.session': 'Your session has ended. Log in again.',
    'err.form': 'Check the marked fields.',
    'err.FORBIDDEN': 'Your role may not do this.',
    'err.NOT_FOUND': 'There is no such page, or you may not see it.',
    'live': 'Live', 'liveOff': 'Not live: reconnecting…',
    'qr': 'QR code', 'qrDownload': 'Download QR code (SVG)', 'qrPrint': 'Print',
    'notFound': 'There is no such page in the dashboard.',
  },
  sv: {
    'nav.overview': 'Översikt', 'nav.newOrder': 'Ny order', 'nav.orders': 'Ordrar', 'nav.links': 'Betallänkar',
    'nav.payments': 'Betalningar', 'nav.subscriptions': 'Prenumerationer', 'nav.invoices': 'Fakturor', 'nav.customers': 'Kunder',
    'nav.team': 'Team', 'nav.developers': 'Utvecklare', 'nav.settings': 'Inställningar', 'nav.terminal': 'Webbterminal',
    'nav.graphiql': 'GraphiQL', 'nav.logout': 'Logga ut', 'nav.menu': 'Meny', 'nav.main': 'Huvudmeny', 'nav.language': 'English',
    'nav.languageLabel': 'Switch to English', 'nav.skip': 'Till innehållet',
    'loading': 'Laddar…', 'retry': 'Försök igen', 'next': 'Nästa sida', 'prev': 'Föregående sida', 'first': 'Första sidan',
    'none': 'Inget här ännu.', 'save': 'Spara', 'cancel': 'Avbryt', 'close': 'Stäng', 'copy': 'Kopiera', 'copied': 'Kopierat',
    'search': 'Sök', 'filter': 'Filtrera', 'apply': 'Visa', 'clear': 'Rensa', 'from': 'Från', 'to': 'Till',
    'all': 'Alla', 'status': 'Status', 'amount': 'Belopp', 'created': 'Skapad', 'customer': 'Kund', 'description': 'Beskrivning',
    'actions': 'Åtgärder', 'yes': 'Ja', 'no': 'Nej', 'back': 'Tillbaka', 'details': 'Detaljer', 'download': 'Ladda ner',
    'err.network': 'Det går inte att nå kassa. Kontrollera anslutningen och försök igen.',
    'err.server': 'Något gick fel hos oss. Försök igen om en stund.',
    'err.session': 'Du har loggats ut. Logga in igen.',
    'err.form': 'Kontrollera de markerade fälten.',
    'err.FORBIDDEN': 'Din roll får inte göra detta.',
    'err.NOT_FOUND': 'Sidan finns inte, eller så får du inte se den.',
    'live': 'Live', 'liveOff': 'Inte live: ansluter igen…',
    'qr': 'QR-kod', 'qrDownload': 'Ladda ner QR-koden (SVG)', 'qrPrint': 'Skriv ut',
    'notFound': 'Den sidan finns inte i översikten.',
  },
};

// Status names: shown as text (never by colour alone).
const statuses = {
  en: {
    DRAFT: 'Draft', CONFIRMATION_SENT: 'Confirmation sent', RESERVED: 'Reserved', PAID: 'Paid',
    PARTIALLY_REFUNDED: 'Partially refunded', REFUNDED: 'Refunded', CANCELLED: 'Cancelled', EXPIRED: 'Expired',
    PENDING: 'Pending', REQUIRES_ACTION: 'Awaiting 3-D Secure', AUTHORIZED: 'Reserved', PARTIALLY_CAPTURED: 'Partially captured',
    CAPTURED: 'Captured', VOIDED: 'Voided', FAILED: 'Failed', ACTIVE: 'Active', DEACTIVATED: 'Deactivated',
    INCOMPLETE: 'Awaiting first payment', PAST_DUE: 'Past due', PAUSED: 'Paused', CANCELED: 'Cancelled',
    OPEN: 'Open', VOID: 'Void', UNCOLLECTIBLE: 'Uncollectible', INVITED: 'Invited', DISABLED: 'Disabled',
    SUCCEEDED: 'Delivered', RETRYING: 'Retrying', DELIVERED: 'Delivered', PENDING_MANDATE: 'Awaiting first payment',
    ENABLED: 'Enabled',
  },
  sv: {
    DRAFT: 'Utkast', CONFIRMATION_SENT: 'Bekräftelse skickad', RESERVED: 'Reserverad', PAID: 'Betald',
    PARTIALLY_REFUNDED: 'Delvis återbetald', REFUNDED: 'Återbetald', CANCELLED: 'Makulerad', EXPIRED: 'Förfallen',
    PENDING: 'Väntar', REQUIRES_ACTION: 'Väntar på 3-D Secure', AUTHORIZED: 'Reserverad', PARTIALLY_CAPTURED: 'Delvis dragen',
    CAPTURED: 'Dragen', VOIDED: 'Släppt', FAILED: 'Misslyckad', ACTIVE: 'Aktiv', DEACTIVATED: 'Avaktiverad',
    INCOMPLETE: 'Väntar på första betalningen', PAST_DUE: 'Förfallen betalning', PAUSED: 'Pausad', CANCELED: 'Avslutad',
    OPEN: 'Öppen', VOID: 'Makulerad', UNCOLLECTIBLE: 'Ej indrivningsbar', INVITED: 'Inbjuden', DISABLED: 'Avstängd',
    SUCCEEDED: 'Levererad', RETRYING: 'Försöker igen', DELIVERED: 'Levererad', PENDING_MANDATE: 'Väntar på första betalningen',
    ENABLED: 'Aktiv',
  },
};

// Where one enum value means something else for another kind of object.
const kindStatuses = {
  en: { subscription: { CANCELLED: 'Cancelled' }, invoice: { FAILED: 'Unpaid' } },
  sv: { subscription: { CANCELLED: 'Avslutad' }, invoice: { FAILED: 'Obetald' }, payment: { EXPIRED: 'Reservation förfallen' } },
};

export function t(key, ...args) {
  return fill(shared[lang][key] ?? shared.en[key] ?? key, args);
}

// tt reads a page's own texts: T = {en: {...}, sv: {...}}.
export function tt(T, key, ...args) {
  return fill(T[lang]?.[key] ?? T.en[key] ?? shared[lang][key] ?? key, args);
}

export function statusText(s, kind) {
  return kindStatuses[lang][kind]?.[s] ?? statuses[lang][s] ?? statuses.en[s] ?? s;
}

function fill(s, args) {
  return args.length ? s.replace(/\{(\d+)\}/g, (m, i) => (args[i] ?? m)) : s;
}

// The server's userErrors are written in English; in Swedish the page says
// what a code means in Swedish (and keeps the server's words for a code it
// does not know).
const codeTexts = {
  sv: {
    INVALID_AMOUNT: 'Beloppet är inte giltigt.', AMOUNT_TOO_LARGE: 'Beloppet är större än det som går.',
    AMOUNT_ABOVE_LIMIT: 'Beloppet är över din gräns per betalning.', INVALID_EMAIL: 'E-postadressen är inte giltig.',
    INVALID_NAME: 'Namnet är för långt eller har radbrytningar.', INVALID_PHONE: 'Telefonnumret är för långt.',
    INVALID_DESCRIPTION: 'Beskrivningen saknas, är för lång eller har radbrytningar.', INVALID_QUANTITY: 'Antalet måste vara ett heltal, minst 1.',
    INVALID_UNIT_PRICE: 'Priset är inte giltigt.', INVALID_VAT_RATE: 'Momssatsen måste vara 25, 12, 6 eller 0 %.',
    INVALID_CURRENCY: 'Valutan stöds inte.', INVALID_EXPIRY: 'Datumet måste ligga framåt i tiden.', INVALID_URL: 'Adressen är inte giltig (https://…).',
    INVALID_TEXT: 'Texten innehåller tecken som inte kan användas.', INVALID_REFERENCE: 'Referensen är för lång.', INVALID_MESSAGE: 'Meddelandet är för långt.',
    INVALID_REASON: 'Anledningen är för lång.', INVALID_ROLE: 'Rollen finns inte.', EMAIL_TAKEN: 'E-postadressen används redan.',
    ALREADY_MEMBER: 'Personen är redan med i teamet.', WEAK_PASSWORD: 'Lösenordet är för svagt.', LAST_OWNER: 'Det måste finnas minst en ägare.',
    CANNOT_DEACTIVATE_SELF: 'Du kan inte avaktivera dig själv.', INVALID_ORGANISATION_NUMBER: 'Organisationsnumret stämmer inte (NNNNNN-NNNN).',
    INVALID_VAT_NUMBER: 'Momsregistreringsnumret stämmer inte (t.ex. SE556677889901).', INVALID_POSTAL_CODE: 'Postnumret stämmer inte (5 siffror).',
    INVALID_CITY: 'Orten saknas eller är för lång.', INVALID_COUNTRY: 'Landet är inte giltigt.', INVALID_ADDRESS: 'Adressen är inte fullständig.',
    INVALID_TIME_ZONE: 'Tidszonen finns inte.', INVALID_LEGAL_NAME: 'Det juridiska namnet är för långt.', INVALID_DISPLAY_NAME: 'Namnet är för långt.',
    INVALID_COLOR: 'Färgen ska skrivas #rrggbb.', INVALID_LOGO: 'Logotypen måste vara en PNG- eller JPEG-bild på högst 512 KiB.',
    NO_LINES: 'Lägg till minst en rad.', TOO_MANY_LINES: 'Ordern har för många rader.', ORDER_PAID: 'Ordern är redan betald.',
    ORDER_NOT_EDITABLE: 'Ordern kan inte ändras längre.', ORDER_NOT_CANCELLABLE: 'Ordern kan inte makuleras längre.',
    ORDER_CANCELLED: 'Ordern är makulerad.', ORDER_NOT_RESERVED: 'Ordern har ingen reservation att dra.', NO_CUSTOMER_EMAIL: 'Kunden har ingen e-postadress.',
    PAYMENT_IN_PROGRESS: 'En betalning pågår just nu.', PAYMENT_REFUNDED: 'Betalningen är redan återbetald.', PAYMENT_CAPTURED: 'Betalningen är redan dragen.',
    PAYMENT_FAILED: 'Betalningen misslyckades.', INVALID_STATE: 'Det går inte i det här läget.', NO_MANDATE: 'Det finns inget sparat kort.',
    INVALID_PLAN: 'Planen är inte fullständig.', INVALID_INTERVAL: 'Intervallet är inte giltigt.', INVALID_TIERS: 'Prisstegen stämmer inte.',
    INVALID_START: 'Startdatumet måste ligga framåt i tiden.', LIMIT_CURRENCY_MISMATCH: 'Gränsen gäller en annan valuta.',
    UNKNOWN_EVENT_TYPE: 'Händelsetypen finns inte.', TOO_MANY_ENDPOINTS: 'För många mottagare.', NOT_A_PERSON: 'Bara en inloggad person kan välja språk.',
    FORBIDDEN: 'Din roll får inte göra detta.',
  },
};

export function errorText(code, message) {
  return codeTexts[lang]?.[code] ?? message;
}
