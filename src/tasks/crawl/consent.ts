import type { Page } from 'playwright-core';
import { clickConsent } from './in-page.js';

/** Accept buttons of the common consent platforms (OneTrust, Cookiebot, Didomi, Quantcast, Usercentrics, Google, cookieconsent…). */
export const CONSENT_SELECTORS = [
  '#onetrust-accept-btn-handler',
  '#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll',
  '#CybotCookiebotDialogBodyButtonAccept',
  '#didomi-notice-agree-button',
  '.qc-cmp2-summary-buttons button[mode="primary"]',
  'button[data-testid="uc-accept-all-button"]',
  '#L2AGLb',
  '.fc-cta-consent',
  '.cc-allow',
  '.cc-accept',
  '.cc-dismiss',
  '[data-cookie-accept]',
  '[data-consent="accept"]',
  'button[aria-label="Accept all" i]',
  'button[aria-label="Accept cookies" i]',
];

/**
 * Clicks a visible consent "accept" control in every frame (CMPs often live in an iframe): a
 * known selector, or an accept/agree button inside an element named cookie/consent/gdpr.
 */
export async function dismissConsent(page: Page): Promise<boolean> {
  let clicked = false;
  for (const frame of page.frames()) {
    clicked = (await frame.evaluate(clickConsent, CONSENT_SELECTORS).catch(() => false)) || clicked;
  }
  return clicked;
}
