// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function SubscriptionsPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
export function NewSubscriptionPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
export function SubscriptionPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
