// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function PaymentsPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
export function PaymentPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
