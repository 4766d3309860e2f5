// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function InvoicesPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
export function InvoicePage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
